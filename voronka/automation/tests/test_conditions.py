"""Each operator over standard and custom fields, and the trace that explains the answer."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from voronka.automation.conditions import evaluate, validate_condition
from voronka.customization.models import CustomField, EntityType, FieldType
from voronka.sales.models import Deal
from voronka.sales.tests.factories import DealFactory, SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def fields(db):
    CustomField.objects.create(
        entity=EntityType.DEAL,
        code="region",
        label="Region",
        field_type=FieldType.LIST,
        options=[{"id": "r1", "label": "Moscow"}, {"id": "r2", "label": "Kazan"}],
    )
    CustomField.objects.create(
        entity=EntityType.DEAL, code="budget", label="Budget", field_type=FieldType.MONEY
    )
    CustomField.objects.create(
        entity=EntityType.DEAL,
        code="tags",
        label="Tags",
        field_type=FieldType.LIST,
        multiple=True,
        options=[{"id": "t1", "label": "VIP"}, {"id": "t2", "label": "Opt"}],
    )
    CustomField.objects.create(
        entity=EntityType.DEAL, code="signed", label="Signed", field_type=FieldType.DATE
    )


@pytest.fixture
def deal(fields):
    return DealFactory(
        title="Поставка станков ЧПУ",
        amount=Decimal("150000.00"),
        probability=40,
        closes_on=datetime.date(2026, 12, 1),
        custom_fields={
            "region": "r1",
            "budget": {"amount": "90000.00", "currency": "RUB"},
            "tags": ["t1"],
            "signed": "2026-11-20",
        },
    )


def holds(deal, *rules, join="and"):
    result, _trace = evaluate(deal, {"join": join, "rules": list(rules)})
    return result


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"field": "amount", "op": "eq", "value": "150000"}, True),
        ({"field": "amount", "op": "eq", "value": "150 000,00"}, True),
        ({"field": "amount", "op": "ne", "value": "150000"}, False),
        ({"field": "amount", "op": "gt", "value": "100000"}, True),
        ({"field": "amount", "op": "gt", "value": "150000"}, False),
        ({"field": "amount", "op": "gte", "value": "150000"}, True),
        ({"field": "amount", "op": "lt", "value": "150000"}, False),
        ({"field": "amount", "op": "lte", "value": "150000"}, True),
        ({"field": "probability", "op": "lt", "value": 50}, True),
        ({"field": "closes_on", "op": "gte", "value": "2026-11-30"}, True),
        ({"field": "closes_on", "op": "lt", "value": "30.11.2026"}, False),
        ({"field": "title", "op": "contains", "value": "чпу"}, True),
        ({"field": "title", "op": "contains", "value": "лазер"}, False),
        ({"field": "title", "op": "eq", "value": "поставка станков чпу"}, True),
        ({"field": "comment", "op": "empty"}, True),
        ({"field": "comment", "op": "not_empty"}, False),
        ({"field": "closes_on", "op": "not_empty"}, True),
        ({"field": "source", "op": "empty"}, True),
        ({"field": "amount", "op": "in", "value": ["100", "150000"]}, True),
        ({"field": "probability", "op": "in", "value": "10,20,30"}, False),
        ({"field": "region", "op": "eq", "value": "r1"}, True),
        ({"field": "region", "op": "in", "value": ["r2", "r3"]}, False),
        ({"field": "budget", "op": "gt", "value": "80000"}, True),
        ({"field": "budget", "op": "lte", "value": "80000"}, False),
        ({"field": "tags", "op": "contains", "value": "t1"}, True),
        ({"field": "tags", "op": "contains", "value": "t2"}, False),
        ({"field": "tags", "op": "in", "value": ["t2", "t1"]}, True),
        ({"field": "tags", "op": "eq", "value": "t1"}, True),
        ({"field": "signed", "op": "lt", "value": "2026-11-21"}, True),
        ({"field": "signed", "op": "empty"}, False),
    ],
)
def test_operator(deal, rule, expected):
    assert holds(deal, rule) is expected


def test_a_reference_compares_by_id(deal):
    source = SourceFactory()
    Deal.objects.filter(pk=deal.pk).update(source=source)
    deal.refresh_from_db()

    assert holds(deal, {"field": "source", "op": "eq", "value": source.pk})
    assert holds(deal, {"field": "source_id", "op": "in", "value": [source.pk, 999]})


def test_and_needs_every_rule_or_needs_one(deal):
    high = {"field": "amount", "op": "gte", "value": "100000"}
    kazan = {"field": "region", "op": "eq", "value": "r2"}

    assert holds(deal, high, kazan, join="and") is False
    assert holds(deal, high, kazan, join="or") is True


def test_no_condition_always_holds(deal):
    assert evaluate(deal, {}) == (
        True,
        {
            "join": "and",
            "rules": [],
            "result": True,
            "text": "No condition: the robot always runs.",
        },
    )


def test_the_trace_names_each_rule_with_the_values(deal):
    result, trace = evaluate(
        deal,
        {
            "join": "and",
            "rules": [
                {"field": "amount", "op": "gte", "value": "100000"},
                {"field": "comment", "op": "not_empty"},
            ],
        },
    )

    assert result is False
    assert [rule["text"] for rule in trace["rules"]] == [
        "Amount ≥ 100000: 150000 → yes",
        "Comment is filled: — → no",
    ]
    assert trace["rules"][0]["actual"] == "150000"
    assert trace["text"] == "Amount ≥ 100000: 150000 → yes; Comment is filled: — → no"


def test_validation_names_each_bad_rule(fields):
    with pytest.raises(ValidationError) as error:
        validate_condition(
            Deal,
            {
                "join": "xor",
                "rules": [
                    {"field": "nope", "op": "eq", "value": 1},
                    {"field": "title", "op": "gt", "value": "a"},
                    {"field": "amount", "op": "between", "value": 1},
                    {"field": "amount", "op": "eq"},
                ],
            },
        )

    assert error.value.messages == [
        "Join the rules with “and” or “or”.",
        "Rule 1: unknown field “nope”.",
        "Rule 2: “title” cannot be compared as greater or less.",
        "Rule 3: unknown operator “between”.",
        "Rule 4: give a value to compare with.",
    ]


def test_validation_accepts_custom_fields_and_empty_conditions(fields):
    validate_condition(Deal, {})
    validate_condition(Deal, {"rules": [{"field": "budget", "op": "gte", "value": "1"}]})
