"""Services of the access app: roles and their audit, API tokens, the audit log itself."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from voronka.access import services
from voronka.access.models import (
    Action,
    ApiToken,
    AuditEvent,
    Entity,
    Permission,
    Role,
    Scope,
    TokenKind,
    TokenScope,
)
from voronka.access.predicates import can, scope_for
from voronka.sales.tests.factories import PipelineFactory
from voronka.staff.tests.factories import UserFactory

# ---- Roles ----------------------------------------------------------------------------------


def test_role_create_and_matrix_change_are_audited(admin_user, manager):
    role = services.role_create(actor=admin_user, name="Дилеры")
    services.role_set_scope(
        actor=admin_user, role=role, entity=Entity.DEAL, action=Action.READ, scope=Scope.ALL
    )
    services.role_assign(actor=admin_user, role=role, user=manager)
    assert scope_for(manager, Entity.DEAL, Action.READ) == Scope.ALL
    actions = list(
        AuditEvent.objects.filter(object_id=str(role.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["role.create", "permission.change", "role.assign"]
    change = AuditEvent.objects.get(action="permission.change")
    assert change.details["to"] == Scope.ALL
    assert change.actor == admin_user


def test_role_unassign_takes_rights_away_at_once(admin_user, manager):
    role = services.role_create(actor=admin_user, name="Архив")
    services.role_set_scope(
        actor=admin_user, role=role, entity=Entity.LEAD, action=Action.READ, scope=Scope.ALL
    )
    services.role_assign(actor=admin_user, role=role, user=manager)
    assert scope_for(manager, Entity.LEAD, Action.READ) == Scope.ALL
    services.role_unassign(actor=admin_user, role=role, user=manager)
    # Back to the default Manager role.
    assert scope_for(manager, Entity.LEAD, Action.READ) == Scope.OWN
    assert AuditEvent.objects.filter(action="role.unassign").exists()


def test_role_create_refuses_a_duplicate_name(admin_user):
    with pytest.raises(ValidationError) as error:
        services.role_create(actor=admin_user, name="Manager")
    assert "name" in error.value.message_dict
    assert not AuditEvent.objects.filter(action="role.create").exists()


def test_role_set_scope_refuses_bad_input_and_changes_nothing(admin_user):
    role = services.role_create(actor=admin_user, name="Тест")
    with pytest.raises(ValidationError) as error:
        services.role_set_scope(
            actor=admin_user, role=role, entity="spaceship", action="fly", scope=99
        )
    assert set(error.value.message_dict) == {"entity", "action", "scope"}
    with pytest.raises(ValidationError) as error:
        services.role_set_scope(
            actor=admin_user,
            role=role,
            entity=Entity.LEAD,
            action=Action.READ,
            scope=Scope.ALL,
            pipeline=PipelineFactory.with_stages(),
        )
    assert "pipeline" in error.value.message_dict
    assert not Permission.objects.filter(role=role).exists()


def test_system_role_cannot_be_deleted(admin_user):
    with pytest.raises(ValidationError):
        services.role_delete(actor=admin_user, role=Role.objects.get(code="administrator"))
    role = services.role_create(actor=admin_user, name="Временная")
    services.role_delete(actor=admin_user, role=role)
    assert AuditEvent.objects.filter(action="role.delete", object_repr="Временная").exists()


def test_role_update_records_what_changed(admin_user):
    role = Role.objects.get(code="manager")
    services.role_update(actor=admin_user, role=role, requires_two_factor=True)
    event = AuditEvent.objects.get(action="role.update")
    assert event.details == {"requires_two_factor": {"from": False, "to": True}}
    with pytest.raises(ValidationError):
        services.role_update(actor=admin_user, role=role, code="x")


def test_field_rule_set_and_lift(admin_user):
    role = Role.objects.get(code="manager")
    services.field_rule_set(
        actor=admin_user, role=role, entity=Entity.DEAL, field="amount", access="read_only"
    )
    services.field_rule_set(
        actor=admin_user, role=role, entity=Entity.DEAL, field="amount", access=None
    )
    assert not role.field_rules.filter(field="amount").exists()
    assert AuditEvent.objects.filter(action="field_rule.change").count() == 2


# ---- API tokens -----------------------------------------------------------------------------


def test_token_is_shown_once_stored_as_digest_and_authenticates(manager):
    token, raw = services.api_token_create(
        actor=manager, user=manager, name="1С обмен", scopes=[TokenScope.READ]
    )
    assert raw.startswith(f"vrn_{token.prefix}_")
    assert raw.split("_", 2)[2] not in token.token_hash
    assert len(token.token_hash) == 64
    user = services.api_token_authenticate(raw)
    assert user == manager
    assert user.api_token == token
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert AuditEvent.objects.filter(action="api_token.create", actor=manager).exists()


@pytest.mark.parametrize(
    "mangle",
    [
        lambda raw: raw[:-1] + ("A" if raw[-1] != "A" else "B"),  # wrong secret
        lambda raw: "vrn_deadbeef_" + raw.split("_", 2)[2],  # unknown prefix
        lambda raw: "",
        lambda raw: "Bearer something",
        lambda raw: raw.replace("vrn_", "xyz_", 1),
    ],
)
def test_wrong_token_is_refused(manager, mangle):
    _token, raw = services.api_token_create(
        actor=manager, user=manager, name="CI", scopes=[TokenScope.READ]
    )
    assert services.api_token_authenticate(mangle(raw)) is None


def test_revoked_token_is_refused(manager, other_manager):
    token, raw = services.api_token_create(
        actor=manager, user=manager, name="CI", scopes=[TokenScope.READ]
    )
    with pytest.raises(ValidationError):
        services.api_token_revoke(actor=other_manager, token=token)
    assert services.api_token_authenticate(raw) == manager
    services.api_token_revoke(actor=manager, token=token)
    assert token.revoked_at is not None
    assert services.api_token_authenticate(raw) is None
    assert AuditEvent.objects.filter(action="api_token.revoke").count() == 1


def test_expired_token_and_inactive_user_are_refused(manager):
    token, raw = services.api_token_create(
        actor=manager,
        user=manager,
        name="CI",
        scopes=[TokenScope.READ],
        expires_at=timezone.now() + datetime.timedelta(days=1),
    )
    ApiToken.objects.filter(pk=token.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert services.api_token_authenticate(raw) is None
    _token, raw = services.api_token_create(
        actor=manager, user=manager, name="CI 2", scopes=[TokenScope.READ]
    )
    manager.is_active = False
    manager.save(update_fields=["is_active"])
    assert services.api_token_authenticate(raw) is None


def test_webhook_token_kind_and_scope_are_checked(manager):
    _token, raw = services.api_token_create(
        actor=manager,
        user=manager,
        name="Tilda",
        kind=TokenKind.WEBHOOK,
        scopes=[TokenScope.INBOUND_LEAD],
    )
    assert services.api_token_authenticate(raw, kind=TokenKind.PERSONAL) is None
    assert services.api_token_authenticate(raw, scope=TokenScope.WRITE) is None
    user = services.api_token_authenticate(
        raw, kind=TokenKind.WEBHOOK, scope=TokenScope.INBOUND_LEAD
    )
    assert user == manager


def test_token_acts_with_its_users_rights(manager):
    _token, raw = services.api_token_create(
        actor=manager, user=manager, name="CI", scopes=[TokenScope.READ]
    )
    user = services.api_token_authenticate(raw)
    assert not can(user, Action.READ, Entity.SETTINGS)
    assert can(user, Action.READ, Entity.DEAL)


def test_token_create_refuses_bad_input(manager, other_manager):
    with pytest.raises(ValidationError) as error:
        services.api_token_create(actor=manager, user=other_manager, name=" ", scopes=["root"])
    assert set(error.value.message_dict) == {"name", "scopes", "user"}
    assert not ApiToken.objects.exists()


def test_administrator_may_issue_a_token_for_an_employee(admin_user, manager):
    token, _raw = services.api_token_create(
        actor=admin_user, user=manager, name="Интеграция", scopes=[TokenScope.WRITE]
    )
    assert token.user == manager


# ---- Audit log ------------------------------------------------------------------------------


def test_audit_record_takes_who_and_where_from_the_request(rf, manager):
    request = rf.get("/", REMOTE_ADDR="192.0.2.5", HTTP_USER_AGENT="Chrome")
    request.user = manager
    event = services.audit_record(
        action="export", request=request, object_type="sales.deal", details={"rows": 120}
    )
    assert (event.actor, event.actor_repr, event.ip_address, event.user_agent) == (
        manager,
        "manager",
        "192.0.2.5",
        "Chrome",
    )


def test_audit_events_are_never_changed_or_removed(manager):
    event = services.audit_record(action="merge", actor=manager, obj=manager)
    event.action = "nothing"
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "merge"


def test_require_raises_for_services(manager):
    from voronka.access.predicates import require

    with pytest.raises(PermissionDenied):
        require(manager, Action.DELETE, Entity.SETTINGS)
    require(manager, Action.READ, Entity.DEAL)
    UserFactory()  # the factory stays importable for later tests
