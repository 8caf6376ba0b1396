"""Who sees and changes which contact or company, through every web path: a matrix of entity
(contact, company) × scope (none … all) × owner of the card (the actor, a colleague of the same
department, of a sub-department, of another department) × actor (a member, the head) × rights
(read+update+export, read only). Each case checks the card page, the list, a section save and
the export."""

import csv
import io
from dataclasses import dataclass

import pytest
from django.urls import reverse

from voronka.access.models import Action, Entity, Scope
from voronka.access.tests.factories import role_with
from voronka.contacts.tests.factories import CompanyFactory, ContactFactory
from voronka.staff.tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
SCOPES = [Scope.NONE, Scope.OWN, Scope.DEPARTMENT, Scope.DEPARTMENT_TREE, Scope.ALL]
OWNERS = ["self", "same_department", "sub_department", "other_department"]
# Which owners each scope opens (the head heads the actor's department, so for both actors the
# department is the same one).
OPENS = {
    Scope.NONE: set(),
    Scope.OWN: {"self"},
    Scope.DEPARTMENT: {"self", "same_department"},
    Scope.DEPARTMENT_TREE: {"self", "same_department", "sub_department"},
    Scope.ALL: set(OWNERS),
}


@dataclass(frozen=True)
class Kind:
    entity: str
    factory: type
    detail: str
    section: str
    list_name: str
    export: str
    label: str

    def update_data(self, card, owner) -> dict:
        if self.entity == Entity.CONTACT:
            return {"last_name": "Обновлённый", "first_name": "Пётр", "responsible": owner.pk}
        return {"title": "Обновлённая", "company_type": "legal_entity", "responsible": owner.pk}

    def name_in_list(self, card) -> str:
        return card.last_name if self.entity == Entity.CONTACT else card.title


KINDS = {
    Entity.CONTACT: Kind(
        Entity.CONTACT,
        ContactFactory,
        "contacts:contact_detail",
        "contacts:contact_section_main",
        "contacts:contact_list",
        "contacts:contact_export",
        "Contact",
    ),
    Entity.COMPANY: Kind(
        Entity.COMPANY,
        CompanyFactory,
        "contacts:company_detail",
        "contacts:company_section_main",
        "contacts:company_list",
        "contacts:company_export",
        "Company",
    ),
}


@pytest.fixture
def org(db):
    """A department with a sub-department, another department, and people in each."""
    ours = DepartmentFactory(name="Продажи")
    sub = DepartmentFactory(name="Продажи — регионы", parent=ours)
    other = DepartmentFactory(name="Закупки")
    head = UserFactory(username="head-of-sales", department=ours)
    ours.head = head
    ours.save(update_fields=["head"])
    return {
        "member": UserFactory(username="member", department=ours),
        "head": head,
        "same_department": UserFactory(username="colleague", department=ours),
        "sub_department": UserFactory(username="regional", department=sub),
        "other_department": UserFactory(username="buyer", department=other),
    }


def _card(kind: Kind, owner):
    if kind.entity == Entity.CONTACT:
        return kind.factory(responsible=owner, last_name="Карточкин", first_name="Иван")
    return kind.factory(responsible=owner, title="ООО «Карточка»")


def _exported_names(response) -> list[str]:
    body = b"".join(response.streaming_content).decode("utf-8").removeprefix("\ufeff")
    return [row[0] for row in list(csv.reader(io.StringIO(body), delimiter=";"))[1:]]


@pytest.mark.parametrize("rights", ["full", "read_only"])
@pytest.mark.parametrize("actor_kind", ["member", "head"])
@pytest.mark.parametrize("owner_kind", OWNERS)
@pytest.mark.parametrize("scope", SCOPES, ids=[str(s.label) for s in SCOPES])
@pytest.mark.parametrize("entity", [Entity.CONTACT, Entity.COMPANY])
def test_card_list_update_and_export_follow_the_scope(
    client, org, entity, scope, owner_kind, actor_kind, rights
):
    kind = KINDS[entity]
    actor = org[actor_kind]
    owner = actor if owner_kind == "self" else org[owner_kind]
    changing = Scope.NONE if rights == "read_only" else scope
    role_with(
        (entity, Action.READ, scope),
        (entity, Action.UPDATE, changing),
        (entity, Action.EXPORT, changing),
        members=[actor],
    )
    card = _card(kind, owner)
    visible = owner_kind in OPENS[scope]
    client.force_login(actor)

    page = client.get(reverse(kind.detail, args=[card.pk]))
    assert page.status_code == (200 if visible else 404)
    if visible:
        html = page.content.decode()
        # The edit controls show only with the right to change the card.
        assert ("section-edit" in html) is (rights == "full")

    listed = client.get(reverse(kind.list_name)).content.decode()
    assert (f"/{card.pk}/" in listed) is visible

    update = client.post(
        reverse(kind.section, args=[card.pk]), kind.update_data(card, owner), headers=HTMX
    )
    if not visible:
        assert update.status_code == 404
    else:
        assert update.status_code == (200 if rights == "full" else 403)
    card.refresh_from_db()
    changed = (card.last_name if entity == Entity.CONTACT else card.title).startswith("Обновл")
    assert changed is (visible and rights == "full")

    export = client.get(reverse(kind.export, args=["csv"]))
    if rights == "read_only" or scope == Scope.NONE:
        assert export.status_code == 403
    else:
        assert export.status_code == 200
        names = " ".join(_exported_names(export))
        assert (kind.name_in_list(card) in names) is visible
