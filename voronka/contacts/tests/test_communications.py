import pytest
from django.core.exceptions import ValidationError

from voronka.contacts.models import Communication
from voronka.contacts.services.communications import (
    communications_clean,
    communications_set,
    normalize_communication,
)
from voronka.contacts.tests.factories import CompanyFactory, ContactFactory


class TestCommunicationsClean:
    def test_normalises_each_kind(self):
        rows = communications_clean(
            [
                {"kind": "phone", "value": "8 (912) 345-67-89", "value_type": "mobile"},
                {"kind": "email", "value": " Ivanov@Example.RU "},
                {"kind": "web", "value": "https://www.example.ru/shop/"},
                {"kind": "messenger", "value": "@Ivanov", "value_type": "telegram"},
            ]
        )
        assert [(row.kind, row.value_normalized) for row in rows] == [
            ("phone", "+79123456789"),
            ("email", "ivanov@example.ru"),
            ("web", "example.ru/shop"),
            ("messenger", "ivanov"),
        ]
        assert rows[0].value == "8 (912) 345-67-89"
        assert rows[1].value_type == "work"

    def test_empty_values_are_dropped_and_repeats_kept_once(self):
        rows = communications_clean(
            [
                {"kind": "phone", "value": "  "},
                {"kind": "phone", "value": "+7 912 345-67-89"},
                {"kind": "phone", "value": "89123456789"},
            ]
        )
        assert [row.value for row in rows] == ["+7 912 345-67-89"]

    def test_every_bad_item_is_named(self):
        with pytest.raises(ValidationError) as error:
            communications_clean(
                [
                    {"kind": "phone", "value": "позвонить Ивану"},
                    {"kind": "email", "value": "ivanov@"},
                    {"kind": "fax", "value": "123"},
                    {"kind": "phone", "value": "+79123456789", "value_type": "pager"},
                ]
            )
        assert error.value.message_dict["communications"] == [
            "“позвонить Ивану” is not a phone number.",
            "“ivanov@” is not an e-mail address.",
            "Unknown kind of communication “fax”.",
            "Unknown communication type “pager”.",
        ]

    def test_normalize_communication_for_an_unknown_kind_is_none(self):
        assert normalize_communication("fax", "123") is None
        assert normalize_communication("phone", "9123456789") == "+79123456789"


@pytest.mark.django_db
class TestCommunicationsSet:
    def test_replaces_rows_of_one_card_only(self):
        contact, company = ContactFactory(), CompanyFactory()
        communications_set(card=company, items=[{"kind": "phone", "value": "+74951234567"}])
        communications_set(card=contact, items=[{"kind": "phone", "value": "+79123456789"}])

        change = communications_set(
            card=contact, items=[{"kind": "email", "value": "a@example.ru"}]
        )

        assert [row.value for row in contact.communications.all()] == ["a@example.ru"]
        assert [row.value for row in company.communications.all()] == ["+74951234567"]
        assert change[0].old == "+79123456789 (Work)"
        assert change[0].new == "a@example.ru (Work)"

    def test_same_items_report_no_change(self):
        contact = ContactFactory()
        items = [{"kind": "phone", "value": "+79123456789"}]
        communications_set(card=contact, items=items)
        first_id = Communication.objects.get().pk
        assert communications_set(card=contact, items=items) == []
        assert Communication.objects.get().pk == first_id

    def test_creating_reports_no_change(self):
        contact = ContactFactory()
        items = [{"kind": "phone", "value": "+79123456789"}]
        assert communications_set(card=contact, items=items, creating=True) == []
        assert contact.communications.count() == 1
