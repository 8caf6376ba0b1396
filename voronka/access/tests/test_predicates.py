"""The predicates beyond the generated matrix: several roles, default roles, participants,
per-pipeline rights, field rules, administrators, inactive users and the query budget."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from voronka.access.models import Action, Entity, FieldAccess, FieldRule, Role, Scope
from voronka.access.predicates import (
    can,
    editable_by,
    hidden_fields,
    readonly_fields,
    require,
    scope_for,
    visible_to,
)
from voronka.access.tests.factories import role_with
from voronka.sales.models import Deal, Lead, PipelineEntity
from voronka.sales.tests.factories import DealFactory, LeadFactory, PipelineFactory
from voronka.staff.tests.factories import DepartmentFactory, UserFactory


@pytest.fixture
def pipeline(db):
    return PipelineFactory.with_stages()


def deal_for(pipeline, **kwargs):
    return DealFactory(pipeline=pipeline, stage=pipeline.stages.first(), **kwargs)


def test_widest_scope_of_several_roles_wins(manager, other_manager, pipeline):
    role_with((Entity.DEAL, Action.READ, Scope.OWN), members=[manager])
    role_with((Entity.DEAL, Action.READ, Scope.DEPARTMENT), members=[manager])
    colleague_deal = deal_for(pipeline, responsible=other_manager)
    assert scope_for(manager, Entity.DEAL, Action.READ) == Scope.DEPARTMENT
    assert visible_to(manager, Deal.objects.all()).filter(pk=colleague_deal.pk).exists()


def test_employee_without_role_gets_the_default_roles_rights(db, pipeline):
    assert list(Role.objects.filter(is_default=True).values_list("code", flat=True)) == ["manager"]
    newcomer, colleague = UserFactory(), UserFactory()
    own, other = deal_for(pipeline, responsible=newcomer), deal_for(pipeline, responsible=colleague)
    assert set(visible_to(newcomer, Deal.objects.all())) == {own}
    assert can(newcomer, Action.UPDATE, own)
    assert not can(newcomer, Action.UPDATE, other)
    assert not can(newcomer, Action.READ, Entity.SETTINGS)


def test_without_any_default_role_access_is_denied(db, pipeline):
    Role.objects.update(is_default=False)
    newcomer = UserFactory()
    deal_for(pipeline, responsible=newcomer)
    assert not visible_to(newcomer, Deal.objects.all()).exists()
    assert not can(newcomer, Action.ADD, Entity.DEAL)


def test_holding_a_role_replaces_the_default(manager, pipeline):
    role_with((Entity.LEAD, Action.READ, Scope.ALL), members=[manager])
    deal_for(pipeline, responsible=manager)
    assert not visible_to(manager, Deal.objects.all()).exists()


def test_deal_participants_and_creator_count_as_own(manager, other_manager, pipeline):
    role_with((Entity.DEAL, Action.READ, Scope.OWN), members=[manager])
    as_delivery = deal_for(pipeline, responsible=other_manager, delivery_manager=manager)
    as_creator = deal_for(pipeline, responsible=other_manager, created_by=manager)
    foreign = deal_for(pipeline, responsible=other_manager)
    assert set(visible_to(manager, Deal.objects.all())) == {as_delivery, as_creator}
    assert can(manager, Action.READ, as_delivery)
    assert not can(manager, Action.READ, foreign)


def test_pipeline_row_replaces_the_general_row_of_the_same_role(manager, other_manager):
    general, special = PipelineFactory.with_stages(), PipelineFactory.with_stages()
    role_with(
        (Entity.DEAL, Action.READ, Scope.ALL),
        (Entity.DEAL, Action.READ, Scope.NONE, special),
        members=[manager],
    )
    open_deal = deal_for(general, responsible=other_manager)
    closed_deal = deal_for(special, responsible=other_manager)
    own_closed = deal_for(special, responsible=manager)
    assert set(visible_to(manager, Deal.objects.all())) == {open_deal}
    assert not can(manager, Action.READ, closed_deal)
    assert not can(manager, Action.READ, own_closed)
    assert scope_for(manager, Entity.DEAL, Action.READ, pipeline_id=special.pk) == Scope.NONE


def test_pipeline_row_of_one_role_and_general_row_of_another_widest_wins(manager, other_manager):
    special = PipelineFactory.with_stages()
    role_with((Entity.DEAL, Action.READ, Scope.OWN, special), members=[manager])
    role_with((Entity.DEAL, Action.READ, Scope.DEPARTMENT), members=[manager])
    colleague_deal = deal_for(special, responsible=other_manager)
    assert can(manager, Action.READ, colleague_deal)
    assert visible_to(manager, Deal.objects.all()).filter(pk=colleague_deal.pk).exists()


def test_head_sees_sub_departments_with_the_default_head_role(head, department):
    head_role = Role.objects.get(code="head")
    head_role.members.add(head)
    sub = DepartmentFactory(parent=department)
    stage = PipelineFactory.with_stages(entity=PipelineEntity.LEAD).stages.first()
    below = LeadFactory(stage=stage, responsible=UserFactory(department=sub))
    outside = LeadFactory(stage=stage, responsible=UserFactory())
    assert set(visible_to(head, Lead.objects.all())) == {below}
    assert can(head, Action.DELETE, below)
    assert not can(head, Action.READ, outside)


def test_superuser_sees_everything_without_queries(admin_user, pipeline, django_assert_num_queries):
    deal = deal_for(pipeline, responsible=UserFactory())
    with django_assert_num_queries(0):
        assert can(admin_user, Action.DELETE, deal)
        queryset = visible_to(admin_user, Deal.objects.all())
    assert list(queryset) == [deal]


def test_inactive_and_anonymous_users_get_nothing(manager, pipeline):
    deal = deal_for(pipeline, responsible=manager)
    manager.is_active = False
    assert not visible_to(manager, Deal.objects.all()).exists()
    assert not can(manager, Action.READ, deal)
    assert not can(AnonymousUser(), Action.READ, deal)
    assert not visible_to(AnonymousUser(), Deal.objects.all()).exists()


def test_rights_cost_two_queries_per_request_then_none(
    manager, other_manager, pipeline, django_assert_num_queries
):
    role_with((Entity.DEAL, Action.READ, Scope.DEPARTMENT_TREE), members=[manager])
    deals = [deal_for(pipeline, responsible=other_manager) for _ in range(5)]
    with django_assert_num_queries(3):  # rights, departments, the list itself
        assert len(list(visible_to(manager, Deal.objects.all()))) == 5
    with django_assert_num_queries(0):
        for deal in deals:
            deal.responsible = other_manager
            assert can(manager, Action.READ, deal)
    with django_assert_num_queries(1):
        assert visible_to(manager, Deal.objects.all()).count() == 5


def test_can_checks_a_record_about_to_be_created(manager, other_manager, pipeline):
    role_with((Entity.DEAL, Action.ADD, Scope.OWN), members=[manager])
    mine = Deal(pipeline=pipeline, stage=pipeline.stages.first(), responsible=manager)
    theirs = Deal(pipeline=pipeline, stage=pipeline.stages.first(), responsible=other_manager)
    assert can(manager, Action.ADD, mine)
    assert not can(manager, Action.ADD, theirs)
    assert can(manager, Action.ADD, Deal)
    with pytest.raises(PermissionDenied):
        require(manager, Action.ADD, theirs)


def test_require_lets_the_system_act_but_never_an_anonymous_visitor(pipeline):
    deal = Deal(pipeline=pipeline, stage=pipeline.stages.first())
    require(None, Action.DELETE, deal)
    with pytest.raises(PermissionDenied):
        require(AnonymousUser(), Action.READ, deal)


def test_editable_by_uses_the_update_scope(manager, other_manager, pipeline):
    role_with(
        (Entity.DEAL, Action.READ, Scope.ALL),
        (Entity.DEAL, Action.UPDATE, Scope.OWN),
        members=[manager],
    )
    mine = deal_for(pipeline, responsible=manager)
    deal_for(pipeline, responsible=other_manager)
    assert visible_to(manager, Deal.objects.all()).count() == 2
    assert list(editable_by(manager, Deal.objects.all())) == [mine]


def test_operator_default_role_hides_money(db):
    operator = UserFactory()
    Role.objects.get(code="operator").members.add(operator)
    assert "amount" in hidden_fields(operator, Entity.DEAL)
    assert "bank_accounts" in hidden_fields(operator, Entity.COMPANY)
    assert "amount" in readonly_fields(operator, Entity.DEAL)


def test_field_rules_of_several_roles_widest_wins(manager):
    hides = role_with(members=[manager])
    restricts = role_with(members=[manager])
    for field_code in ("amount", "comment"):
        FieldRule.objects.create(
            role=hides, entity=Entity.DEAL, field=field_code, access=FieldAccess.HIDDEN
        )
    FieldRule.objects.create(
        role=restricts, entity=Entity.DEAL, field="amount", access=FieldAccess.READ_ONLY
    )
    FieldRule.objects.create(
        role=hides, entity=Entity.DEAL, field="probability", access=FieldAccess.READ_ONLY
    )
    FieldRule.objects.create(
        role=restricts, entity=Entity.DEAL, field="probability", access=FieldAccess.READ_ONLY
    )
    # amount: hidden by one role, read-only in the other → shown, read-only;
    # comment: hidden by one role only → the other role shows and allows it.
    assert hidden_fields(manager, Entity.DEAL) == frozenset()
    assert readonly_fields(manager, Entity.DEAL) == {"amount", "probability"}


def test_field_rule_hidden_in_every_role_is_hidden(manager, admin_user):
    role = role_with(members=[manager])
    FieldRule.objects.create(
        role=role, entity=Entity.COMPANY, field="inn", access=FieldAccess.HIDDEN
    )
    assert hidden_fields(manager, Entity.COMPANY) == {"inn"}
    assert readonly_fields(manager, Entity.COMPANY) == {"inn"}
    assert hidden_fields(admin_user, Entity.COMPANY) == frozenset()


def test_a_pipeline_opening_deals_answers_yes_for_deals_in_general(manager):
    special = PipelineFactory.with_stages()
    role_with((Entity.DEAL, Action.ADD, Scope.OWN, special), members=[manager])
    assert can(manager, Action.ADD, Entity.DEAL)
    assert not can(manager, Action.DELETE, Entity.DEAL)
    assert scope_for(manager, Entity.LEAD, Action.ADD, pipeline_id=special.pk) == Scope.NONE


@pytest.mark.django_db(transaction=True)
def test_transactional_tests_start_with_the_default_roles():
    employee = UserFactory()
    assert scope_for(employee, Entity.DEAL, Action.READ) == Scope.OWN
