"""The roles editor in the settings: the grid of rights, per-pipeline deal rights, field
rules and holders, for those who may read and change the settings."""

import json

import pytest
from django.urls import reverse

from voronka.access.models import Action, AuditEvent, Entity, FieldRule, Permission, Role, Scope
from voronka.access.predicates import forget_rights, hidden_fields, scope_for
from voronka.access.tests.factories import role_with
from voronka.sales.tests.factories import PipelineFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def settings_reader(department):
    from voronka.staff.tests.factories import UserFactory

    user = UserFactory(username="reader", department=department)
    role_with((Entity.SETTINGS, Action.READ, Scope.ALL), members=[user])
    return user


@pytest.fixture
def settings_editor(department):
    from voronka.staff.tests.factories import UserFactory

    user = UserFactory(username="editor", department=department)
    role_with(*((Entity.SETTINGS, action, Scope.ALL) for action in Action.values), members=[user])
    return user


@pytest.fixture
def editor_client(client, settings_editor):
    client.force_login(settings_editor)
    return client


def _toast(response) -> str:
    return json.loads(response.headers["HX-Trigger"])["voronka:toast"]["message"]


def test_a_manager_may_not_open_the_roles(client, manager):
    client.force_login(manager)

    assert client.get(reverse("access:role_list")).status_code == 403
    role = Role.objects.get(code="manager")
    assert client.get(reverse("access:role_detail", args=[role.pk])).status_code == 403


def test_a_settings_reader_sees_roles_but_may_not_change_them(client, settings_reader, manager):
    client.force_login(settings_reader)
    role = Role.objects.get(code="manager")

    assert client.get(reverse("access:role_list")).status_code == 200
    page = client.get(reverse("access:role_detail", args=[role.pk]))
    assert page.status_code == 200
    assert "disabled" in page.content.decode()
    change = client.post(
        reverse("access:role_matrix", args=[role.pk]), {"scope-lead-read": Scope.ALL}
    )
    create = client.get(reverse("access:role_create"))
    members = client.post(reverse("access:role_member_add", args=[role.pk]), {"user": manager.pk})

    assert (change.status_code, create.status_code, members.status_code) == (403, 403, 403)
    assert scope_for(manager, Entity.LEAD, Action.READ) == Scope.OWN


def test_roles_are_listed_with_their_holders(editor_client, manager, django_assert_num_queries):
    role_with(members=[manager], name="Логисты")

    with django_assert_num_queries(4):  # session, user, rights, roles with counts
        response = editor_client.get(reverse("access:role_list"))

    html = response.content.decode()
    assert "Логисты" in html
    assert "Administrator" in html


def test_the_role_page_costs_a_fixed_number_of_queries(
    editor_client, manager, other_manager, django_assert_num_queries
):
    role = role_with((Entity.LEAD, Action.READ, Scope.OWN), members=[manager, other_manager])
    FieldRule.objects.create(role=role, entity=Entity.DEAL, field="amount", access="hidden")
    pipeline = PipelineFactory(entity="deal", name="Опт")
    role_with((Entity.DEAL, Action.READ, Scope.ALL, pipeline))

    # session, user, rights, role, cells, pipelines, custom fields, field rules, members
    with django_assert_num_queries(9):
        response = editor_client.get(reverse("access:role_detail", args=[role.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="scope-lead-read"' in html
    assert "Department and sub-departments" in html
    assert str(manager) in html and str(other_manager) in html


def test_changing_a_cell_takes_effect_and_is_audited(editor_client, manager):
    role = Role.objects.get(code="manager")
    assert scope_for(manager, Entity.LEAD, Action.READ) == Scope.OWN

    response = editor_client.post(
        reverse("access:role_matrix", args=[role.pk]),
        {"scope-lead-read": Scope.DEPARTMENT, "scope-deal-read": Scope.OWN},
        headers=HTMX,
    )

    assert response.status_code == 200
    assert _toast(response) == "The rights are saved."
    forget_rights(manager)
    assert scope_for(manager, Entity.LEAD, Action.READ) == Scope.DEPARTMENT
    # Only the cell that changed is written and audited.
    events = AuditEvent.objects.filter(action="permission.change")
    assert [(e.details["entity"], e.details["to"]) for e in events] == [("lead", Scope.DEPARTMENT)]


def test_an_unknown_scope_is_refused_and_nothing_changes(editor_client, manager):
    role = Role.objects.get(code="manager")

    response = editor_client.post(
        reverse("access:role_matrix", args=[role.pk]),
        {"scope-lead-read": Scope.ALL, "scope-lead-update": "99"},
        headers=HTMX,
    )

    assert response.status_code == 422
    forget_rights(manager)
    assert scope_for(manager, Entity.LEAD, Action.READ) == Scope.OWN


def test_a_pipeline_gets_its_own_deal_rights_and_loses_them(editor_client, manager):
    role = Role.objects.get(code="manager")
    pipeline = PipelineFactory(entity="deal", name="Опт")

    added = editor_client.post(
        reverse("access:role_pipeline_add", args=[role.pk]), {"pipeline": pipeline.pk}
    )
    assert added.status_code == 200
    assert Permission.objects.filter(role=role, pipeline=pipeline).count() == len(Action.values)
    editor_client.post(
        reverse("access:role_matrix", args=[role.pk]),
        {f"scope-deal-read-p{pipeline.pk}": Scope.ALL},
    )
    forget_rights(manager)
    assert scope_for(manager, Entity.DEAL, Action.READ, pipeline_id=pipeline.pk) == Scope.ALL
    assert scope_for(manager, Entity.DEAL, Action.READ) == Scope.OWN

    removed = editor_client.post(
        reverse("access:role_pipeline_remove", args=[role.pk, pipeline.pk])
    )

    assert removed.status_code == 200
    assert not Permission.objects.filter(role=role, pipeline=pipeline).exists()
    forget_rights(manager)
    assert scope_for(manager, Entity.DEAL, Action.READ, pipeline_id=pipeline.pk) == Scope.OWN
    assert AuditEvent.objects.filter(action="permission.pipeline_remove").exists()


def test_a_field_rule_is_set_and_lifted(editor_client, manager):
    role = Role.objects.get(code="manager")

    response = editor_client.post(
        reverse("access:role_field_rule", args=[role.pk]),
        {"field": "deal:amount", "access": "hidden"},
    )

    assert response.status_code == 200
    assert "Amount" in response.content.decode()
    forget_rights(manager)
    assert "amount" in hidden_fields(manager, Entity.DEAL)
    rule = FieldRule.objects.get(role=role)
    editor_client.post(reverse("access:role_field_rule_remove", args=[role.pk, rule.pk]))
    forget_rights(manager)
    assert "amount" not in hidden_fields(manager, Entity.DEAL)
    assert AuditEvent.objects.filter(action="field_rule.change").count() == 2


def test_a_field_rule_names_only_real_fields(editor_client):
    role = Role.objects.get(code="manager")

    response = editor_client.post(
        reverse("access:role_field_rule", args=[role.pk]),
        {"field": "deal:password", "access": "hidden"},
    )

    assert response.status_code == 422
    assert not FieldRule.objects.filter(role=role).exists()


def test_custom_fields_can_be_hidden(editor_client):
    from voronka.customization.models import CustomField

    CustomField.objects.create(entity="deal", code="margin", label="Маржа", field_type="number")
    role = Role.objects.get(code="manager")

    page = editor_client.get(reverse("access:role_detail", args=[role.pk]))
    response = editor_client.post(
        reverse("access:role_field_rule", args=[role.pk]),
        {"field": "deal:margin", "access": "read_only"},
    )

    assert 'value="deal:margin"' in page.content.decode()
    assert response.status_code == 200
    assert FieldRule.objects.get(role=role).field == "margin"


def test_members_are_added_and_removed(editor_client, manager):
    role = role_with((Entity.LEAD, Action.READ, Scope.ALL), name="Все лиды")

    added = editor_client.post(
        reverse("access:role_member_add", args=[role.pk]), {"user": manager.pk}
    )
    assert added.status_code == 200
    assert manager in role.members.all()
    forget_rights(manager)
    assert scope_for(manager, Entity.LEAD, Action.READ) == Scope.ALL

    removed = editor_client.post(reverse("access:role_member_remove", args=[role.pk, manager.pk]))

    assert removed.status_code == 200
    assert manager not in role.members.all()
    assert [e.action for e in AuditEvent.objects.filter(action__startswith="role.")] == [
        "role.unassign",
        "role.assign",
    ]


def test_a_role_is_created_renamed_and_deleted(editor_client):
    created = editor_client.post(
        reverse("access:role_create"),
        {"name": "Логисты", "description": "Доставка", "requires_two_factor": "on"},
        headers=HTMX,
    )
    role = Role.objects.get(name="Логисты")
    assert created.headers["HX-Redirect"] == reverse("access:role_detail", args=[role.pk])
    assert role.requires_two_factor

    renamed = editor_client.post(
        reverse("access:role_update", args=[role.pk]),
        {"name": "Логистика", "description": "", "is_default": "on"},
        headers=HTMX,
    )
    assert renamed.status_code == 204
    role.refresh_from_db()
    assert (role.name, role.is_default, role.requires_two_factor) == ("Логистика", True, False)

    deleted = editor_client.post(reverse("access:role_delete", args=[role.pk]), headers=HTMX)

    assert deleted.status_code == 204
    assert not Role.objects.filter(pk=role.pk).exists()
    assert AuditEvent.objects.filter(action="role.delete").exists()


def test_a_system_role_is_not_deleted(editor_client):
    role = Role.objects.get(code="manager")

    response = editor_client.post(reverse("access:role_delete", args=[role.pk]), headers=HTMX)

    assert response.status_code == 422
    assert Role.objects.filter(pk=role.pk).exists()


def test_the_page_of_a_missing_role_is_404(editor_client):
    assert editor_client.get(reverse("access:role_detail", args=[9999])).status_code == 404
    assert editor_client.post(reverse("access:role_matrix", args=[9999])).status_code == 404
