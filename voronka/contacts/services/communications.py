"""Phones, e-mails, websites and messengers of any card (lead, contact, company)."""

from collections.abc import Callable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from voronka.contacts.models import Communication, CommunicationKind, CommunicationValueType
from voronka.core.changes import FieldChange
from voronka.core.normalization import (
    normalize_email,
    normalize_messenger,
    normalize_phone,
    normalize_url,
)

_NORMALIZERS: dict[str, Callable[[str], str | None]] = {
    CommunicationKind.PHONE: normalize_phone,
    CommunicationKind.EMAIL: normalize_email,
    CommunicationKind.WEB: normalize_url,
    CommunicationKind.MESSENGER: normalize_messenger,
}
_INVALID = {
    CommunicationKind.PHONE: gettext_lazy("“%(value)s” is not a phone number."),
    CommunicationKind.EMAIL: gettext_lazy("“%(value)s” is not an e-mail address."),
    CommunicationKind.WEB: gettext_lazy("“%(value)s” is not a website address."),
    CommunicationKind.MESSENGER: gettext_lazy("“%(value)s” is not a messenger account."),
}


def normalize_communication(kind: str, value: str) -> str | None:
    """The normalised form of ``value`` for its kind, or None when it cannot be one."""
    normalizer = _NORMALIZERS.get(kind)
    return normalizer(value) if normalizer else None


def communications_clean(items: list[dict[str, Any]]) -> list[Communication]:
    """Validate and normalise ``[{"kind", "value", "value_type"}]`` into unsaved rows.

    Empty values are dropped, repeats of one normalised value are kept once, and every bad
    item is named in one ValidationError keyed ``communications``.
    """
    rows: list[Communication] = []
    errors: list[str] = []
    seen: set[tuple[str, str]] = set()
    for position, item in enumerate(items or []):
        kind = item.get("kind")
        raw = str(item.get("value") or "").strip()
        value_type = item.get("value_type") or CommunicationValueType.WORK
        if not raw:
            continue
        if kind not in CommunicationKind.values:
            errors.append(_("Unknown kind of communication “%(kind)s”.") % {"kind": kind})
            continue
        if value_type not in CommunicationValueType.values:
            errors.append(_("Unknown communication type “%(type)s”.") % {"type": value_type})
            continue
        normalized = _NORMALIZERS[kind](raw)
        if normalized is None:
            errors.append(str(_INVALID[kind]) % {"value": raw})
            continue
        if (kind, normalized) in seen:
            continue
        seen.add((kind, normalized))
        rows.append(
            Communication(
                kind=kind,
                value_type=value_type,
                value=raw[:255],
                value_normalized=normalized[:255],
                sort=position,
            )
        )
    if errors:
        raise ValidationError({"communications": errors})
    return rows


def _describe(rows) -> list[str]:
    return [f"{row.value} ({row.get_value_type_display()})" for row in rows]


def communications_set(
    *, card: models.Model, items: list[dict[str, Any]], creating: bool = False
) -> list[FieldChange]:
    """Replace a card's communications with ``items``; return the change for its history.

    Call inside the caller's transaction, after the card is saved.
    """
    rows = communications_clean(items)
    card_type = ContentType.objects.get_for_model(card)
    existing = list(Communication.objects.filter(card_type=card_type, card_id=card.pk))
    old_keys = [(c.kind, c.value_type, c.value) for c in existing]
    new_keys = [(c.kind, c.value_type, c.value) for c in rows]
    if old_keys == new_keys:
        return []
    if existing:
        Communication.objects.filter(pk__in=[c.pk for c in existing]).delete()
    for row in rows:
        row.card_type = card_type
        row.card_id = card.pk
    Communication.objects.bulk_create(rows)
    if creating:
        return []
    return [
        FieldChange(
            field="communications",
            label=str(_("Communications")),
            old=", ".join(_describe(existing)) or None,
            new=", ".join(_describe(rows)) or None,
        )
    ]
