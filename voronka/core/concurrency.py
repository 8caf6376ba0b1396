"""Row locking plus version checks so concurrent edits of one card never overwrite silently."""

from typing import TypeVar

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.utils.translation import gettext as _

from voronka.core.exceptions import ConflictError

M = TypeVar("M", bound=models.Model)


def lock_card(
    queryset: models.QuerySet[M] | models.Manager[M], pk: int, expected_version: int | None = None
) -> M:
    """Load a card for writing, holding its row lock until the transaction ends.

    ``expected_version`` is the version the caller saw; if the card has moved on since, the write
    is refused with ConflictError. Call inside ``transaction.atomic()``.
    """
    card = queryset.select_for_update().get(pk=pk)
    if expected_version is not None and card.version != expected_version:
        raise ConflictError(current_version=card.version)
    return card


def save_new_version(card: models.Model, update_fields: list[str]) -> None:
    """Save the changed fields and bump the row version in the same UPDATE."""
    card.version += 1
    fields = {*update_fields, "version"}
    if any(f.name == "updated_at" for f in card._meta.concrete_fields):
        fields.add("updated_at")
    card.save(update_fields=sorted(fields))


def lock_alive_card(card: M, expected_version: int | None = None) -> M:
    """``lock_card`` for an edit: a card in the recycle bin is refused until restored."""
    locked = lock_card(type(card).all_objects, card.pk, expected_version)
    if locked.is_deleted:
        raise ValidationError(
            {NON_FIELD_ERRORS: [_("This card is in the recycle bin; restore it first.")]}
        )
    return locked
