"""``contacts_create_many`` writes what ``contact_create`` writes, row for row."""

import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from voronka.access.models import Role, Scope
from voronka.access.tests.factories import role_with
from voronka.contacts.events import ContactCreated
from voronka.contacts.models import (
    Communication,
    Company,
    Contact,
    ContactCompany,
    DuplicatePolicy,
)
from voronka.contacts.services import contact_create
from voronka.contacts.services.batches import ContactInput, contacts_create_many
from voronka.core.events import events
from voronka.customization.models import CustomField, FieldType
from voronka.timeline.models import TimelineEntry

pytestmark = pytest.mark.django_db

FIELDS = (
    "last_name",
    "first_name",
    "middle_name",
    "birthday",
    "position",
    "address",
    "comment",
    "responsible_id",
    "created_by_id",
    "custom_fields",
    "name_key",
    "version",
)


def _snapshot(contact: Contact) -> dict:
    contact.refresh_from_db()
    card_type = ContentType.objects.get_for_model(Contact)
    return {
        "fields": {name: getattr(contact, name) for name in FIELDS},
        "communications": list(
            Communication.objects.filter(card_type=card_type, card_id=contact.pk).values_list(
                "kind", "value_type", "value", "value_normalized", "sort"
            )
        ),
        "companies": list(
            ContactCompany.objects.filter(contact=contact).values_list(
                "company_id", "is_primary", "role"
            )
        ),
        "history": list(
            TimelineEntry.objects.filter(card_type=card_type, card_id=contact.pk).values_list(
                "kind", "author_id", "payload"
            )
        ),
    }


def _company_history(company: Company) -> list:
    card_type = ContentType.objects.get_for_model(Company)
    return list(
        TimelineEntry.objects.filter(card_type=card_type, card_id=company.pk)
        .order_by("pk")
        .values_list("kind", "author_id", "payload")
    )


def test_batch_writes_what_the_single_service_writes(head, manager):
    Role.objects.get(code="head").members.add(head)
    # The same person twice: duplicate control is compared in its own test below.
    DuplicatePolicy.objects.update_or_create(entity="contact", defaults={"mode": "allow"})
    CustomField.objects.create(
        entity="contact", code="segment", label="Segment", field_type=FieldType.STRING
    )
    company = Company.objects.create(title="Ромашка", responsible=head)
    kwargs = {
        "data": {
            "last_name": "Иванов",
            "first_name": "Пётр",
            "birthday": "17.05.1990",
            "position": "Директор",
            "responsible": manager,
            "custom_fields": {"segment": "Опт"},
        },
        "communications": [
            {"kind": "phone", "value": "+7 916 000-00-01"},
            {"kind": "email", "value": "Ivanov@Example.com", "value_type": "home"},
        ],
        "company_links": [{"company": company, "role": "Директор"}],
    }
    seen = []
    events.subscribe(ContactCreated, seen.append)
    try:
        single = contact_create(actor=head, **kwargs)
        [batched] = contacts_create_many(actor=head, items=[ContactInput(**kwargs)])
    finally:
        events.unsubscribe(ContactCreated, seen.append)
    assert isinstance(batched, Contact) and batched.pk != single.pk
    assert _snapshot(batched) == _snapshot(single)
    history = _company_history(company)
    assert len(history) == 2 and history[0] == history[1]


@pytest.mark.parametrize(
    "item",
    [
        {"data": {"first_name": ""}},
        {"data": {"last_name": "X"}, "communications": [{"kind": "phone", "value": "12"}]},
        {"data": {"last_name": "X", "birthday": "31.02.2020"}},
        {"data": {"last_name": "X", "custom_fields": {"nope": 1}}},
        {"data": {"last_name": "X", "ltv": 1}},
    ],
)
def test_batch_refuses_what_the_single_service_refuses(head, item):
    Role.objects.get(code="head").members.add(head)
    with pytest.raises(ValidationError) as single:
        contact_create(actor=head, **item)
    [outcome] = contacts_create_many(actor=head, items=[ContactInput(**item)])
    assert isinstance(outcome, ValidationError)
    assert outcome.message_dict == single.value.message_dict
    assert not Contact.objects.exists()


def test_batch_checks_rights_per_contact(manager):
    role_with(("contact", "read", Scope.ALL), members=[manager])
    item = {"data": {"last_name": "Иванов"}}
    with pytest.raises(PermissionDenied):
        contact_create(actor=manager, **item)
    outcomes = contacts_create_many(actor=manager, items=[ContactInput(**item)] * 2)
    assert [type(outcome) for outcome in outcomes] == [PermissionDenied, PermissionDenied]
    assert not Contact.objects.exists()


def _phone(value):
    return [{"kind": "phone", "value": value}]


def _items():
    return [
        ContactInput(data={"last_name": "Б"}, communications=_phone("+7 916 000-00-01")),
        ContactInput(data={"last_name": "В"}, communications=_phone("+7 916 000-00-02")),
        ContactInput(data={"last_name": "Г"}, communications=_phone("+7 916 000-00-02")),
        ContactInput(data={"last_name": "Д"}, communications=_phone("+7 916 000-00-03")),
    ]


def _duplicate_entries():
    return sorted(TimelineEntry.objects.filter(kind="duplicates").values_list("card_id", "payload"))


@pytest.mark.parametrize("mode", ["warn", "block"])
def test_batch_applies_the_duplicate_policy_like_one_by_one(head, mode):
    Role.objects.get(code="head").members.add(head)
    DuplicatePolicy.objects.update_or_create(entity="contact", defaults={"mode": mode})
    contact_create(actor=head, data={"last_name": "А"}, communications=_phone("+7 916 000-00-01"))

    def one_by_one():
        outcomes = []
        for item in _items():
            try:
                outcomes.append(contact_create(actor=head, **item.__dict__))
            except ValidationError as error:
                outcomes.append(error)
        return outcomes

    def in_a_batch():
        return contacts_create_many(actor=head, items=_items())

    found = {}
    for name, create in (("single", one_by_one), ("batch", in_a_batch)):
        with transaction.atomic():
            outcomes = create()
            names = dict(Contact.objects.values_list("pk", "last_name"))

            def named(text, names=names):
                return re.sub(r"#(\d+)", lambda hit: names[int(hit.group(1))], text)

            found[name] = (
                [
                    {
                        key: [named(m) for m in messages]
                        for key, messages in error.message_dict.items()
                    }
                    if isinstance(error, ValidationError)
                    else error.last_name
                    for error in outcomes
                ],
                sorted(
                    (names[card_id], [names[m["id"]] for m in payload["matches"]])
                    for card_id, payload in _duplicate_entries()
                ),
            )
            transaction.set_rollback(True)
    assert found["batch"] == found["single"]
    expected = ["Б", "В", "Г", "Д"] if mode == "warn" else [None, "В", None, "Д"]
    assert [
        outcome if isinstance(outcome, str) else None for outcome in found["batch"][0]
    ] == expected
