"""Applying a dict of new values to a model instance and reporting what really changed."""

from dataclasses import dataclass
from typing import Any

from django.db import models


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    old: Any
    new: Any


def display_value(instance: models.Model, field: models.Field, value: Any) -> Any:
    """A JSON-safe, human-readable form of ``value`` for history entries."""
    if value is None:
        return None
    if field.is_relation:
        related = getattr(instance, field.name, None)
        return str(related) if related is not None else None
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool | int | str):
        return value
    return str(value)


def apply_changes(instance: models.Model, data: dict[str, Any]) -> list[FieldChange]:
    """Set ``data`` on ``instance``; return one FieldChange per field whose value differs.

    Keys are model field names (``responsible`` or ``responsible_id`` for relations).
    Display values are captured before and after so history reads ``Иванов → Петров``.
    """
    changes: list[FieldChange] = []
    for key, new_value in data.items():
        field = instance._meta.get_field(key.removesuffix("_id"))
        attname = field.attname
        old_raw = getattr(instance, attname)
        old_display = display_value(instance, field, old_raw)
        if field.is_relation and key == field.name:
            setattr(instance, field.name, new_value)
        else:
            setattr(instance, attname, new_value)
        new_raw = getattr(instance, attname)
        if old_raw == new_raw:
            continue
        changes.append(
            FieldChange(
                field=field.name,
                label=str(field.verbose_name),
                old=old_display,
                new=display_value(instance, field, new_raw),
            )
        )
    return changes
