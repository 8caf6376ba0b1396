from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from voronka.automation.expressions import evaluate, names_in
from voronka.automation.templating import render


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("amount * 0.3", Decimal("300.0")),
        ("round(amount / 3, 2)", Decimal("333.33")),
        ("-amount + 10", Decimal("-990")),
        ("max(amount - 2000, 0)", Decimal("0")),
        ("amount % 300 // 1", Decimal("100")),
        ("abs(discount - amount)", Decimal("950")),
    ],
)
def test_arithmetic_over_fields(expression, expected):
    assert evaluate(expression, {"amount": Decimal(1000), "discount": Decimal(50)}) == expected


@pytest.mark.parametrize(
    "expression",
    [
        "__import__('os').system('id')",
        "amount.__class__",
        "amount ** 99999999",
        "'text' * 3",
        "[1, 2]",
        "lambda: 1",
        "open('/etc/passwd')",
        "round(amount, ndigits=2)",
        "True + 1",
    ],
)
def test_anything_but_arithmetic_is_refused(expression):
    with pytest.raises(ValidationError):
        evaluate(expression, {"amount": Decimal(1)})


def test_division_by_zero_is_an_error():
    with pytest.raises(ValidationError, match="divides by zero"):
        evaluate("amount / 0", {"amount": Decimal(1)})


def test_unknown_field_is_an_error_and_names_are_listed():
    with pytest.raises(ValidationError, match="Unknown number field “price”"):
        evaluate("price * 2", {})
    assert names_in("round(amount * rate, 2)") == {"amount", "rate"}


def test_templates_render_plain_text_without_escaping():
    assert render(
        "{{ deal.title }} <{{ deal.amount }}>", {"deal": {"title": "A & B", "amount": 5}}
    ) == ("A & B <5>")


@pytest.mark.parametrize(
    "text",
    [
        "{% load static %}",
        "{% include 'base.html' %}",
        "{% url 'home' %}",
        "{% debug %}",
        "{% csrf_token %}",
    ],
)
def test_templates_cannot_reach_outside(text):
    with pytest.raises(ValidationError, match="Template error"):
        render(text, {})


def test_missing_values_render_empty():
    assert render("[{{ deal.nothing }}]", {"deal": {}}) == "[]"
