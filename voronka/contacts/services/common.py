"""History helpers shared by the contact and company services."""

from collections.abc import Iterable
from typing import Any

from voronka.core.changes import FieldChange


def list_change(field: str, label: str, old: list[str], new: list[str]) -> list[FieldChange]:
    """A history row for a replaced list (addresses, bank accounts) when it really changed."""
    if old == new:
        return []
    return [
        FieldChange(
            field=field, label=label, old="; ".join(old) or None, new="; ".join(new) or None
        )
    ]


CUSTOM_FIELDS_PREFIX = "custom_fields."


def changed_codes(changes: Iterable[FieldChange]) -> set[str]:
    """The field codes access rules name for ``changes``: model field names, custom field
    codes (``custom_fields.<code>`` also as ``<code>``) and list names (``bank_accounts``)."""
    codes: set[str] = set()
    for change in changes:
        codes.add(change.field)
        if change.field.startswith(CUSTOM_FIELDS_PREFIX):
            codes.add(change.field.removeprefix(CUSTOM_FIELDS_PREFIX))
    return codes


def given_codes(actor, data: dict[str, Any], **lists: list | None) -> set[str]:
    """The field codes a new card is created with: filled data fields, custom fields and
    non-empty lists. The responsible left as the creator is not counted as set by them."""
    codes: set[str] = set()
    for key, value in data.items():
        if value in (None, "", [], {}):
            continue
        if key == "custom_fields" and isinstance(value, dict):
            codes.update(code for code, item in value.items() if item not in (None, "", []))
            continue
        name = key.removesuffix("_id")
        if name == "responsible" and value in (actor, getattr(actor, "pk", None)):
            continue
        codes.add(name)
    codes.update(name for name, items in lists.items() if items)
    return codes
