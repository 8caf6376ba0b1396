"""Reads of the audit log, tokens and roles; the default roles migration for existing users."""

import importlib

from django.apps import apps

from voronka.access.models import Role
from voronka.access.selectors import api_token_list, audit_event_list, role_list
from voronka.access.services import api_token_create, audit_record
from voronka.access.tests.factories import RoleFactory
from voronka.staff.tests.factories import UserFactory


def test_audit_log_filters_for_administrators(admin_user, manager, django_assert_num_queries):
    audit_record(action="export", actor=manager, object_type="sales.deal", details={"rows": 5})
    audit_record(action="role.assign", actor=admin_user, obj=manager)
    audit_record(action="role.create", actor=admin_user, object_repr="Дилеры")
    with django_assert_num_queries(1):
        assert [e.action for e in audit_event_list(user=admin_user)] == [
            "role.create",
            "role.assign",
            "export",
        ]
    assert audit_event_list(user=admin_user, action="role").count() == 2
    assert audit_event_list(user=admin_user, action="export").count() == 1
    assert audit_event_list(user=admin_user, actor_id=manager.pk).count() == 1
    assert audit_event_list(user=admin_user, object_type="sales.deal").count() == 1
    assert audit_event_list(user=admin_user, query="Дилеры").count() == 1


def test_audit_log_is_empty_for_employees_without_settings_rights(manager):
    audit_record(action="export", actor=manager)
    assert not audit_event_list(user=manager).exists()


def test_tokens_are_listed_for_their_owner_and_administrators(admin_user, manager, other_manager):
    api_token_create(actor=manager, user=manager, name="CI", scopes=["read"])
    assert api_token_list(user=manager).count() == 1
    assert api_token_list(user=admin_user, owner=manager).count() == 1
    assert not api_token_list(user=other_manager, owner=manager).exists()


def test_role_list_counts_holders(admin_user, manager):
    RoleFactory(name="Дилеры").members.add(manager)
    counts = {role.name: role.member_count for role in role_list(user=admin_user)}
    assert counts["Дилеры"] == 1


def test_default_roles_migration_gives_existing_employees_a_role(db, head, manager, admin_user):
    """Employees present at installation: administrators, heads of departments, managers."""
    migration = importlib.import_module("voronka.access.migrations.0002_default_roles")
    Role.members.through.objects.all().delete()
    plain = UserFactory()
    migration.install(apps, None)
    assert list(admin_user.access_roles.values_list("code", flat=True)) == ["administrator"]
    assert list(head.access_roles.values_list("code", flat=True)) == ["head"]
    assert list(manager.access_roles.values_list("code", flat=True)) == ["manager"]
    assert list(plain.access_roles.values_list("code", flat=True)) == ["manager"]
