"""``contacts_create_many`` writes what ``contact_create`` writes, row for row."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError

from voronka.access.models import Role, Scope
from voronka.access.tests.factories import role_with
from voronka.contacts.events import ContactCreated
from voronka.contacts.models import Communication, Company, Contact, ContactCompany
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
