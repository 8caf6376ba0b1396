"""Validation of custom field values: every write of a card passes its values through here.

Stored shapes (JSON): string/text/url → str; integer → int; decimal → "12.50";
money → {"amount": "12500.00", "currency": "RUB"}; date → "2026-11-23";
datetime → ISO 8601 with offset; boolean → bool; list → option id; employee → user id;
crm_link → {"entity": "deal", "id": 7}. A multiple field stores a list of these.
"""

import datetime
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from voronka.core.changes import FieldChange
from voronka.core.money import Currency, quantize
from voronka.customization.models import ENTITY_MODELS, CustomField, FieldType


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def definitions_for(entity: str) -> dict[str, CustomField]:
    return {f.code: f for f in CustomField.objects.filter(entity=entity, is_active=True)}


def clean_custom_fields(
    entity: str,
    values: dict[str, Any],
    *,
    existing: dict[str, Any] | None = None,
    definitions: dict[str, CustomField] | None = None,
) -> dict[str, Any]:
    """Return the card's complete, validated custom field values after applying ``values``.

    ``existing`` holds the card's current values (None on create). Unknown codes, wrong types
    and empty "always required" fields raise one ValidationError naming every bad field.
    """
    if not isinstance(values, dict):
        raise ValidationError({"custom_fields": _("Custom fields must be an object.")})
    definitions = definitions if definitions is not None else definitions_for(entity)
    result = dict(existing or {})
    errors: dict[str, list[str]] = {}
    for code, raw in values.items():
        definition = definitions.get(code)
        if definition is None:
            errors[code] = [_("Unknown field “%(code)s”.") % {"code": code}]
            continue
        try:
            cleaned = _clean_value(definition, raw)
        except ValidationError as error:
            errors[code] = [
                _("%(label)s: %(problem)s") % {"label": definition.label, "problem": message}
                for message in error.messages
            ]
            continue
        if is_empty(cleaned):
            result.pop(code, None)
        else:
            result[code] = cleaned
    for code, definition in definitions.items():
        if definition.required and code not in errors and is_empty(result.get(code)):
            errors[code] = [_("%(label)s: this field is required.") % {"label": definition.label}]
    if errors:
        raise ValidationError(errors)
    return result


def custom_field_changes(
    entity: str,
    old: dict[str, Any],
    new: dict[str, Any],
    *,
    definitions: dict[str, CustomField] | None = None,
) -> list[FieldChange]:
    """History rows for custom fields whose value differs between ``old`` and ``new``."""
    definitions = definitions if definitions is not None else definitions_for(entity)
    changes = []
    for code in sorted(set(old) | set(new)):
        if old.get(code) == new.get(code):
            continue
        definition = definitions.get(code)
        changes.append(
            FieldChange(
                field=f"custom_fields.{code}",
                label=definition.label if definition else code,
                old=old.get(code),
                new=new.get(code),
            )
        )
    return changes


def _clean_value(definition: CustomField, raw: Any) -> Any:
    if is_empty(raw):
        return None
    if definition.multiple:
        items = raw if isinstance(raw, list | tuple) else [raw]
        cleaned = [_clean_single(definition, item) for item in items if not is_empty(item)]
        if definition.field_type == FieldType.EMPLOYEE:
            _check_employees_exist(cleaned)
        if definition.field_type == FieldType.CRM_LINK:
            _check_cards_exist(cleaned)
        return cleaned
    if isinstance(raw, list | tuple):
        raise ValidationError(_("only one value is allowed."))
    value = _clean_single(definition, raw)
    if definition.field_type == FieldType.EMPLOYEE:
        _check_employees_exist([value])
    if definition.field_type == FieldType.CRM_LINK:
        _check_cards_exist([value])
    return value


def _clean_single(definition: CustomField, raw: Any) -> Any:
    kind = definition.field_type
    if kind in (FieldType.STRING, FieldType.TEXT):
        if not isinstance(raw, str | int | Decimal) or isinstance(raw, bool):
            raise ValidationError(_("enter text."))
        text = str(raw).strip()
        if kind == FieldType.STRING and len(text) > 255:
            raise ValidationError(_("at most 255 characters."))
        return text
    if kind == FieldType.URL:
        text = str(raw).strip()
        try:
            URLValidator(schemes=["http", "https"])(text)
        except ValidationError:
            raise ValidationError(
                _("enter a valid link starting with http:// or https://.")
            ) from None
        return text
    if kind == FieldType.INTEGER:
        if isinstance(raw, bool):
            raise ValidationError(_("enter a whole number."))
        try:
            number = Decimal(str(raw).strip().replace(" ", ""))
        except InvalidOperation:
            raise ValidationError(_("enter a whole number.")) from None
        if number != number.to_integral_value() or abs(number) > 2**53:
            raise ValidationError(_("enter a whole number."))
        return int(number)
    if kind == FieldType.DECIMAL:
        return str(_parse_decimal(raw))
    if kind == FieldType.MONEY:
        return _clean_money(raw)
    if kind == FieldType.DATE:
        return _clean_date(raw).isoformat()
    if kind == FieldType.DATETIME:
        return _clean_datetime(raw).isoformat()
    if kind == FieldType.BOOLEAN:
        return _clean_boolean(raw)
    if kind == FieldType.LIST:
        option_ids = {str(option["id"]) for option in definition.options}
        if str(raw) not in option_ids:
            raise ValidationError(_("choose one of the offered values."))
        return str(raw)
    if kind == FieldType.EMPLOYEE:
        try:
            return int(raw)
        except (TypeError, ValueError):
            raise ValidationError(_("choose an employee.")) from None
    if kind == FieldType.CRM_LINK:
        return _clean_crm_link(definition, raw)
    raise ValidationError(_("unsupported field type."))


def _parse_decimal(raw: Any) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float | Decimal):
        raise ValidationError(_("enter a number."))
    # str() of a JSON float is its shortest exact spelling, so 12.5 stays 12.5.
    text = str(raw).strip().replace(" ", "").replace("\u00a0", "").replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValidationError(_("enter a number.")) from None
    if not number.is_finite() or abs(number) >= Decimal(10) ** 16:
        raise ValidationError(_("enter a number."))
    return number


def _clean_money(raw: Any) -> dict[str, str]:
    if isinstance(raw, dict):
        amount, currency = raw.get("amount"), raw.get("currency") or settings.DEFAULT_CURRENCY
    elif isinstance(raw, str) and "|" in raw:  # the Bitrix24 form: "12500|RUB"
        amount, currency = raw.split("|", 1)
    else:
        amount, currency = raw, settings.DEFAULT_CURRENCY
    if currency not in Currency.values:
        raise ValidationError(_("unknown currency “%(currency)s”.") % {"currency": currency})
    return {"amount": str(quantize(_parse_decimal(amount))), "currency": currency}


def _clean_date(raw: Any) -> datetime.date:
    if isinstance(raw, datetime.datetime):
        return raw.date()
    if isinstance(raw, datetime.date):
        return raw
    text = str(raw).strip()
    try:
        parsed = parse_date(text)
        if parsed is None:
            parsed = datetime.datetime.strptime(text, "%d.%m.%Y").date()  # noqa: DTZ007 - a date
    except ValueError:
        raise ValidationError(_("enter a date such as 23.11.2026.")) from None
    return parsed


def _clean_datetime(raw: Any) -> datetime.datetime:
    if isinstance(raw, datetime.datetime):
        value = raw
    else:
        text = str(raw).strip()
        try:
            value = parse_datetime(text)
            if value is None:
                value = datetime.datetime.strptime(text, "%d.%m.%Y %H:%M")  # noqa: DTZ007 - made aware below
        except ValueError:
            raise ValidationError(_("enter a date and time such as 23.11.2026 14:30.")) from None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


_TRUE = {"true", "1", "y", "yes", "да", "on"}
_FALSE = {"false", "0", "n", "no", "нет", "off"}


def _clean_boolean(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValidationError(_("choose yes or no."))


def _clean_crm_link(definition: CustomField, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict) or "entity" not in raw or "id" not in raw:
        raise ValidationError(_("choose a CRM card."))
    allowed = definition.settings.get("entities") or list(ENTITY_MODELS)
    if raw["entity"] not in allowed:
        raise ValidationError(_("this kind of card cannot be linked here."))
    try:
        return {"entity": str(raw["entity"]), "id": int(raw["id"])}
    except (TypeError, ValueError):
        raise ValidationError(_("choose a CRM card.")) from None


def _check_employees_exist(ids: Iterable[int]) -> None:
    wanted = set(ids)
    User = apps.get_model(settings.AUTH_USER_MODEL)
    found = set(User.objects.filter(pk__in=wanted, is_active=True).values_list("pk", flat=True))
    if wanted - found:
        raise ValidationError(_("no such active employee."))


def _check_cards_exist(links: Iterable[dict[str, Any]]) -> None:
    by_entity: dict[str, set[int]] = {}
    for link in links:
        by_entity.setdefault(link["entity"], set()).add(link["id"])
    for entity, ids in by_entity.items():
        model = apps.get_model(ENTITY_MODELS[entity])
        if model.objects.filter(pk__in=ids).count() != len(ids):
            raise ValidationError(_("the linked card does not exist."))


def apply_custom_fields(
    card: Any,
    entity: str,
    values: dict[str, Any] | None,
    errors: dict[str, list[str]],
    *,
    creating: bool = False,
    definitions: dict[str, CustomField] | None = None,
) -> list[FieldChange]:
    """Validate ``values`` onto ``card.custom_fields`` (not saved); return the history changes.

    Problems go to ``errors`` keyed by field code; on create the card's values are set even
    when nothing was given, so always-required fields are enforced.
    """
    definitions = definitions if definitions is not None else definitions_for(entity)
    try:
        cleaned = clean_custom_fields(
            entity,
            values or {},
            existing=None if creating else card.custom_fields,
            definitions=definitions,
        )
    except ValidationError as error:
        for key, messages in error.message_dict.items():
            errors.setdefault(key, []).extend(messages)
        return []
    changes = custom_field_changes(
        entity, card.custom_fields or {}, cleaned, definitions=definitions
    )
    if changes or creating:
        card.custom_fields = cleaned
    return changes
