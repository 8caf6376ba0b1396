"""The generated permission matrix: every entity × action × scope, checked for records owned
by the actor, a colleague of the same department, of a sub-department and of another
department — for a member of the department and for its head — through both ``visible_to``
(the list/board/count condition) and ``can`` (the write check), which must agree."""

import itertools

import pytest

from voronka.access.models import Action, Entity, Scope
from voronka.access.predicates import can, scope_for, visible_to
from voronka.access.tests.factories import role_with
from voronka.contacts.models import Company, Contact
from voronka.contacts.tests.factories import CompanyFactory, ContactFactory
from voronka.sales.models import Deal, Lead, PipelineEntity, Product
from voronka.sales.tests.factories import (
    DealFactory,
    LeadFactory,
    PipelineFactory,
    ProductFactory,
)
from voronka.staff.tests.factories import DepartmentFactory, UserFactory

OWNERS = ["self", "same_department", "sub_department", "other_department"]
ACTORS = ["member", "head"]

# Which owners' records a scope opens, for an actor in (or heading) the department.
EXPECTED = {
    Scope.NONE: set(),
    Scope.OWN: {"self"},
    Scope.DEPARTMENT: {"self", "same_department"},
    Scope.DEPARTMENT_TREE: {"self", "same_department", "sub_department"},
    Scope.ALL: set(OWNERS),
}

OWNED_ENTITIES = [Entity.LEAD, Entity.DEAL, Entity.CONTACT, Entity.COMPANY]
MODELS = {Entity.LEAD: Lead, Entity.DEAL: Deal, Entity.CONTACT: Contact, Entity.COMPANY: Company}
CASES_PER_CELL = len(OWNERS) * len(ACTORS) * 2  # × (visible_to, can)


@pytest.fixture
def world(db):
    """Departments: A with sub-department A1, and B. The member works in A; the head heads A
    without being in it; colleagues own records in A, A1 and B."""
    department = DepartmentFactory(name="A")
    sub_department = DepartmentFactory(name="A1", parent=department)
    other_department = DepartmentFactory(name="B")
    member = UserFactory(username="member", department=department)
    head = UserFactory(username="head_of_a", department=None)
    department.head = head
    department.save(update_fields=["head"])
    colleagues = {
        "same_department": UserFactory(department=department),
        "sub_department": UserFactory(department=sub_department),
        "other_department": UserFactory(department=other_department),
    }
    return {"member": member, "head": head, "colleagues": colleagues}


def make_records(entity, owner_of):
    """One record per owner kind; returns {owner kind: record}."""
    if entity in (Entity.LEAD, Entity.DEAL):
        kind = PipelineEntity.LEAD if entity == Entity.LEAD else PipelineEntity.DEAL
        stage = PipelineFactory.with_stages(entity=kind).stages.first()
    records = {}
    for owner in OWNERS:
        responsible = owner_of[owner]
        if entity == Entity.LEAD:
            records[owner] = LeadFactory(stage=stage, responsible=responsible)
        elif entity == Entity.DEAL:
            records[owner] = DealFactory(
                pipeline=stage.pipeline, stage=stage, responsible=responsible
            )
        elif entity == Entity.CONTACT:
            records[owner] = ContactFactory(responsible=responsible)
        else:
            records[owner] = CompanyFactory(responsible=responsible)
    return records


@pytest.mark.parametrize(
    ("entity", "action", "scope"),
    list(itertools.product(OWNED_ENTITIES, Action.values, Scope.values)),
)
def test_matrix_cell(world, entity, action, scope):
    checked = 0
    for actor_kind in ACTORS:
        actor = world[actor_kind]
        role_with((entity, action, scope), members=[actor])
        owner_of = {"self": actor, **world["colleagues"]}
        records = make_records(entity, owner_of)
        model = MODELS[entity]
        visible_ids = set(
            visible_to(
                actor, model.objects.filter(pk__in=[r.pk for r in records.values()]), action=action
            ).values_list("pk", flat=True)
        )
        for owner, record in records.items():
            allowed = owner in EXPECTED[Scope(scope)]
            assert (record.pk in visible_ids) is allowed, (actor_kind, owner, "visible_to")
            assert can(actor, action, record) is allowed, (actor_kind, owner, "can")
            checked += 2
        # Other actions stay closed: the role has only this one cell.
        other_action = next(a for a in Action.values if a != action)
        assert scope_for(actor, entity, other_action) == Scope.NONE
        model.objects.filter(pk__in=[r.pk for r in records.values()]).delete()
    assert checked == CASES_PER_CELL


@pytest.mark.parametrize(("action", "scope"), list(itertools.product(Action.values, Scope.values)))
def test_matrix_ownerless_catalogue(db, action, scope):
    """Products have no owner: any scope but "none" opens the whole catalogue."""
    actor = UserFactory()
    role_with((Entity.PRODUCT, action, scope), members=[actor])
    product = ProductFactory()
    allowed = scope > Scope.NONE
    assert (
        visible_to(actor, Product.objects.all(), action=action).filter(pk=product.pk).exists()
        is allowed
    )
    assert can(actor, action, product) is allowed


@pytest.mark.parametrize(
    ("entity", "action", "scope"),
    list(
        itertools.product(
            [Entity.TASK, Entity.INVOICE, Entity.REPORT, Entity.SETTINGS],
            Action.values,
            Scope.values,
        )
    ),
)
def test_matrix_entities_without_records_yet(db, entity, action, scope):
    """Areas whose records come later answer ``can(user, action, entity)`` from the matrix."""
    actor = UserFactory()
    role_with((entity, action, scope), members=[actor])
    assert scope_for(actor, entity, action) == scope
    assert can(actor, action, entity) is (scope > Scope.NONE)


def test_matrix_case_count():
    """The number of allow/deny cases the matrix above checks (kept in the report)."""
    owned = len(OWNED_ENTITIES) * len(Action.values) * len(Scope.values) * CASES_PER_CELL
    catalogue = len(Action.values) * len(Scope.values) * 2
    later = 4 * len(Action.values) * len(Scope.values) * 2
    assert (owned, catalogue, later) == (1920, 60, 240)
