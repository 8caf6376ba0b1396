"""Writes to card feeds. Callers run these inside their own transaction so a change and its
history commit together or not at all."""

import datetime
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.access.models import Action
from voronka.access.predicates import entity_of, require
from voronka.core.changes import FieldChange
from voronka.core.concurrency import lock_card, save_new_version
from voronka.core.events import publish
from voronka.timeline import events
from voronka.timeline.models import Activity, ActivityKind, EntryKind, TimelineEntry

CardModel = TypeVar("CardModel", bound=models.Model)


def _card_ref(card: models.Model) -> dict[str, Any]:
    return {"card_type": ContentType.objects.get_for_model(card), "card_id": card.pk}


def entry_add(
    *,
    actor,
    card: models.Model,
    kind: str,
    text: str = "",
    payload: dict[str, Any] | None = None,
) -> TimelineEntry:
    return TimelineEntry.objects.create(
        **_card_ref(card), kind=kind, author=actor, text=text, payload=payload or {}
    )


def record_created(*, actor, card: models.Model, payload: dict[str, Any] | None = None) -> None:
    entry_add(actor=actor, card=card, kind=EntryKind.CREATED, payload=payload)


def record_field_changes(*, actor, card: models.Model, changes: Iterable[FieldChange]) -> None:
    """One entry per changed field, old → new, in a single INSERT."""
    reference = _card_ref(card)
    now = timezone.now()
    TimelineEntry.objects.bulk_create(
        TimelineEntry(
            **reference,
            kind=EntryKind.FIELD_CHANGED,
            author=actor,
            created_at=now,
            payload=asdict(change),
        )
        for change in changes
    )


def record_stage_change(
    *, actor, card: models.Model, old_stage, new_stage, seconds_in_previous: int | None
) -> None:
    entry_add(
        actor=actor,
        card=card,
        kind=EntryKind.STAGE_CHANGED,
        payload={
            "old_stage_id": old_stage.pk if old_stage else None,
            "old_stage": old_stage.name if old_stage else None,
            "new_stage_id": new_stage.pk,
            "new_stage": new_stage.name,
            "seconds_in_previous": seconds_in_previous,
        },
    )


def _require_change(actor, card: models.Model) -> None:
    """Writing to a card's feed (comments, activities) is changing the card: UPDATE on it.
    Cards without access rules (none today) are not checked here."""
    try:
        entity_of(card)
    except LookupError:
        return
    require(actor, Action.UPDATE, card)


@transaction.atomic
def comment_add(*, actor, card: models.Model, text: str) -> TimelineEntry:
    """Add a comment to a card's feed; PermissionDenied without the right to change it."""
    _require_change(actor, card)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write the comment text.")})
    entry = entry_add(actor=actor, card=card, kind=EntryKind.COMMENT, text=text)
    publish(
        events.CommentAdded(
            actor_id=getattr(actor, "pk", None),
            entry_id=entry.pk,
            card_type=card._meta.model_name,
            card_id=card.pk,
        )
    )
    return entry


@transaction.atomic
def activity_create(
    *,
    actor,
    card: models.Model,
    kind: str,
    subject: str,
    responsible,
    deadline: datetime.datetime | None = None,
    description: str = "",
) -> Activity:
    """Plan a call, meeting, e-mail or to-do on a card; the feed shows it at once.
    PermissionDenied without the right to change the card."""
    _require_change(actor, card)
    if kind not in ActivityKind.values:
        raise ValidationError({"kind": _("Choose the kind of activity.")})
    activity = Activity(
        **_card_ref(card),
        kind=kind,
        subject=(subject or "").strip(),
        description=description,
        deadline=deadline,
        responsible=responsible,
        created_by=actor,
    )
    activity.full_clean(exclude=["card_type"])
    activity.save()
    entry_add(
        actor=actor,
        card=card,
        kind=EntryKind.ACTIVITY,
        text=activity.subject,
        payload={
            "activity_id": activity.pk,
            "activity_kind": kind,
            "deadline": deadline.isoformat() if deadline else None,
            "responsible_id": responsible.pk,
        },
    )
    publish(_activity_event(events.ActivityCreated, actor, activity))
    return activity


def _activity_event(event_type, actor, activity: Activity):
    model = ContentType.objects.get_for_id(activity.card_type_id).model_class()
    return event_type(
        actor_id=getattr(actor, "pk", None),
        activity_id=activity.pk,
        activity_kind=activity.kind,
        card_type=model._meta.model_name if model is not None else "",
        card_id=activity.card_id,
    )


@transaction.atomic
def activity_complete(*, actor, activity: Activity, result: str = "") -> Activity:
    """Mark an open activity done with its result; PermissionDenied without the right to
    change its card."""
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    if actor is not None:
        model = ContentType.objects.get_for_id(activity.card_type_id).model_class()
        card = model._base_manager.filter(pk=activity.card_id).first() if model else None
        if card is not None:
            _require_change(actor, card)
    if activity.completed_at is not None:
        raise ValidationError({"activity": _("This activity is already completed.")})
    activity.completed_at = timezone.now()
    activity.completed_by = actor
    activity.result = result
    activity.save(update_fields=["completed_at", "completed_by", "result"])
    TimelineEntry.objects.create(
        card_type_id=activity.card_type_id,
        card_id=activity.card_id,
        kind=EntryKind.ACTIVITY_DONE,
        author=actor,
        text=activity.subject,
        payload={"activity_id": activity.pk, "result": result},
    )
    publish(_activity_event(events.ActivityCompleted, actor, activity))
    return activity


def entries_move(*, from_card: models.Model, to_card: models.Model) -> int:
    """Re-attach one card's feed to another (lead conversion keeps the story on the deal)."""
    source, target = _card_ref(from_card), _card_ref(to_card)
    return TimelineEntry.objects.filter(**source).update(**target)


def card_soft_delete(*, actor, card: CardModel) -> tuple[CardModel, bool]:
    """Move a card to the recycle bin: lock it, mark it deleted, bump its version and write
    the feed entry. Returns the locked card and whether anything changed (the caller publishes
    its own event). Call inside the caller's transaction."""
    return _set_deleted(actor=actor, card=card, deleted=True)


def card_soft_restore(*, actor, card: CardModel) -> tuple[CardModel, bool]:
    """Bring a card back from the recycle bin; the counterpart of ``card_soft_delete``."""
    return _set_deleted(actor=actor, card=card, deleted=False)


def _set_deleted(*, actor, card: CardModel, deleted: bool) -> tuple[CardModel, bool]:
    card = lock_card(type(card).all_objects, card.pk)
    if card.is_deleted == deleted:
        return card, False
    card.deleted_at = timezone.now() if deleted else None
    card.deleted_by = actor if deleted else None
    save_new_version(card, ["deleted_at", "deleted_by"])
    entry_add(actor=actor, card=card, kind=EntryKind.DELETED if deleted else EntryKind.RESTORED)
    return card, True
