"""The life of a card, shared by leads and deals: create, edit, move between stages, the
recycle bin. ``leads.py`` and ``deals.py`` hold what differs and the public services."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.access.models import Action
from voronka.access.predicates import require, unchanged_fields_only
from voronka.contacts.duplicates import record_duplicates
from voronka.core.changes import FieldChange, apply_changes
from voronka.core.concurrency import lock_alive_card, save_new_version
from voronka.core.events import publish
from voronka.core.inputs import check_editable, model_errors
from voronka.sales import events
from voronka.sales.models import Deal, Lead, LossReason, Pipeline, Stage, StageKind, StageTransition
from voronka.sales.services.common import (
    Card,
    CardT,
    actor_id,
    apply_card_data,
    entity_of,
    missing_required,
)
from voronka.sales.services.related import clean_related, write_related
from voronka.timeline.services import (
    card_soft_delete,
    card_soft_restore,
    record_created,
    record_field_changes,
    record_stage_change,
)

RELATED_KEYS = ("communications", "contacts", "product_rows")


def _require_fields(actor, card: Card, changes: list[FieldChange], *extra: str) -> None:
    """Refuse (PermissionDenied) a write that changes a field read-only for the actor: the
    changed columns and custom field codes, plus ``extra`` codes (related values, the stage)."""
    codes = {change.field.removeprefix("custom_fields.") for change in changes}
    unchanged_fields_only(actor, entity_of(card), codes | set(extra))


def _require_links(actor, card: Card, changes: list[FieldChange], writes) -> None:
    """Linking a company, a contact or deal contacts the actor may not see is refused
    (PermissionDenied); links already on the card stay whoever sees them."""
    if actor is None:
        return
    changed = {change.field for change in changes}
    for name in ("company", "contact"):
        if name in changed and getattr(card, f"{name}_id", None) is not None:
            require(actor, Action.READ, getattr(card, name))
    if getattr(writes, "contacts", None):
        existing = (
            set(card.contact_links.values_list("contact_id", flat=True))
            if card.pk is not None
            else set()
        )
        for link in writes.contacts:
            if link.contact_id not in existing:
                require(actor, Action.READ, link.contact)


def _add_missing(errors: dict[str, list[str]], missing: dict[str, list[str]]) -> None:
    # A field that already has a problem is named once, by that problem.
    for code, messages in missing.items():
        errors.setdefault(code, messages)


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _set_closing(card: Card, stage: Stage, now) -> None:
    if stage.kind == StageKind.OPEN:
        card.closed_at = None
    else:
        card.closed_at = now


def _loss_changes(
    card: CardT,
    stage: Stage,
    loss_reason: LossReason | None,
    loss_comment: str,
    errors: dict[str, list[str]],
) -> list[FieldChange]:
    """A lost stage needs an active loss reason; any other stage clears the loss details."""
    if stage.kind == StageKind.LOST:
        if loss_reason is None:
            errors.setdefault("loss_reason", []).append(
                _("Choose why the card is lost to move it to “%(stage)s”.") % {"stage": stage}
            )
            return []
        if not isinstance(loss_reason, LossReason):
            loss_reason = LossReason.objects.filter(pk=_as_int(loss_reason)).first()
        if loss_reason is None or not loss_reason.is_active:
            errors.setdefault("loss_reason", []).append(_("Choose an active loss reason."))
            return []
        values = {"loss_reason": loss_reason, "loss_comment": (loss_comment or "").strip()}
    else:
        values = {"loss_reason": None, "loss_comment": ""}
    return apply_changes(card, values)


def _created_event(card: Card, actor):
    if isinstance(card, Lead):
        return events.LeadCreated(actor_id=actor_id(actor), lead_id=card.pk, stage_id=card.stage_id)
    return events.DealCreated(
        actor_id=actor_id(actor),
        deal_id=card.pk,
        pipeline_id=card.pipeline_id,
        stage_id=card.stage_id,
    )


def _updated_event(card: Card, actor, changes: list[FieldChange]):
    fields = tuple(dict.fromkeys(change.field for change in changes))
    if isinstance(card, Lead):
        return events.LeadUpdated(actor_id=actor_id(actor), lead_id=card.pk, fields=fields)
    return events.DealUpdated(actor_id=actor_id(actor), deal_id=card.pk, fields=fields)


def _stage_event(card: Card, actor, old_stage: Stage, old_pipeline_id: int | None):
    if isinstance(card, Lead):
        return events.LeadStageChanged(
            actor_id=actor_id(actor),
            lead_id=card.pk,
            from_stage_id=old_stage.pk,
            from_stage_kind=old_stage.kind,
            to_stage_id=card.stage_id,
            to_stage_kind=card.stage.kind,
        )
    return events.DealStageChanged(
        actor_id=actor_id(actor),
        deal_id=card.pk,
        from_pipeline_id=old_pipeline_id,
        to_pipeline_id=card.pipeline_id,
        from_stage_id=old_stage.pk,
        from_stage_kind=old_stage.kind,
        to_stage_id=card.stage_id,
        to_stage_kind=card.stage.kind,
    )


def card_create(
    *,
    actor,
    card: CardT,
    data: dict[str, Any],
    editable: frozenset[str],
    resolve_stage,
    related: dict[str, Any],
    duplicates=None,
) -> CardT:
    """Validate and save a new card. ``resolve_stage(card, errors)`` sets its stage (and
    pipeline) once ``data`` is applied; every problem is reported in one ValidationError.
    ``duplicates(card, writes)``, when given, applies the duplicate policy to the valid card
    before it is saved and returns the matches to record on it.

    The actor needs the right to add this card as it is about to be saved (its responsible,
    its pipeline): PermissionDenied otherwise, before anything is written."""
    check_editable(data, editable)
    with transaction.atomic():
        errors: dict[str, list[str]] = {}
        loss_reason = data.get("loss_reason")
        fields = {k: v for k, v in data.items() if k not in ("loss_reason", "loss_comment")}
        changes, _fields = apply_card_data(card, fields, errors, creating=True)
        if card.responsible_id is None and actor is not None:
            card.responsible = actor
        resolve_stage(card, errors)
        require(actor, Action.ADD, card)
        if card.stage_id is not None:
            _loss_changes(card, card.stage, loss_reason, data.get("loss_comment", ""), errors)
        writes = clean_related(card, errors, **related)
        _require_links(actor, card, changes, writes)
        if card.stage_id is not None:
            _add_missing(errors, missing_required(card, card.stage, related=writes))
        model_errors(card, errors, exclude=["custom_fields"])
        if errors:
            raise ValidationError(errors)
        matches = duplicates(card, writes) if duplicates else []
        now = timezone.now()
        card.stage_changed_at = now
        _set_closing(card, card.stage, now)
        card.save()
        _, update_fields = write_related(card, writes, creating=True)
        if update_fields:
            card.save(update_fields=update_fields)
        # The first transition has no previous stage; funnel reports start from it.
        StageTransition.objects.create(
            **{"lead" if isinstance(card, Lead) else "deal": card},
            to_stage=card.stage,
            actor=actor,
            moved_at=now,
        )
        record_created(actor=actor, card=card, payload={"stage_id": card.stage_id})
        record_duplicates(actor=actor, card=card, matches=matches, created=True)
        publish(_created_event(card, actor))
    return card


def _changed_codes(changes: list[FieldChange]) -> set[str]:
    return {change.field.removeprefix("custom_fields.") for change in changes}


def card_update(
    *,
    actor,
    card: CardT,
    data: dict[str, Any],
    editable: frozenset[str],
    related: dict[str, Any],
    expected_version: int | None,
    duplicates=None,
) -> CardT:
    """Change a card's fields and related values; one history row per changed field.

    A field the current stage requires cannot be emptied. An edit that changes nothing writes
    nothing and keeps the version. The actor needs the right to change the card and may not
    change fields that are read-only for them (PermissionDenied). ``duplicates(card)``, when
    given, is called on the card as loaded and returns ``check(card, writes)``, which applies
    the duplicate policy to the valid edit and returns the matches to record.
    """
    check_editable(data, editable)
    with transaction.atomic():
        card = lock_alive_card(card, expected_version)
        require(actor, Action.UPDATE, card)
        recheck = duplicates(card) if duplicates else None
        errors: dict[str, list[str]] = {}
        changes, update_fields = apply_card_data(card, data, errors)
        _require_fields(actor, card, changes)
        writes = clean_related(card, errors, **related)
        _require_links(actor, card, changes, writes)
        touched = _changed_codes(changes) | {k for k, v in related.items() if v is not None}
        _add_missing(errors, missing_required(card, card.stage, related=writes, only=touched))
        model_errors(card, errors, exclude=["custom_fields"])
        if errors:
            raise ValidationError(errors)
        matches = recheck(card, writes) if recheck else []
        related_changes, related_fields = write_related(card, writes)
        # Related values (contacts, phones, product rows) count only when they changed; the
        # transaction takes the written rows back if they may not.
        _require_fields(actor, card, related_changes)
        changes += related_changes
        update_fields += related_fields
        if not changes and not update_fields:
            return card
        save_new_version(card, update_fields)
        if changes:
            record_field_changes(actor=actor, card=card, changes=changes)
            record_duplicates(actor=actor, card=card, matches=matches, created=False)
            publish(_updated_event(card, actor, changes))
    return card


def card_move(
    *,
    actor,
    card: CardT,
    stage: Stage,
    data: dict[str, Any] | None,
    editable: frozenset[str],
    loss_reason: LossReason | None,
    loss_comment: str,
    expected_version: int | None,
    pipeline: Pipeline | None = None,
    duplicates=None,
) -> CardT:
    """Move a card to ``stage`` (of ``pipeline`` for a deal changing pipelines).

    ``data`` may fill the target stage's required fields in the same step (the keys of the
    card's update plus ``communications``, ``contacts`` and ``product_rows``). Missing required
    fields, a missing loss reason and bad values come back as one ValidationError and nothing
    changes. The actor needs the right to change the card (and, to another pipeline, the right
    to add deals there); PermissionDenied otherwise. ``duplicates`` checks new identifiers
    as on ``card_update``.
    """
    data = dict(data or {})
    related = {key: data.pop(key) for key in RELATED_KEYS if key in data}
    check_editable(data, editable)
    if not isinstance(stage, Stage):
        raise ValidationError({"stage": _("Choose a stage.")})
    with transaction.atomic():
        card = lock_alive_card(card, expected_version)
        require(actor, Action.UPDATE, card)
        recheck = duplicates(card) if duplicates and (data or related) else None
        stage = Stage.objects.select_related("pipeline").get(pk=stage.pk)
        errors: dict[str, list[str]] = {}
        old_stage = card.stage
        old_pipeline_id = getattr(card, "pipeline_id", None)
        if isinstance(card, Deal):
            target_pipeline_id = pipeline.pk if pipeline is not None else card.pipeline_id
        else:
            target_pipeline_id = old_stage.pipeline_id
        if stage.pipeline_id != target_pipeline_id:
            errors.setdefault("stage", []).append(
                _("The stage “%(stage)s” belongs to another pipeline.") % {"stage": stage}
            )
            raise ValidationError(errors)
        changes, update_fields = apply_card_data(card, data, errors)
        if pipeline is not None and pipeline.pk != old_pipeline_id:
            changes += apply_changes(card, {"pipeline": pipeline})
            update_fields.append("pipeline")
            # In its new pipeline the deal is as good as a new one there.
            require(actor, Action.ADD, card)
        _require_fields(actor, card, changes, *(("stage",) if stage.pk != old_stage.pk else ()))
        loss_changes = _loss_changes(card, stage, loss_reason, loss_comment, errors)
        changes += loss_changes
        update_fields += [change.field for change in loss_changes]
        writes = clean_related(card, errors, **related)
        _require_links(actor, card, changes, writes)
        _add_missing(errors, missing_required(card, stage, related=writes))
        model_errors(card, errors, exclude=["custom_fields"])
        if errors:
            raise ValidationError(errors)
        matches = recheck(card, writes) if recheck else []
        related_changes, related_fields = write_related(card, writes)
        _require_fields(actor, card, related_changes)
        changes += related_changes
        update_fields += related_fields
        moved = stage.pk != old_stage.pk
        if moved:
            now = timezone.now()
            seconds = max(int((now - card.stage_changed_at).total_seconds()), 0)
            card.stage = stage
            card.stage_changed_at = now
            _set_closing(card, stage, now)
            update_fields += ["stage", "stage_changed_at", "closed_at"]
        if not changes and not moved:
            return card
        save_new_version(card, update_fields)
        if changes:
            record_field_changes(actor=actor, card=card, changes=changes)
        if moved:
            StageTransition.objects.create(
                **{"lead" if isinstance(card, Lead) else "deal": card},
                from_stage=old_stage,
                to_stage=stage,
                actor=actor,
                moved_at=now,
                seconds_in_previous=seconds,
            )
            record_stage_change(
                actor=actor,
                card=card,
                old_stage=old_stage,
                new_stage=stage,
                seconds_in_previous=seconds,
            )
            publish(_stage_event(card, actor, old_stage, old_pipeline_id))
        if changes:
            record_duplicates(actor=actor, card=card, matches=matches, created=False)
            publish(_updated_event(card, actor, changes))
    return card


def _recycle_event(card: Card, actor, *, deleted: bool):
    if isinstance(card, Lead):
        event = events.LeadDeleted if deleted else events.LeadRestored
        return event(actor_id=actor_id(actor), lead_id=card.pk)
    event = events.DealDeleted if deleted else events.DealRestored
    return event(actor_id=actor_id(actor), deal_id=card.pk)


def card_delete(*, actor, card: CardT) -> CardT:
    """Move a card to the recycle bin; its rows and history stay for a restore. Needs the
    right to delete the card."""
    require(actor, Action.DELETE, card)
    with transaction.atomic():
        card, changed = card_soft_delete(actor=actor, card=card)
        if changed:
            publish(_recycle_event(card, actor, deleted=True))
    return card


def card_restore(*, actor, card: CardT) -> CardT:
    """Bring a card back from the recycle bin with its rows and history. Needs the right to
    delete the card (the recycle bin is the other side of deleting)."""
    require(actor, Action.DELETE, card)
    with transaction.atomic():
        card, changed = card_soft_restore(actor=actor, card=card)
        if changed:
            publish(_recycle_event(card, actor, deleted=False))
    return card
