"""``{% load access %}``: rights in templates, for menus and edit controls."""

import pytest
from django.template import Context, Template

from voronka.access.models import Action, Entity, Role, Scope
from voronka.access.tests.factories import role_with

pytestmark = pytest.mark.django_db


def _render(source: str, user) -> str:
    return Template("{% load access %}" + source).render(Context({"user": user})).strip()


def test_can_answers_for_an_action_and_an_entity(manager, admin_user):
    source = (
        '{% if user|can:"read settings" %}settings{% endif %}|'
        '{% if user|can:"update lead" %}leads{% endif %}'
    )

    assert _render(source, manager) == "|leads"
    assert _render(source, admin_user) == "settings|leads"
    role_with((Entity.SETTINGS, Action.READ, Scope.ALL), members=[manager])
    manager = type(manager).objects.get(pk=manager.pk)
    assert _render(source, manager) == "settings|"


def test_a_malformed_right_is_no(manager):
    assert _render('{% if user|can:"read" %}yes{% endif %}', manager) == ""
    assert _render('{% if user|can:"fly settings" %}yes{% endif %}', manager) == ""


def test_the_recycle_bin_is_offered_to_those_who_may_delete_cards(manager):
    source = "{% if user|uses_recycle_bin %}bin{% endif %}"

    assert _render(source, manager) == "bin"
    Role.objects.get(code="read-only").members.add(manager)
    manager = type(manager).objects.get(pk=manager.pk)
    assert _render(source, manager) == ""


def test_built_in_roles_read_in_the_current_language_until_renamed():
    role = Role.objects.get(code="manager")
    assert (
        Template("{% load access %}{{ role|role_name }}").render(Context({"role": role}))
        == "Manager"
    )
    role.name = "Менеджеры"
    assert (
        Template("{% load access %}{{ role|role_name }}").render(Context({"role": role}))
        == "Менеджеры"
    )
