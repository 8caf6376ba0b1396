"""The access matrix over the web paths of leads and deals.

For each entity × read scope × viewer (a department member, the department's head) one small
world holds four cards: the viewer's own, a colleague's in the same department, one of a
sub-department and one of another department. Each case checks one of them: the card page
answers 200 or 404 as the scope says, the list and the board include or exclude it, the board
column counts and sums hold exactly the visible cards, and a move answers 200, 403 or 404 as
the update scope says.
"""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.urls import reverse

from voronka.access.models import Action, Entity, Scope
from voronka.access.tests.factories import role_with
from voronka.sales.models import Deal, Lead, PipelineEntity
from voronka.sales.tests.factories import PipelineFactory, stage_of
from voronka.staff.tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db

OWNERS = ("self", "same_department", "sub_department", "other_department")
# Distinct powers of two, so a sum names exactly the cards in it.
AMOUNTS = {
    "self": Decimal("1000.00"),
    "same_department": Decimal("2000.00"),
    "sub_department": Decimal("4000.00"),
    "other_department": Decimal("8000.00"),
}
# Which owners' cards each scope opens (for a member and for the head alike: the head's
# department is the one they head).
VISIBLE = {
    Scope.NONE: set(),
    Scope.OWN: {"self"},
    Scope.DEPARTMENT: {"self", "same_department"},
    Scope.DEPARTMENT_TREE: {"self", "same_department", "sub_department"},
    Scope.ALL: set(OWNERS),
}
# The update scope given with each read scope: one step narrower, so that a card can be seen
# but not changed (403) as well as changed (200) and not seen (404).
UPDATE_SCOPE = {
    Scope.NONE: Scope.NONE,
    Scope.OWN: Scope.OWN,
    Scope.DEPARTMENT: Scope.OWN,
    Scope.DEPARTMENT_TREE: Scope.DEPARTMENT,
    Scope.ALL: Scope.DEPARTMENT_TREE,
}
SCOPES = list(VISIBLE)
ENTITIES = (Entity.LEAD, Entity.DEAL)
VIEWERS = ("member", "head")


@dataclass
class World:
    viewer: object
    pipeline: object
    cards: dict
    entity: str


def build_world(entity: str, scope: int, viewer_kind: str) -> World:
    sales = DepartmentFactory(name="Продажи")
    sub = DepartmentFactory(name="Продажи: регионы", parent=sales)
    other = DepartmentFactory(name="Закупки")
    head = UserFactory(department=sales)
    sales.head = head
    sales.save(update_fields=["head"])
    member = UserFactory(department=sales)
    viewer = member if viewer_kind == "member" else head
    peer = head if viewer_kind == "member" else member
    people = {
        "self": viewer,
        "same_department": peer,
        "sub_department": UserFactory(department=sub),
        "other_department": UserFactory(department=other),
    }
    role_with(
        (entity, Action.READ, scope),
        (entity, Action.UPDATE, UPDATE_SCOPE[scope]),
        members=[viewer],
    )
    pipeline_entity = PipelineEntity.LEAD if entity == Entity.LEAD else PipelineEntity.DEAL
    pipeline = PipelineFactory.with_stages(entity=pipeline_entity, is_default=True)
    stage = stage_of(pipeline, "new")
    cards = {}
    for owner, person in people.items():
        values = {
            "title": f"Карточка {owner}",
            "stage": stage,
            "responsible": person,
            "created_by": person,
            "amount": AMOUNTS[owner],
        }
        if entity == Entity.DEAL:
            cards[owner] = Deal.objects.create(pipeline=pipeline, **values)
        else:
            cards[owner] = Lead.objects.create(**values)
    return World(viewer=viewer, pipeline=pipeline, cards=cards, entity=entity)


def board_response(client, world: World):
    if world.entity == Entity.DEAL:
        return client.get(reverse("sales:deal_board", args=[world.pipeline.pk]))
    return client.get(reverse("sales:lead_board"))


CASES = [
    pytest.param(entity, scope, viewer, owner, id=f"{entity}-{scope.label}-{viewer}-{owner}")
    for entity in ENTITIES
    for scope in SCOPES
    for viewer in VIEWERS
    for owner in OWNERS
]


@pytest.mark.parametrize(("entity", "scope", "viewer_kind", "owner"), CASES)
def test_card_page_list_board_and_move_follow_the_scope(client, entity, scope, viewer_kind, owner):
    world = build_world(entity, scope, viewer_kind)
    client.force_login(world.viewer)
    card = world.cards[owner]
    visible = owner in VISIBLE[scope]
    changeable = owner in VISIBLE[UPDATE_SCOPE[scope]]

    page = client.get(reverse(f"sales:{entity}_detail", args=[card.pk]))
    assert page.status_code == (200 if visible else 404)

    listing = client.get(reverse(f"sales:{entity}_list"))
    assert listing.status_code == 200
    assert (card.title in listing.content.decode()) is visible

    board = board_response(client, world)
    if entity == Entity.DEAL and scope == Scope.NONE:
        # A pipeline whose deals the user may not see is not a board they can open.
        assert board.status_code == 404
    else:
        assert board.status_code == 200
        html = board.content.decode()
        assert (f'id="{entity}-card-{card.pk}"' in html) is visible
        if scope != Scope.NONE:
            column = board.context["open_columns"][0]
            assert column.count == len(VISIBLE[scope])
            expected = sum((AMOUNTS[name] for name in VISIBLE[scope]), Decimal("0.00"))
            assert sum(column.sums.values(), Decimal("0.00")) == expected

    stage = stage_of(world.pipeline, "in_progress")
    moved = client.post(
        reverse(f"sales:{entity}_move", args=[card.pk]), {"stage": stage.pk, "board": "1"}
    )
    expected_status = 404 if not visible else (200 if changeable else 403)
    assert moved.status_code == expected_status
    card.refresh_from_db()
    assert (card.stage_id == stage.pk) is (expected_status == 200)
