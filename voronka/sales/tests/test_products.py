from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from voronka.sales.models import ProductRow
from voronka.sales.services import (
    deal_create,
    deal_update,
    lead_create,
    product_rows_set,
    product_rows_total,
)
from voronka.sales.tests.factories import ProductFactory
from voronka.timeline.models import EntryKind, TimelineEntry

pytestmark = pytest.mark.django_db


def row(**values):
    values.setdefault("name", "Услуга")
    values.setdefault("quantity", Decimal(1))
    values.setdefault("discount_percent", Decimal(0))
    values.setdefault("tax_included", True)
    values.setdefault("tax_rate", None)
    return ProductRow(**values)


def test_total_without_vat():
    totals = product_rows_total(
        [row(price=Decimal("100.00"), quantity=Decimal(3)), row(price=Decimal("0.50"))]
    )
    assert (totals.net, totals.tax, totals.total) == (
        Decimal("300.50"),
        Decimal("0.00"),
        Decimal("300.50"),
    )


def test_vat_included_in_the_price_is_taken_out_of_the_total():
    totals = product_rows_total([row(price=Decimal("120.00"), tax_rate=Decimal(20))])
    assert (totals.net, totals.tax, totals.total) == (
        Decimal("100.00"),
        Decimal("20.00"),
        Decimal("120.00"),
    )


def test_vat_on_top_is_added_to_the_total():
    totals = product_rows_total(
        [row(price=Decimal("100.00"), tax_rate=Decimal(20), tax_included=False)]
    )
    assert (totals.net, totals.tax, totals.total) == (
        Decimal("100.00"),
        Decimal("20.00"),
        Decimal("120.00"),
    )


def test_zero_rate_differs_from_no_vat_only_in_meaning():
    assert product_rows_total([row(price=Decimal(10), tax_rate=Decimal(0))]).tax == 0
    assert product_rows_total([row(price=Decimal(10))]).total == Decimal("10.00")


def test_discount_applies_before_quantity_and_vat():
    totals = product_rows_total(
        [
            row(
                price=Decimal("1000.00"),
                quantity=Decimal(2),
                discount_percent=Decimal("15"),
                tax_rate=Decimal(10),
                tax_included=False,
            )
        ]
    )
    assert totals.net == Decimal("1700.00")
    assert totals.tax == Decimal("170.00")
    assert totals.total == Decimal("1870.00")


def test_every_step_rounds_to_kopecks_half_up():
    # 33.335 → 33.34 a unit; × 3 = 100.02; VAT 20% on top = 120.024 → 120.02.
    single = row(price=Decimal("66.67"), discount_percent=Decimal(50))
    assert single.price_after_discount == Decimal("33.34")
    totals = product_rows_total(
        [
            row(
                price=Decimal("66.67"),
                discount_percent=Decimal(50),
                quantity=Decimal(3),
                tax_rate=Decimal(20),
                tax_included=False,
            )
        ]
    )
    assert totals.total == Decimal("120.02")
    assert totals.tax == Decimal("20.00")
    assert totals.net + totals.tax == totals.total


def test_fractional_quantities_round_the_row_total():
    totals = product_rows_total([row(price=Decimal("99.99"), quantity=Decimal("0.333"))])
    assert totals.total == Decimal("33.30")


def test_rows_set_the_deal_amount_with_history(manager):
    deal = deal_create(actor=manager, data={"title": "x", "amount": "10"})
    rows = product_rows_set(
        actor=manager,
        card=deal,
        rows=[
            {"name": "Станок", "price": "1000", "quantity": 2, "tax_rate": 20},
            {"name": "Доставка", "price": "500", "tax_rate": 20, "tax_included": False},
        ],
    )
    assert len(rows) == 2
    deal.refresh_from_db()
    assert deal.amount == Decimal("2600.00")
    assert deal.amount_from_products is True
    assert deal.version == 2
    fields = TimelineEntry.objects.filter(
        card_id=deal.pk, kind=EntryKind.FIELD_CHANGED, card_type__model="deal"
    ).values_list("payload__field", flat=True)
    assert set(fields) == {"product_rows", "amount"}


def test_rows_take_name_price_unit_and_vat_from_the_product(manager):
    product = ProductFactory(
        name="Фреза", price=Decimal("250.00"), unit="кг", vat_rate=10, vat_included=False
    )
    lead = lead_create(actor=manager, data={"title": "x"})
    [saved] = product_rows_set(
        actor=manager, card=lead, rows=[{"product": product.pk, "quantity": 2}]
    )
    assert (saved.name, saved.price, saved.unit) == ("Фреза", Decimal("250.00"), "кг")
    assert (saved.tax_rate, saved.tax_included) == (Decimal(10), False)
    lead.refresh_from_db()
    assert lead.amount == Decimal("550.00")


def test_an_empty_list_clears_rows_and_lets_the_amount_be_typed(manager):
    deal = deal_create(
        actor=manager, data={"title": "x"}, product_rows=[{"name": "Станок", "price": "10"}]
    )
    product_rows_set(actor=manager, card=deal, rows=[])
    deal.refresh_from_db()
    assert not deal.product_rows.exists()
    assert deal.amount_from_products is False
    assert deal.amount == Decimal("10.00")
    deal = deal_update(actor=manager, deal=deal, data={"amount": "15"})
    assert deal.amount == Decimal("15")


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"price": "-1"}, "price cannot be negative"),
        ({"quantity": 0}, "quantity must be greater than zero"),
        ({"quantity": "-2"}, "quantity must be greater than zero"),
        ({"discount_percent": 101}, "discount must be from 0 to 100"),
        ({"discount_percent": -5}, "discount must be from 0 to 100"),
        ({"tax_rate": 120}, "VAT rate must be from 0 to 100"),
        ({"price": "abc"}, "price"),
        ({"name": ""}, "name of the product"),
        ({"product": 999999}, "no such product"),
        ({"colour": "red"}, "unknown keys"),
        ({"sort": "first"}, "order must be a whole number"),
        ({"sort": None}, "order must be a whole number"),
    ],
)
def test_invalid_rows_are_refused_and_nothing_changes(manager, values, problem):
    deal = deal_create(
        actor=manager, data={"title": "x"}, product_rows=[{"name": "Станок", "price": "10"}]
    )
    with pytest.raises(ValidationError) as error:
        product_rows_set(
            actor=manager,
            card=deal,
            rows=[{"name": "Хорошая", "price": "1"}, {"name": "Строка", "price": "5", **values}],
        )
    [message] = error.value.message_dict["product_rows"]
    assert message.startswith("Row 2:")
    assert problem in message
    assert list(deal.product_rows.values_list("name", flat=True)) == ["Станок"]


@pytest.mark.parametrize("rate", [None, 0, 10, 20, "7.5", 100])
def test_vat_rates_from_none_to_100_are_accepted(manager, rate):
    lead = lead_create(actor=manager, data={"title": "x"})
    [saved] = product_rows_set(
        actor=manager, card=lead, rows=[{"name": "a", "price": "1", "tax_rate": rate}]
    )
    assert saved.tax_rate == (None if rate is None else Decimal(str(rate)))
