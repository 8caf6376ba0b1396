"""``crm.{lead,deal}.productrows.{get,set}`` (tier T2)."""

from decimal import Decimal

from django.core.exceptions import ValidationError

from voronka.integrations.bitrix24 import entities as E
from voronka.integrations.bitrix24.methods.crm import load, object_id
from voronka.integrations.bitrix24.params import as_list, as_map, is_empty, to_bool, to_int
from voronka.integrations.bitrix24.registry import CLASSIC, describe, field_names, method
from voronka.integrations.bitrix24.responses import B24Error
from voronka.sales.services.products import product_rows_set


def _number(value) -> float:
    number = float(value or 0)
    return int(number) if number.is_integer() else number


def product_row(row, owner_type: str) -> dict:
    price = Decimal(row.price or 0)
    discount = Decimal(row.discount_percent or 0)
    final = price * (1 - discount / 100)
    return {
        "ID": str(row.pk),
        "OWNER_ID": str(row.lead_id or row.deal_id),
        "OWNER_TYPE": owner_type,
        "PRODUCT_ID": row.product_id or 0,
        "PRODUCT_NAME": row.name,
        "ORIGINAL_PRODUCT_NAME": row.name,
        "PRODUCT_DESCRIPTION": "",
        "PRICE": _number(final),
        "PRICE_EXCLUSIVE": _number(final),
        "PRICE_NETTO": _number(price),
        "PRICE_BRUTTO": _number(price),
        "PRICE_ACCOUNT": f"{final:.2f}",
        "QUANTITY": _number(row.quantity),
        "DISCOUNT_TYPE_ID": 2,
        "DISCOUNT_RATE": _number(discount),
        "DISCOUNT_SUM": _number(price - final),
        "TAX_RATE": _number(row.tax_rate) if row.tax_rate is not None else None,
        "TAX_INCLUDED": "Y" if row.tax_included else "N",
        "CUSTOMIZED": "Y",
        "MEASURE_CODE": 796,
        "MEASURE_NAME": row.unit,
        "SORT": row.sort,
        "XML_ID": "",
        "TYPE": 1,
        "STORE_ID": None,
    }


def _row_in(raw: dict) -> dict:
    item = {str(k).upper(): v for k, v in as_map(raw).items()}
    row = {
        "name": str(item.get("PRODUCT_NAME") or ""),
        "price": str(item.get("PRICE", 0) if not is_empty(item.get("PRICE")) else 0),
        "quantity": str(item.get("QUANTITY", 1) if not is_empty(item.get("QUANTITY")) else 1),
        "tax_included": to_bool(item.get("TAX_INCLUDED"), default=False),
    }
    if to_int(item.get("PRODUCT_ID")):
        row["product"] = to_int(item["PRODUCT_ID"])
    if not is_empty(item.get("DISCOUNT_RATE")):
        row["discount_percent"] = str(item["DISCOUNT_RATE"])
    if not is_empty(item.get("TAX_RATE")):
        row["tax_rate"] = str(item["TAX_RATE"])
    if not is_empty(item.get("MEASURE_NAME")):
        row["unit"] = str(item["MEASURE_NAME"])
    if to_int(item.get("SORT")) is not None:
        row["sort"] = to_int(item["SORT"])
    return row


def _register(type_id: int, owner_type: str) -> None:
    kind = E.KINDS[type_id]
    prefix = f"crm.{kind.name.lower()}.productrows"

    @method(f"{prefix}.get", scope="crm", family=CLASSIC)
    def get(ctx, params):
        card = load(ctx, kind, object_id(params))
        return [product_row(row, owner_type) for row in card.product_rows.order_by("sort", "pk")]

    @method(f"{prefix}.set", scope="crm", family=CLASSIC)
    def set_(ctx, params):
        card = load(ctx, kind, object_id(params))
        rows = [_row_in(row) for row in as_list(params.get("rows"))]
        try:
            with field_names({"product_rows": "rows"}):
                product_rows_set(actor=ctx.user, card=card, rows=rows)
        except ValidationError as error:
            # Bitrix24 answers a wrong row (a discount, a price) with ERROR_CORE.
            raise B24Error("ERROR_CORE", describe(error), 400) from error
        return True


_register(E.LEAD, "L")
_register(E.DEAL, "D")
