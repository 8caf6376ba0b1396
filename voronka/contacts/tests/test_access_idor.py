"""A guessed id of a card the employee may not see answers 404 — exactly like a missing card —
on every URL of the contacts and timeline apps that takes an id, for GET and POST. The URLs
are read from the resolver, so a new one is checked the day it is added (and a new kind of id
in a URL fails here until the test knows what card it names)."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter

from voronka.contacts.models import Company, Contact, DuplicateGroup, DuplicateRule, MergeRecord
from voronka.contacts.tests.factories import (
    CompanyFactory,
    ContactCompanyFactory,
    ContactFactory,
)
from voronka.sales.tests.factories import DealFactory, LeadFactory
from voronka.staff.tests.factories import DepartmentFactory, UserFactory
from voronka.timeline.models import Activity, ActivityKind

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def _patterns(namespace: str) -> list[tuple[str, dict]]:
    """``(url name, {parameter: converter})`` of every pattern in the namespace."""
    found = []

    def walk(patterns, current: str | None):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, pattern.namespace or current)
            elif isinstance(pattern, URLPattern) and current == namespace and pattern.name:
                found.append((pattern.name, dict(pattern.pattern.converters)))

    walk(get_resolver().url_patterns, None)
    return found


def _with_ids(namespace: str) -> list[tuple[str, dict]]:
    return [
        (name, converters)
        for name, converters in _patterns(namespace)
        if any(isinstance(converter, IntConverter) for converter in converters.values())
    ]


CONTACT_URLS = _with_ids("contacts")
TIMELINE_URLS = _with_ids("timeline")
CARD_TYPES = ["contact", "company", "lead", "deal"]


def test_the_url_lists_are_not_empty():
    names = {name for name, _converters in CONTACT_URLS}
    assert {"contact_detail", "company_detail", "contact_company_unlink"} <= names
    assert {"panel", "activity_complete"} <= {name for name, _converters in TIMELINE_URLS}


@pytest.fixture
def stranger(db):
    """An employee of another department: owns the cards the actor must not see."""
    return UserFactory(username="stranger", department=DepartmentFactory(name="Закупки"))


@pytest.fixture
def actor(manager, client):
    """An employee with the default Manager role (own cards only), signed in."""
    client.force_login(manager)
    return manager


@pytest.fixture
def cards(actor, stranger):
    """Hidden cards of every kind, linked to each other, and the actor's own ones linked to
    the hidden ones (for URLs with two ids)."""
    hidden_contact = ContactFactory(responsible=stranger, created_by=stranger)
    hidden_company = CompanyFactory(responsible=stranger, created_by=stranger)
    own_contact = ContactFactory(responsible=actor)
    own_company = CompanyFactory(responsible=actor)
    ContactCompanyFactory(contact=hidden_contact, company=hidden_company, is_primary=True)
    ContactCompanyFactory(contact=own_contact, company=hidden_company, is_primary=True)
    ContactCompanyFactory(contact=hidden_contact, company=own_company, is_primary=False)
    return {
        "contact": hidden_contact,
        "company": hidden_company,
        "lead": LeadFactory(responsible=stranger, created_by=stranger),
        "deal": DealFactory(responsible=stranger, created_by=stranger),
        "own_contact": own_contact,
        "own_company": own_company,
        "own_lead": LeadFactory(responsible=actor, created_by=actor),
        # A merge and a group of duplicates whose cards the actor does not see.
        "merge": MergeRecord.objects.create(
            card_type=ContentType.objects.get_for_model(Contact),
            survivor_id=hidden_contact.pk,
            absorbed_id=ContactFactory(responsible=stranger, created_by=stranger).pk,
        ),
        "duplicate_group": DuplicateGroup.objects.create(
            card_type=ContentType.objects.get_for_model(Contact),
            rule=DuplicateRule.PHONE,
            key="+79120000000",
            card_ids=[hidden_contact.pk, own_contact.pk],
            size=2,
        ),
    }


# URLs whose id names a record about cards rather than a card: which record of ``cards``.
RECORD_URLS = {"merge_undo": "merge", "duplicate_dismiss": "duplicate_group"}


def _card_of(name: str) -> str:
    if name.startswith("lead"):
        return "lead"
    return "company" if name.startswith("company") else "contact"


def _contact_kwargs(name: str, converters: dict, cards: dict) -> list[dict]:
    """Ways to address hidden cards through the URL: the card itself hidden, or (for a URL
    with a second id) the card the actor's own card is linked to."""
    if name in RECORD_URLS:
        return [{"pk": cards[RECORD_URLS[name]].pk}]
    kind = _card_of(name)
    other = "company" if kind == "contact" else "contact"
    unknown = set(converters) - {"pk", "company_pk", "contact_pk", "lead_pk"}
    assert not unknown, f"{name}: teach this test which card {unknown} names"
    hidden = {"pk": cards[kind].pk}
    own = {"pk": cards[f"own_{kind}"].pk}
    if f"{kind}_pk" in converters:
        # Two cards of one kind (a merge): either one hidden is a 404.
        return [
            {**hidden, f"{kind}_pk": cards[f"own_{kind}"].pk},
            {**own, f"{kind}_pk": cards[kind].pk},
        ]
    if f"{other}_pk" in converters:
        # A hidden card with a (linked) visible or hidden other side, and the actor's own card
        # with a hidden other side: both are 404.
        return [
            {**hidden, f"{other}_pk": cards[other].pk},
            {**hidden, f"{other}_pk": cards[f"own_{other}"].pk},
            {**own, f"{other}_pk": cards[other].pk},
        ]
    return [hidden]


def _statuses(client, url, data=None) -> dict[str, int]:
    """GET and POST answers; a method the URL does not take answers 405 before anything is
    read (nothing leaks), but at least one of them must reach the card and be a 404."""
    statuses = {
        "get": client.get(url, headers=HTMX).status_code,
        "post": client.post(url, data or {}, headers=HTMX).status_code,
    }
    assert set(statuses.values()) <= {404, 405}, (url, statuses)
    assert 404 in statuses.values(), (url, statuses)
    return statuses


@pytest.mark.parametrize(("name", "converters"), CONTACT_URLS, ids=[n for n, _ in CONTACT_URLS])
def test_contacts_urls_answer_404_for_a_hidden_card(client, cards, name, converters):
    for kwargs in _contact_kwargs(name, converters, cards):
        _statuses(client, reverse(f"contacts:{name}", kwargs=kwargs))


def _activity_on(card, author) -> Activity:
    return Activity.objects.create(
        card_type=ContentType.objects.get_for_model(card),
        card_id=card.pk,
        kind=ActivityKind.CALL,
        subject="Позвонить",
        responsible=author,
        created_by=author,
    )


def _timeline_kwargs(name: str, converters: dict, cards: dict, card_type: str, stranger):
    unknown = set(converters) - {"card_type", "card_id", "pk"}
    assert not unknown, f"{name}: teach this test which card {unknown} names"
    card = cards[card_type]
    if "card_id" in converters:
        return {"card_type": card_type, "card_id": card.pk}
    # An activity of a hidden card.
    return {"pk": _activity_on(card, stranger).pk}


@pytest.mark.parametrize("card_type", CARD_TYPES)
@pytest.mark.parametrize(("name", "converters"), TIMELINE_URLS, ids=[n for n, _ in TIMELINE_URLS])
def test_timeline_urls_answer_404_for_a_hidden_card(
    client, cards, stranger, name, converters, card_type
):
    url = reverse(
        f"timeline:{name}",
        kwargs=_timeline_kwargs(name, converters, cards, card_type, stranger),
    )
    _statuses(client, url, {"text": "Секрет", "kind": "call", "call-subject": "Позвонить"})
    assert not Activity.objects.filter(subject="Секрет").exists()


def test_linking_a_hidden_company_or_contact_is_404(client, cards):
    response = client.post(
        reverse("contacts:contact_company_link", args=[cards["own_contact"].pk]),
        {"company": cards["company"].pk},
        headers=HTMX,
    )
    assert response.status_code == 404
    response = client.post(
        reverse("contacts:company_contact_link", args=[cards["own_company"].pk]),
        {"contact": cards["contact"].pk},
        headers=HTMX,
    )
    assert response.status_code == 404
    response = client.get(
        reverse("contacts:contact_create"), {"company": cards["company"].pk}, headers=HTMX
    )
    assert response.status_code == 404


def test_hidden_cards_stay_out_of_lists_pickers_and_linked_sections(client, cards):
    contacts = client.get(reverse("contacts:contact_list")).content.decode()
    companies = client.get(reverse("contacts:company_list")).content.decode()
    assert f"/contacts/{cards['contact'].pk}/" not in contacts
    assert f"/contacts/{cards['own_contact'].pk}/" in contacts
    assert f"/companies/{cards['company'].pk}/" not in companies
    # The own contact's primary company is hidden: its name is not shown in the row either.
    assert cards["company"].title not in contacts
    picker = client.get(
        reverse("contacts:contact_company_picker", args=[cards["own_contact"].pk]),
        {"q": cards["company"].title[:6]},
        headers=HTMX,
    ).content.decode()
    assert cards["company"].title not in picker
    card = client.get(reverse("contacts:contact_detail", args=[cards["own_contact"].pk]))
    assert cards["company"].title not in card.content.decode()
    assert Contact.objects.filter(pk=cards["contact"].pk).exists()
    assert Company.objects.filter(pk=cards["company"].pk).exists()
