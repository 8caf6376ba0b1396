"""Product rows on leads and deals: while there are rows, the card's amount is their total."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from voronka.access.models import Action
from voronka.access.predicates import require, unchanged_fields_only
from voronka.core.changes import FieldChange
from voronka.core.concurrency import lock_alive_card, save_new_version
from voronka.core.events import publish
from voronka.core.money import quantize
from voronka.sales.events import DealUpdated, LeadUpdated
from voronka.sales.models import Deal, Lead, Product, ProductRow
from voronka.sales.services.common import Card, actor_id
from voronka.timeline.services import record_field_changes

ROW_KEYS = frozenset(
    {
        "product",
        "product_id",
        "name",
        "price",
        "quantity",
        "unit",
        "discount_percent",
        "tax_rate",
        "tax_included",
        "sort",
    }
)
_DECIMAL_KEYS = ("price", "quantity", "discount_percent", "tax_rate")


@dataclass(frozen=True)
class ProductTotals:
    """Sums of product rows in kopecks: without VAT, the VAT, and what the client pays."""

    net: Decimal
    tax: Decimal
    total: Decimal


def product_rows_total(rows: list[ProductRow]) -> ProductTotals:
    total = sum((row.subtotal for row in rows), Decimal("0.00"))
    tax = sum((row.tax_amount for row in rows), Decimal("0.00"))
    return ProductTotals(net=quantize(total - tax), tax=quantize(tax), total=quantize(total))


def _row_problem(number: int, message: str) -> str:
    return _("Row %(number)s: %(problem)s") % {"number": number, "problem": message}


def _resolve_product(value: Any) -> Product | None:
    if value in (None, ""):
        return None
    if isinstance(value, Product):
        return value
    try:
        return Product.objects.filter(pk=int(value)).first()
    except (TypeError, ValueError):
        return None


def product_rows_clean(rows: list[dict[str, Any]]) -> list[ProductRow]:
    """Unsaved rows from ``[{"product", "name", "price", "quantity", "discount_percent",
    "tax_rate", "tax_included", "unit"}]``; a product fills the name, price, unit and VAT the
    row leaves out. Every problem of every row is named in one ValidationError."""
    if not isinstance(rows, list | tuple):
        raise ValidationError({"product_rows": _("Product rows must be a list.")})
    problems: list[str] = []
    cleaned: list[ProductRow] = []
    for number, item in enumerate(rows, start=1):
        if not isinstance(item, dict):
            problems.append(_row_problem(number, _("a row must be an object.")))
            continue
        unknown = sorted(set(item) - ROW_KEYS)
        if unknown:
            problems.append(
                _row_problem(number, _("unknown keys %(keys)s.") % {"keys": ", ".join(unknown)})
            )
            continue
        product_value = item.get("product", item.get("product_id"))
        product = _resolve_product(product_value)
        if product_value not in (None, "") and product is None:
            problems.append(_row_problem(number, _("there is no such product.")))
            continue
        try:
            sort = int(item.get("sort", number))
        except (TypeError, ValueError, OverflowError):
            problems.append(_row_problem(number, _("the order must be a whole number.")))
            continue
        row = ProductRow(
            product=product,
            name=str(item.get("name") or (product.name if product else "")).strip(),
            unit=str(item.get("unit") or (product.unit if product else "шт")).strip(),
            tax_included=bool(item.get("tax_included", product.vat_included if product else True)),
            sort=sort,
        )
        defaults = {
            "price": product.price if product else None,
            "quantity": 1,
            "discount_percent": 0,
            "tax_rate": product.vat_rate if product else None,
        }
        row_problems: list[str] = []
        for key in _DECIMAL_KEYS:
            raw = item.get(key, defaults[key])
            if isinstance(raw, str):
                raw = raw.replace(" ", "").replace("\u00a0", "").replace(",", ".") or None
            if isinstance(raw, float):
                raw = str(raw)  # the shortest exact spelling, never the binary fraction
            field = ProductRow._meta.get_field(key)
            if raw is None and not field.null:
                row_problems.append(_("enter the %(field)s.") % {"field": field.verbose_name})
                continue
            try:
                setattr(row, key, field.clean(raw, row))
            except ValidationError as error:
                row_problems.extend(
                    f"{field.verbose_name}: {message}" for message in error.messages
                )
        if not row.name:
            row_problems.append(_("enter the name of the product or service."))
        if row.price is not None and row.price < 0:
            row_problems.append(_("the price cannot be negative."))
        if row.quantity is not None and row.quantity <= 0:
            row_problems.append(_("the quantity must be greater than zero."))
        if row.discount_percent is not None and not 0 <= row.discount_percent <= 100:
            row_problems.append(_("the discount must be from 0 to 100%."))
        if row.tax_rate is not None and not 0 <= row.tax_rate <= 100:
            row_problems.append(_("the VAT rate must be from 0 to 100%, or none."))
        if row_problems:
            problems.extend(_row_problem(number, message) for message in row_problems)
            continue
        cleaned.append(row)
    if problems:
        raise ValidationError({"product_rows": problems})
    return cleaned


def _describe(rows: list[ProductRow]) -> str | None:
    parts = [f"{row.name} × {row.quantity.normalize():f} = {row.subtotal}" for row in rows]
    return "; ".join(parts) or None


def write_product_rows(
    card: Card, rows: list[ProductRow], *, creating: bool = False
) -> tuple[list[FieldChange], list[str]]:
    """Replace the saved rows of a locked ``card`` with ``rows`` and set its amount from them.

    Returns the history changes and the card columns that changed (the caller saves them).
    """
    owner = {"lead": card} if isinstance(card, Lead) else {"deal": card}
    existing = [] if creating else list(card.product_rows.order_by("sort", "pk"))
    changes: list[FieldChange] = []
    if existing:
        ProductRow.objects.filter(pk__in=[row.pk for row in existing]).delete()
    for row in rows:
        for key, value in owner.items():
            setattr(row, key, value)
    ProductRow.objects.bulk_create(rows)
    old_text, new_text = _describe(existing), _describe(rows)
    if old_text != new_text and not creating:
        changes.append(
            FieldChange(field="product_rows", label=_("Products"), old=old_text, new=new_text)
        )
    update_fields: list[str] = []
    from_products = bool(rows)
    if card.amount_from_products != from_products:
        card.amount_from_products = from_products
        update_fields.append("amount_from_products")
    if rows:
        total = product_rows_total(rows).total
        if total != card.amount:
            if not creating:
                changes.append(
                    FieldChange(
                        field="amount",
                        label=str(type(card)._meta.get_field("amount").verbose_name),
                        old=str(card.amount),
                        new=str(total),
                    )
                )
            card.amount = total
            update_fields.append("amount")
    return changes, update_fields


def product_rows_set(
    *,
    actor,
    card: Card,
    rows: list[dict[str, Any]],
    expected_version: int | None = None,
) -> list[ProductRow]:
    """Replace the product rows of a lead or a deal.

    With rows, the card's amount becomes their total (VAT included) and is no longer typed by
    hand; an empty list removes the rows and lets the amount be typed again. Needs the right to
    change the card, and the rows (and the amount they set) not read-only for the actor.
    """
    cleaned = product_rows_clean(rows)
    with transaction.atomic():
        card = lock_alive_card(card, expected_version)
        require(actor, Action.UPDATE, card)
        changes, update_fields = write_product_rows(card, cleaned)
        unchanged_fields_only(
            actor,
            "lead" if isinstance(card, Lead) else "deal",
            {change.field for change in changes}
            | ({"amount"} if "amount" in update_fields else set()),
        )
        if update_fields or changes:
            save_new_version(card, update_fields)
        if changes:
            record_field_changes(actor=actor, card=card, changes=changes)
            fields = tuple(change.field for change in changes)
            if isinstance(card, Lead):
                publish(LeadUpdated(actor_id=actor_id(actor), lead_id=card.pk, fields=fields))
            elif isinstance(card, Deal):
                publish(DealUpdated(actor_id=actor_id(actor), deal_id=card.pk, fields=fields))
    return cleaned
