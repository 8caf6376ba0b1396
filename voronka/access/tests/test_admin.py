"""The administrator manages roles in the admin site; the audit log there is read-only."""

from django.urls import reverse

from voronka.access.models import AuditEvent, Entity, Role, Scope
from voronka.access.services import audit_record


def test_default_roles_are_installed(db):
    roles = {role.code: role for role in Role.objects.prefetch_related("permissions")}
    assert set(roles) == {"administrator", "head", "manager", "operator", "read-only"}
    assert all(role.is_system for role in roles.values())
    cells = {p.entity: p.scope for p in roles["administrator"].permissions.all()}
    assert set(cells.values()) == {Scope.ALL} and set(cells) == set(Entity.values)
    assert roles["administrator"].permissions.count() == 9 * 6


def test_role_pages_open_for_the_administrator(client, admin_user):
    client.force_login(admin_user)
    role = Role.objects.get(code="manager")
    assert client.get(reverse("admin:access_role_changelist")).status_code == 200
    assert client.get(reverse("admin:access_role_change", args=[role.pk])).status_code == 200


def test_audit_log_is_read_only_in_the_admin(client, admin_user):
    event = audit_record(action="export", actor=admin_user, details={"rows": 3})
    client.force_login(admin_user)
    listing = client.get(reverse("admin:access_auditevent_changelist"))
    assert listing.status_code == 200
    assert "export" in listing.content.decode()
    detail = client.get(reverse("admin:access_auditevent_change", args=[event.pk]))
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()
    assert client.get(reverse("admin:access_auditevent_add")).status_code == 403
    delete = client.post(
        reverse("admin:access_auditevent_delete", args=[event.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_employees_do_not_reach_the_audit_log(client, manager):
    client.force_login(manager)
    response = client.get(reverse("admin:access_auditevent_changelist"))
    assert response.status_code == 302
