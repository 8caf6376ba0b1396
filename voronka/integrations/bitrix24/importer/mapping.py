"""Pure conversions of Bitrix24 values into ours: text, numbers, dates, money, multifields,
stage codes and semantics, user-field types and values, product rows. No database here
except what a caller passes in."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from voronka.contacts.models import CommunicationKind, CommunicationValueType
from voronka.contacts.services.communications import normalize_communication
from voronka.core.money import Currency
from voronka.customization.models import FieldType
from voronka.integrations.bitrix24.values import parse_when
from voronka.sales.models import StageKind


class Problem(ValueError):
    """A record that cannot be imported as it is; the message says why."""


def text(value: Any, limit: int | None = None) -> str:
    if value is None or isinstance(value, dict | list):
        return ""
    result = str(value).strip()
    return result[:limit] if limit else result


def to_int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            return None
        return int(number) if number == number.to_integral_value() else None


def flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value or "").strip().upper() in ("Y", "1", "TRUE")


def money(value: Any) -> str:
    """A non-negative amount with two decimals as text (``"15000.00"``); empty is zero."""
    if value in (None, ""):
        return "0.00"
    try:
        number = Decimal(str(value).replace(" ", "").replace(",", "."))
    except InvalidOperation:
        raise Problem(f"“{value}” is not an amount") from None
    if not number.is_finite() or number < 0:
        raise Problem(f"“{value}” is not an amount")
    return f"{number.quantize(Decimal('0.01'))}"


def currency(value: Any, default: str) -> str:
    code = text(value).upper()
    return code if code in Currency.values else default


def when(value: Any) -> str | None:
    """An ISO datetime (aware) of a Bitrix24 date-time, or None when empty or unreadable."""
    try:
        moment = parse_when(value)
    except ValueError:
        return None
    if moment is None:
        return None
    if not isinstance(moment, datetime.datetime):
        return None
    return moment.isoformat()


def day(value: Any) -> str | None:
    """An ISO date of a Bitrix24 date (sent as midnight with an offset), or None."""
    try:
        moment = parse_when(value, date_only=True)
    except ValueError:
        return None
    return moment.isoformat() if moment else None


HONORIFICS = {
    "HNR_RU_1": "г-н",
    "HNR_RU_2": "г-жа",
    "HNR_EN_1": "Mr.",
    "HNR_EN_2": "Mrs.",
    "HNR_EN_3": "Ms.",
    "HNR_EN_4": "Dr.",
}


def honorific(value: Any) -> str:
    """A form of address: the standard codes of Bitrix24 as words, anything else as it is."""
    code = text(value)
    return HONORIFICS.get(code.upper(), code)[:50]


# --- multifields --------------------------------------------------------------------------

MULTIFIELDS = {
    "PHONE": CommunicationKind.PHONE,
    "EMAIL": CommunicationKind.EMAIL,
    "WEB": CommunicationKind.WEB,
    "IM": CommunicationKind.MESSENGER,
}
VALUE_TYPES = {
    "WORK": CommunicationValueType.WORK,
    "MOBILE": CommunicationValueType.MOBILE,
    "HOME": CommunicationValueType.HOME,
    "TELEGRAM": CommunicationValueType.TELEGRAM,
    "WHATSAPP": CommunicationValueType.WHATSAPP,
    "VIBER": CommunicationValueType.VIBER,
    "VK": CommunicationValueType.VK,
}


def communications(record: dict) -> tuple[list[dict], list[str]]:
    """Our ``[{"kind", "value", "value_type"}]`` from PHONE / EMAIL / WEB / IM, and the values
    left out because they cannot be a phone, an e-mail… (the card is imported without them)."""
    items: list[dict] = []
    dropped: list[str] = []
    for name, kind in MULTIFIELDS.items():
        for entry in record.get(name) or []:
            if not isinstance(entry, dict):
                continue
            value = text(entry.get("VALUE"), 255)
            if not value:
                continue
            if normalize_communication(kind, value) is None:
                dropped.append(f"{name} “{value}”")
                continue
            value_type = VALUE_TYPES.get(
                text(entry.get("VALUE_TYPE")).upper(), CommunicationValueType.OTHER
            )
            items.append({"kind": kind, "value": value, "value_type": value_type})
    return items, dropped


# --- stages -------------------------------------------------------------------------------

_STAGE = re.compile(r"^C(\d+):(.+)$", flags=re.IGNORECASE)


def split_stage(status_id: Any) -> tuple[int, str]:
    """``"C5:NEW"`` → (5, "NEW"); ``"WON"`` → (0, "WON")."""
    value = text(status_id)
    match = _STAGE.match(value)
    if match:
        return int(match.group(1)), match.group(2)
    return 0, value


def stage_code(status_id: Any) -> str:
    """Our stage code of a Bitrix24 status: lower case, without the pipeline prefix."""
    code = split_stage(status_id)[1].lower()
    code = re.sub(r"[^a-z0-9_]+", "_", code).strip("_") or "stage"
    return code[:50]


def stage_kind(row: dict) -> str:
    semantics = text(row.get("SEMANTICS")).upper()
    extra = row.get("EXTRA") if isinstance(row.get("EXTRA"), dict) else {}
    extra_semantics = text(extra.get("SEMANTICS")).lower()
    if semantics == "S" or extra_semantics == "success":
        return StageKind.WON
    if semantics == "F" or extra_semantics in ("failure", "apology"):
        return StageKind.LOST
    return StageKind.OPEN


def color(value: Any) -> str | None:
    code = text(value)
    if re.fullmatch(r"#?[0-9A-Fa-f]{6}", code):
        return "#" + code.lstrip("#").lower()
    return None


# --- user fields --------------------------------------------------------------------------

USER_FIELD_TYPES = {
    "string": FieldType.STRING,
    "integer": FieldType.INTEGER,
    "double": FieldType.DECIMAL,
    "money": FieldType.MONEY,
    "date": FieldType.DATE,
    "datetime": FieldType.DATETIME,
    "boolean": FieldType.BOOLEAN,
    "enumeration": FieldType.LIST,
    "employee": FieldType.EMPLOYEE,
    "crm": FieldType.CRM_LINK,
    "url": FieldType.URL,
}
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,49}$")


def field_code(name: str) -> str:
    """Our custom field code of ``UF_CRM_…``: ``UF_CRM_BUDGET`` → ``budget``; a code that
    would start with a digit (``UF_CRM_1612345678``) keeps a ``uf_`` prefix."""
    code = re.sub(r"[^a-z0-9_]+", "_", name.upper().removeprefix("UF_CRM_").lower()).strip("_")
    if not _CODE.match(code):
        code = f"uf_{code}"[:50]
    return code


CRM_PREFIXES = {"L": "lead", "D": "deal", "C": "contact", "CO": "company"}


def crm_link(value: Any) -> tuple[str, str] | None:
    """``"CO_12"`` → ("company", "12"); a bare id cannot be told apart and gives None."""
    match = re.fullmatch(r"(CO|L|D|C)_(\d+)", text(value).upper())
    if not match:
        return None
    return CRM_PREFIXES[match.group(1)], match.group(2)


# --- product rows -------------------------------------------------------------------------


def _decimal(value: Any, default: str = "0") -> Decimal:
    try:
        return Decimal(str(value if value not in (None, "") else default))
    except InvalidOperation:
        return Decimal(default)


def product_row(row: dict, position: int) -> dict:
    """Our product row of a Bitrix24 one: the price before the discount (with VAT when VAT is
    included, as Bitrix24 shows it), the discount in percent, the VAT rate."""
    tax_included = flag(row.get("TAX_INCLUDED"))
    price = row.get("PRICE_BRUTTO") if tax_included else row.get("PRICE_NETTO")
    base = _decimal(price if price not in (None, "") else row.get("PRICE"))
    discount = _decimal(row.get("DISCOUNT_RATE"))
    if to_int(row.get("DISCOUNT_TYPE_ID")) == 1 and base > 0:
        # A discount in money: as a percent of the price.
        discount = _decimal(row.get("DISCOUNT_SUM")) / base * 100
    discount = min(max(discount, Decimal(0)), Decimal(100)).quantize(Decimal("0.01"))
    result = {
        "name": text(row.get("PRODUCT_NAME"), 255) or text(row.get("ORIGINAL_PRODUCT_NAME"), 255),
        "price": f"{base.quantize(Decimal('0.01'))}",
        "quantity": f"{_decimal(row.get('QUANTITY'), '1').normalize():f}",
        "discount_percent": f"{discount}",
        "tax_included": tax_included,
        "sort": to_int(row.get("SORT")) or (position + 1) * 10,
    }
    if row.get("TAX_RATE") not in (None, ""):
        result["tax_rate"] = f"{_decimal(row.get('TAX_RATE')).quantize(Decimal('0.01'))}"
    unit = text(row.get("MEASURE_NAME"), 20)
    if unit:
        result["unit"] = unit
    return result
