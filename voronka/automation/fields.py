"""Reading a card's fields by code — standard field names and custom field codes alike — as
typed values for conditions, timings, expressions and templates."""

import contextlib
import contextvars
import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from voronka.customization.models import CustomField, EntityType, FieldType
from voronka.customization.validation import definitions_for


class Kind:
    NUMBER = "number"
    DATE = "date"
    DATETIME = "datetime"
    BOOLEAN = "boolean"
    TEXT = "text"
    REFERENCE = "reference"  # a foreign key or an option / employee / card id


_NUMBER_FIELDS = (
    models.DecimalField,
    models.IntegerField,
    models.FloatField,
)
_CUSTOM_KINDS = {
    FieldType.INTEGER: Kind.NUMBER,
    FieldType.DECIMAL: Kind.NUMBER,
    FieldType.MONEY: Kind.NUMBER,
    FieldType.DATE: Kind.DATE,
    FieldType.DATETIME: Kind.DATETIME,
    FieldType.BOOLEAN: Kind.BOOLEAN,
    FieldType.LIST: Kind.REFERENCE,
    FieldType.EMPLOYEE: Kind.REFERENCE,
    FieldType.CRM_LINK: Kind.REFERENCE,
}
# Columns no robot reads or writes.
_HIDDEN = {"id", "version", "deleted_by", "custom_fields", "amount_from_products"}


@dataclass(frozen=True)
class FieldSpec:
    code: str
    label: str
    kind: str
    multiple: bool = False
    custom: CustomField | None = None
    model_field: models.Field | None = None


def entity_of_model(model: type[models.Model]) -> str:
    return EntityType.LEAD if model._meta.model_name == "lead" else EntityType.DEAL


def standard_field(model: type[models.Model], code: str) -> models.Field | None:
    for field in model._meta.concrete_fields:
        if code in (field.name, field.attname) and field.name not in _HIDDEN:
            return field
    return None


def field_spec(
    model: type[models.Model], code: str, definitions: dict[str, CustomField] | None = None
) -> FieldSpec | None:
    """What ``code`` names on ``model``: a standard field, else an active custom field."""
    field = standard_field(model, code)
    if field is not None:
        if field.is_relation:
            kind = Kind.REFERENCE
        elif isinstance(field, models.BooleanField):
            kind = Kind.BOOLEAN
        elif isinstance(field, models.DateTimeField):
            kind = Kind.DATETIME
        elif isinstance(field, models.DateField):
            kind = Kind.DATE
        elif isinstance(field, _NUMBER_FIELDS):
            kind = Kind.NUMBER
        else:
            kind = Kind.TEXT
        return FieldSpec(
            code=field.name, label=str(field.verbose_name), kind=kind, model_field=field
        )
    if definitions is None:
        definitions = definitions_for(entity_of_model(model))
    definition = definitions.get(code)
    if definition is None:
        return None
    return FieldSpec(
        code=code,
        label=definition.label,
        kind=_CUSTOM_KINDS.get(definition.field_type, Kind.TEXT),
        multiple=definition.multiple,
        custom=definition,
    )


def raw_value(card: models.Model, spec: FieldSpec) -> Any:
    """The typed value of the field on ``card``: Decimal, date, aware datetime, bool, str, an
    id for references, a list for multiple custom fields, None when empty."""
    if spec.model_field is not None:
        value = getattr(card, spec.model_field.attname)
        return None if value == "" else value
    stored = (card.custom_fields or {}).get(spec.code)
    if stored in (None, "", [], {}):
        return None
    if spec.multiple:
        items = stored if isinstance(stored, list) else [stored]
        return [_typed_custom(spec, item) for item in items]
    return _typed_custom(spec, stored)


def _typed_custom(spec: FieldSpec, stored: Any) -> Any:
    field_type = spec.custom.field_type if spec.custom else None
    if field_type == FieldType.MONEY and isinstance(stored, dict):
        return to_decimal(stored.get("amount"))
    if field_type == FieldType.CRM_LINK and isinstance(stored, dict):
        return f"{stored.get('entity')}:{stored.get('id')}"
    if spec.kind == Kind.NUMBER:
        return to_decimal(stored)
    if spec.kind == Kind.DATE:
        return to_date(stored)
    if spec.kind == Kind.DATETIME:
        return to_datetime(stored)
    return stored


def to_decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip().replace(" ", "").replace(",", "."))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def to_date(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, datetime.date):
        return value
    if value is None:
        return None
    text = str(value).strip()
    if text == "today":
        return timezone.localdate()
    try:
        return parse_date(text) or to_date(parse_datetime(text))
    except ValueError:
        return None


def to_datetime(value: Any) -> datetime.datetime | None:
    if isinstance(value, datetime.datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    if isinstance(value, datetime.date):
        return timezone.make_aware(datetime.datetime.combine(value, datetime.time()))
    if value is None:
        return None
    text = str(value).strip()
    if text == "now":
        return timezone.now()
    try:
        parsed = parse_datetime(text)
    except ValueError:
        return None
    if parsed is None:
        day = to_date(text)
        return to_datetime(day) if day else None
    return to_datetime(parsed)


def display_value(card: models.Model, spec: FieldSpec) -> Any:
    """What a person reads: the name of a referenced object rather than its id."""
    if spec.model_field is not None and spec.model_field.is_relation:
        related = getattr(card, spec.model_field.name)
        return "" if related is None else str(related)
    if spec.model_field is not None and spec.model_field.choices:
        return getattr(card, f"get_{spec.model_field.name}_display")()
    value = raw_value(card, spec)
    if spec.custom is not None and spec.custom.field_type == FieldType.LIST:
        labels = {str(option.get("id")): option.get("label") for option in spec.custom.options}
        if isinstance(value, list):
            return ", ".join(str(labels.get(str(item), item)) for item in value)
        return labels.get(str(value), value) if value is not None else ""
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return "" if value is None else value


_batch_definitions: contextvars.ContextVar[dict[str, dict] | None] = contextvars.ContextVar(
    "automation_batch_definitions", default=None
)


@contextlib.contextmanager
def cached_definitions():
    """Within the block, custom field definitions are read once per entity (a worker's batch)."""
    token = _batch_definitions.set({})
    try:
        yield
    finally:
        _batch_definitions.reset(token)


def definitions_of(card: models.Model) -> dict[str, CustomField]:
    """The custom field definitions of the card's entity, read once per card object (and once
    per batch inside ``cached_definitions``)."""
    cached = getattr(card, "_automation_definitions", None)
    if cached is None:
        entity = entity_of_model(type(card))
        batch = _batch_definitions.get()
        if batch is not None and entity in batch:
            cached = batch[entity]
        else:
            cached = definitions_for(entity)
            if batch is not None:
                batch[entity] = cached
        card._automation_definitions = cached
    return cached


class CardValues(Mapping):
    """Every readable field of a card by code, as plain display values (no model objects):
    what templates see. Custom fields sit beside the standard ones under their codes. Values
    are read when a template asks for them, so an unused reference costs no query."""

    def __init__(self, card: models.Model, definitions: dict[str, CustomField]) -> None:
        self._card = card
        self._definitions = definitions
        model = type(card)
        codes = [f.name for f in model._meta.concrete_fields if f.name not in _HIDDEN]
        self._codes = list(dict.fromkeys([*codes, *definitions, "id"]))
        self._cache: dict[str, Any] = {}

    def __getitem__(self, code: str) -> Any:
        if code not in self._cache:
            if code == "id":
                self._cache[code] = self._card.pk
            else:
                spec = (
                    field_spec(type(self._card), code, self._definitions)
                    if code in self._codes
                    else None
                )
                if spec is None:
                    raise KeyError(code)
                self._cache[code] = display_value(self._card, spec)
        return self._cache[code]

    def __iter__(self):
        return iter(self._codes)

    def __len__(self) -> int:
        return len(self._codes)

    def __str__(self) -> str:
        return str(self._card)


def card_values(card: models.Model, definitions: dict[str, CustomField] | None = None):
    return CardValues(card, definitions if definitions is not None else definitions_of(card))


def number_values(card: models.Model, definitions: dict[str, CustomField] | None = None):
    """The numeric fields of ``card`` by code, for arithmetic (empty ones are 0)."""
    model = type(card)
    if definitions is None:
        definitions = definitions_of(card)
    values: dict[str, Decimal] = {}
    codes = [f.name for f in model._meta.concrete_fields if f.name not in _HIDDEN]
    for code in [*codes, *definitions]:
        spec = field_spec(model, code, definitions)
        if spec is None or spec.kind != Kind.NUMBER:
            continue
        value = raw_value(card, spec)
        values[code] = Decimal(value) if isinstance(value, int | Decimal) else Decimal(0)
    return values
