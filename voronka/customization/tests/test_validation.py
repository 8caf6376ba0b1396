import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from voronka.customization.models import CustomField
from voronka.customization.validation import clean_custom_fields, custom_field_changes
from voronka.staff.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def field(code="value", field_type="string", **options) -> CustomField:
    options.setdefault("entity", "deal")
    return CustomField.objects.create(
        code=code, label=options.pop("label", code.title()), field_type=field_type, **options
    )


def clean(values, entity="deal", existing=None):
    return clean_custom_fields(entity, values, existing=existing)


def problem(values, code="value", entity="deal") -> list[str]:
    with pytest.raises(ValidationError) as error:
        clean(values, entity)
    return error.value.message_dict[code]


@pytest.mark.parametrize(
    ("field_type", "typed", "stored"),
    [
        ("string", "  Ромашка ", "Ромашка"),
        ("string", 42, "42"),
        ("text", "Строка 1\nСтрока 2", "Строка 1\nСтрока 2"),
        ("url", "https://example.ru/shop", "https://example.ru/shop"),
        ("integer", "1 000", 1000),
        ("integer", 7, 7),
        ("integer", "12.0", 12),
        ("decimal", "12,5", "12.5"),
        ("decimal", 12.5, "12.5"),
        ("decimal", Decimal("0.10"), "0.10"),
        ("date", "23.11.2026", "2026-11-23"),
        ("date", "2026-11-23", "2026-11-23"),
        ("date", datetime.date(2026, 11, 23), "2026-11-23"),
        ("boolean", "да", True),
        ("boolean", "нет", False),
        ("boolean", "1", True),
        ("boolean", False, False),
    ],
)
def test_valid_values_are_stored_in_their_shape(field_type, typed, stored):
    field(field_type=field_type)
    assert clean({"value": typed}) == {"value": stored}


@pytest.mark.parametrize(
    ("field_type", "typed", "message"),
    [
        ("string", "я" * 256, "at most 255 characters"),
        ("string", ["a"], "only one value"),
        ("string", {"a": 1}, "enter text"),
        ("string", True, "enter text"),
        ("url", "example.ru", "http:// or https://"),
        ("url", "ftp://example.ru", "http:// or https://"),
        ("integer", "12.5", "whole number"),
        ("integer", "двенадцать", "whole number"),
        ("integer", True, "whole number"),
        ("integer", 2**60, "whole number"),
        ("decimal", "12,5,6", "enter a number"),
        ("decimal", "NaN", "enter a number"),
        ("decimal", "1e20", "enter a number"),
        ("date", "31.02.2026", "23.11.2026"),
        ("date", "завтра", "23.11.2026"),
        ("datetime", "23.11.2026 25:00", "23.11.2026 14:30"),
        ("boolean", "может быть", "yes or no"),
    ],
)
def test_invalid_values_name_the_field_and_the_problem(field_type, typed, message):
    field(field_type=field_type, label="Поле")
    [text] = problem({"value": typed})
    assert text.startswith("Поле: ")
    assert message in text


class TestMoney:
    @pytest.mark.parametrize(
        "typed",
        [
            {"amount": "12500", "currency": "RUB"},
            "12500|RUB",
            "12 500,00",
            12500,
        ],
    )
    def test_money_in_all_its_forms(self, typed):
        field(field_type="money")
        assert clean({"value": typed}) == {"value": {"amount": "12500.00", "currency": "RUB"}}

    def test_other_currency_and_rounding_to_kopecks(self):
        field(field_type="money")
        assert clean({"value": "99.995|USD"}) == {"value": {"amount": "100.00", "currency": "USD"}}

    def test_unknown_currency(self):
        field(field_type="money")
        assert "unknown currency “XYZ”" in problem({"value": "10|XYZ"})[0]

    def test_amount_that_is_not_a_number(self):
        field(field_type="money")
        assert "enter a number" in problem({"value": {"amount": "много", "currency": "RUB"}})[0]


class TestDatetime:
    def test_russian_format_is_made_aware_in_the_current_timezone(self):
        field(field_type="datetime")
        stored = clean({"value": "23.11.2026 14:30"})["value"]
        parsed = datetime.datetime.fromisoformat(stored)
        assert parsed.tzinfo is not None
        assert timezone.localtime(parsed).strftime("%d.%m.%Y %H:%M") == "23.11.2026 14:30"

    def test_iso_with_offset_keeps_the_offset(self):
        field(field_type="datetime")
        assert clean({"value": "2026-11-23T14:30:00+05:00"}) == {
            "value": "2026-11-23T14:30:00+05:00"
        }


class TestList:
    def test_option_ids(self):
        field(field_type="list", options=[{"id": "a", "label": "A"}, {"id": 2, "label": "B"}])
        assert clean({"value": "a"}) == {"value": "a"}
        assert clean({"value": 2}) == {"value": "2"}
        assert "choose one of the offered values" in problem({"value": "z"})[0]


class TestEmployee:
    def test_active_employee(self):
        field(field_type="employee")
        user = UserFactory()
        assert clean({"value": str(user.pk)}) == {"value": user.pk}

    def test_inactive_or_missing_employee(self):
        field(field_type="employee")
        fired = UserFactory(is_active=False)
        assert "no such active employee" in problem({"value": fired.pk})[0]
        assert "no such active employee" in problem({"value": 999999})[0]
        assert "choose an employee" in problem({"value": "Иванов"})[0]


class TestCrmLink:
    def test_link_to_an_existing_card(self):
        from voronka.contacts.tests.factories import ContactFactory

        field(field_type="crm_link")
        contact = ContactFactory()
        assert clean({"value": {"entity": "contact", "id": str(contact.pk)}}) == {
            "value": {"entity": "contact", "id": contact.pk}
        }

    def test_missing_card_and_wrong_shape(self):
        field(field_type="crm_link")
        assert "does not exist" in problem({"value": {"entity": "contact", "id": 999999}})[0]
        assert "choose a CRM card" in problem({"value": "contact 5"})[0]

    def test_link_limited_to_some_entities(self):
        field(field_type="crm_link", settings={"entities": ["company"]})
        assert "cannot be linked here" in problem({"value": {"entity": "contact", "id": 1}})[0]


class TestMultiple:
    def test_multiple_values_are_a_list_and_empty_items_are_dropped(self):
        field(field_type="integer", multiple=True)
        assert clean({"value": ["1", "", 2, None]}) == {"value": [1, 2]}

    def test_single_value_for_a_multiple_field_becomes_a_list(self):
        field(field_type="date", multiple=True)
        assert clean({"value": "23.11.2026"}) == {"value": ["2026-11-23"]}

    def test_one_bad_item_fails_the_field(self):
        field(field_type="integer", multiple=True, label="Числа")
        assert problem({"value": [1, "два"]}) == ["Числа: enter a whole number."]

    def test_multiple_employees_must_all_exist(self):
        field(field_type="employee", multiple=True)
        user = UserFactory()
        assert clean({"value": [user.pk]}) == {"value": [user.pk]}
        assert "no such active employee" in problem({"value": [user.pk, 999999]})[0]


class TestRequiredAndUnknown:
    def test_required_field_must_be_filled(self):
        field(code="budget", field_type="money", required=True, label="Бюджет")
        assert problem({}, code="budget") == ["Бюджет: this field is required."]
        assert problem({"budget": ""}, code="budget") == ["Бюджет: this field is required."]

    def test_required_field_already_filled_on_the_card_passes(self):
        field(code="budget", field_type="integer", required=True)
        assert clean({}, existing={"budget": 5}) == {"budget": 5}

    def test_clearing_a_required_field_fails(self):
        field(code="budget", field_type="integer", required=True)
        with pytest.raises(ValidationError):
            clean({"budget": None}, existing={"budget": 5})

    def test_unknown_code_is_named(self):
        assert problem({"nope": 1}, code="nope") == ["Unknown field “nope”."]

    def test_fields_of_other_entities_and_inactive_fields_are_unknown(self):
        field(code="lead_only", entity="lead")
        field(code="retired", is_active=False)
        with pytest.raises(ValidationError) as error:
            clean({"lead_only": "x", "retired": "y"})
        assert set(error.value.message_dict) == {"lead_only", "retired"}

    def test_every_bad_field_is_reported_at_once(self):
        field(code="count", field_type="integer")
        field(code="when", field_type="date")
        with pytest.raises(ValidationError) as error:
            clean({"count": "x", "when": "y", "nope": 1})
        assert set(error.value.message_dict) == {"count", "when", "nope"}

    def test_values_must_be_an_object(self):
        with pytest.raises(ValidationError) as error:
            clean(["a"])
        assert "custom_fields" in error.value.message_dict

    def test_emptying_a_value_removes_it_and_keeps_the_others(self):
        field(code="first")
        field(code="second")
        existing = {"first": "a", "second": "b"}
        assert clean({"first": ""}, existing=existing) == {"second": "b"}


def test_custom_field_changes_name_each_changed_field_with_its_label():
    field(code="budget", field_type="integer", label="Бюджет")
    changes = custom_field_changes("deal", {"budget": 5, "gone": 1}, {"budget": 7})
    assert [(c.field, c.label, c.old, c.new) for c in changes] == [
        ("custom_fields.budget", "Бюджет", 5, 7),
        ("custom_fields.gone", "gone", 1, None),
    ]
