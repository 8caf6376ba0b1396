"""Input shape of the card forms: what reaches the services."""

import pytest
from django.http import QueryDict

from voronka.sales.forms import LeadCreateForm, LeadPersonForm, ProductRowsForm, plain_number

pytestmark = pytest.mark.django_db


def test_product_rows_form_collects_rows_and_skips_empty_lines():
    data = QueryDict(mutable=True)
    for name, values in {
        "row_product": ["", ""],
        "row_name": ["Монтаж", ""],
        "row_price": ["1 500,50", ""],
        "row_quantity": ["", ""],
        "row_unit": ["ч", "шт"],
        "row_discount": ["", "0"],
        "row_tax_rate": ["20", ""],
        "row_tax_included": ["0", "1"],
    }.items():
        data.setlist(name, values)
    form = ProductRowsForm(data)
    assert form.is_valid()
    assert form.cleaned_data["rows"] == [
        {
            "name": "Монтаж",
            "price": "1 500,50",
            "quantity": "1",
            "unit": "ч",
            "discount_percent": "0",
            "tax_rate": "20",
            "tax_included": False,
            "sort": 1,
        }
    ]


def test_lead_person_form_keeps_communications_in_order():
    data = QueryDict(mutable=True)
    data.setlist("comm_kind", ["phone", "email"])
    data.setlist("comm_type", ["mobile", "work"])
    data.setlist("comm_value", ["+7 900 000-00-00", " "])
    form = LeadPersonForm(data)
    assert form.is_valid()
    assert form.cleaned_data["communications"] == [
        {"kind": "phone", "value_type": "mobile", "value": "+7 900 000-00-00"}
    ]


def test_lead_create_form_needs_a_title_or_a_name(manager):
    form = LeadCreateForm({"currency": "RUB", "responsible": manager.pk})
    assert not form.is_valid()
    assert form.errors["title"] == ["Enter a title, a name or a company name."]


def test_plain_number_has_no_exponent():
    from decimal import Decimal

    assert plain_number(Decimal("20.00")) == "20"
    assert plain_number(Decimal("1.500")) == "1.5"
    assert plain_number(None) == ""
