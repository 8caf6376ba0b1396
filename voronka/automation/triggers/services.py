"""Triggers: setting them up, and firing them — an event happened to a card, the first active
trigger of its pipeline waiting for that event (in stage order) whose condition holds moves the
card into its stage.

Firing runs inside the transaction that publishes the event (an in-transaction subscriber), so
the event and the move commit together. A move refused by the card (a required field empty)
does not break that transaction: the refusal is written on the card's feed instead. A card is
moved only forward (to a stage further right) unless the trigger allows moving back, and never
out of a success or failure stage.
"""

import contextvars
import datetime
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Exists, OuterRef
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.access.models import Action as Right
from voronka.access.models import Entity
from voronka.access.predicates import require
from voronka.automation import conditions
from voronka.automation.actions import validate_params
from voronka.automation.fields import (
    Kind,
    cached_definitions,
    definitions_of,
    entity_of_model,
    field_spec,
    raw_value,
    to_date,
)
from voronka.automation.models import Trigger, TriggerHit
from voronka.automation.triggers.base import get_kind
from voronka.automation.triggers.kinds import DATE_REACHED, INBOUND_WEBHOOK
from voronka.customization.validation import definitions_for
from voronka.sales.models import Deal, Lead, LossReason, Pipeline, PipelineEntity, StageKind
from voronka.sales.services import deal_move_to_stage, lead_move_to_stage
from voronka.timeline.models import EntryKind
from voronka.timeline.services import entry_add

logger = logging.getLogger(__name__)

TRIGGER_FIELDS = (
    "pipeline",
    "stage",
    "sort",
    "name",
    "kind",
    "params",
    "condition",
    "allow_backwards",
    "is_active",
)
# A trigger's move publishes events that may fire other triggers; a chain this long is a loop.
MAX_CHAIN = 5
_chain: contextvars.ContextVar[int] = contextvars.ContextVar("automation_trigger_chain", default=0)


# --- Setting triggers up -----------------------------------------------------------------------


def card_model(pipeline: Pipeline) -> type[models.Model]:
    return Lead if pipeline.entity == PipelineEntity.LEAD else Deal


def _flatten(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [
            f"{name}: {message}"
            for name, messages in error.message_dict.items()
            for message in messages
        ]
    return list(error.messages)


def trigger_clean(trigger: Trigger) -> None:
    """Every problem of a trigger in one ValidationError, under the field it concerns: a stage
    of another pipeline, an unknown kind or one that does not suit the pipeline, bad parameters
    (“name: message” under ``params``), a bad condition."""
    errors: dict[str, list[str]] = {}
    try:
        trigger.full_clean(exclude=["params", "condition", "secret"])
    except ValidationError as error:
        errors.update(error.message_dict)
    if (
        trigger.pipeline_id
        and trigger.stage_id
        and trigger.stage.pipeline_id != trigger.pipeline_id
    ):
        errors.setdefault("stage", []).append(_("Choose a stage of the trigger's pipeline."))
    kind = get_kind(trigger.kind)
    if trigger.kind and kind is None:
        errors.setdefault("kind", []).append(_("Unknown event."))
    if trigger.pipeline_id:
        model = card_model(trigger.pipeline)
        if kind is not None and trigger.pipeline.entity not in kind.entities:
            errors.setdefault("kind", []).append(
                _("This event does not happen to cards of this pipeline.")
            )
        elif kind is not None:
            try:
                validate_params(kind, trigger, trigger.params)
            except ValidationError as error:
                errors.setdefault("params", []).extend(_flatten(error))
            else:
                _check_loss_reason(trigger, errors)
        try:
            conditions.validate_condition(
                model, trigger.condition, definitions_for(entity_of_model(model))
            )
        except ValidationError as error:
            errors.setdefault("condition", []).extend(error.messages)
    if errors:
        raise ValidationError(errors)


def _check_loss_reason(trigger: Trigger, errors: dict[str, list[str]]) -> None:
    reason = (trigger.params or {}).get("loss_reason")
    lost = trigger.stage_id is not None and trigger.stage.kind == StageKind.LOST
    if reason in (None, "") and not lost:
        return
    if not LossReason.objects.filter(pk=reason or 0, is_active=True).exists():
        errors.setdefault("params", []).append("loss_reason: " + _("Choose why the card is lost."))


@transaction.atomic
def trigger_create(*, actor, data: dict[str, Any]) -> Trigger:
    """A new trigger; the secret of its inbound webhook address is generated here."""
    require(actor, Right.ADD, Entity.SETTINGS)
    trigger = Trigger(**{key: value for key, value in data.items() if key in TRIGGER_FIELDS})
    if trigger.stage_id and not trigger.pipeline_id:
        trigger.pipeline = trigger.stage.pipeline
    trigger_clean(trigger)
    trigger.secret = secrets.token_urlsafe(32)
    trigger.save()
    return trigger


@transaction.atomic
def trigger_update(*, actor, trigger: Trigger, data: dict[str, Any]) -> Trigger:
    """Change a trigger. A date trigger whose event changed forgets the cards it has acted on."""
    require(actor, Right.UPDATE, Entity.SETTINGS)
    trigger = Trigger.objects.select_for_update().get(pk=trigger.pk)
    before = (trigger.kind, trigger.params)
    for key, value in data.items():
        if key in TRIGGER_FIELDS:
            setattr(trigger, key, value)
    trigger_clean(trigger)
    if not trigger.secret:
        trigger.secret = secrets.token_urlsafe(32)
    trigger.save()
    if (trigger.kind, trigger.params) != before:
        TriggerHit.objects.filter(trigger=trigger).delete()
    return trigger


@transaction.atomic
def trigger_toggle(*, actor, trigger: Trigger) -> Trigger:
    """Switch a trigger on or off."""
    require(actor, Right.UPDATE, Entity.SETTINGS)
    trigger = Trigger.objects.select_for_update().get(pk=trigger.pk)
    trigger.is_active = not trigger.is_active
    trigger.save(update_fields=["is_active", "updated_at"])
    return trigger


@transaction.atomic
def trigger_delete(*, actor, trigger: Trigger) -> None:
    require(actor, Right.DELETE, Entity.SETTINGS)
    Trigger.objects.filter(pk=trigger.pk).delete()


# --- Firing -------------------------------------------------------------------------------------

MOVED = "moved"
NOT_MOVED = "not_moved"
REFUSED = "refused"
PASSED = "passed"  # the trigger does not apply (other event, other stage…): nothing written


@dataclass
class Considered:
    trigger: Trigger
    status: str
    reason: str


@dataclass
class FireResult:
    considered: list[Considered] = field(default_factory=list)

    @property
    def moved(self) -> Trigger | None:
        return next((c.trigger for c in self.considered if c.status == MOVED), None)

    @property
    def reason(self) -> str:
        """Why the card moved, or why the last trigger that applied did not move it."""
        for item in self.considered:
            if item.status == MOVED:
                return item.reason
        return self.considered[-1].reason if self.considered else _("No trigger applies.")


def pipeline_id_of(card: models.Model) -> int:
    return card.pipeline_id if isinstance(card, Deal) else card.stage.pipeline_id


def active_triggers(kinds: list[str] | tuple[str, ...]) -> list[Trigger]:
    """The active triggers of ``kinds`` in every pipeline, in stage order: one query."""
    triggers = Trigger.objects.filter(kind__in=kinds, is_active=True).select_related(
        "stage", "pipeline"
    )
    return sorted(triggers, key=lambda t: (t.stage.sort, t.stage_id, t.sort, t.pk))


def fire(
    kind: str,
    card: models.Model,
    context: dict[str, Any] | None = None,
    *,
    triggers: list[Trigger] | None = None,
) -> FireResult:
    """``kind`` happened to ``card``: move it with the first trigger that applies. ``triggers``
    (in stage order) spares the query when the caller has them already; those of other
    pipelines or kinds are ignored."""
    context = dict(context or {})
    result = FireResult()
    if triggers is None:
        triggers = active_triggers([kind])
    pipeline_id = pipeline_id_of(card)
    triggers = [
        t for t in triggers if t.kind == kind and t.is_active and t.pipeline_id == pipeline_id
    ]
    kind_obj = get_kind(kind)
    if not triggers or kind_obj is None:
        return result
    if _chain.get() >= MAX_CHAIN:
        logger.warning("Trigger chain stopped on %r %s: a loop?", card, kind)
        return result
    fresh = None
    for trigger in triggers:
        if not kind_obj.matches(trigger, card, context):
            result.considered.append(Considered(trigger, PASSED, _("Another event.")))
            continue
        if fresh is None:
            # The card as it is now, locked: the event's writer holds it already; a webhook or
            # the date check may race a person moving it.
            fresh = (
                type(card).all_objects.select_for_update().select_related("stage").get(pk=card.pk)
            )
        item = _fire_one(kind_obj, trigger, fresh, context)
        result.considered.append(item)
        if item.status in (MOVED, REFUSED):
            break
    return result


def _fire_one(kind_obj, trigger: Trigger, card: models.Model, context) -> Considered:
    target, current = trigger.stage, card.stage
    if getattr(card, "is_deleted", False):
        return Considered(trigger, PASSED, _("The card is in the recycle bin."))
    if current.pk == target.pk:
        return Considered(
            trigger, PASSED, _("The card is already in “%(stage)s”.") % {"stage": target.name}
        )
    if current.kind != StageKind.OPEN:
        return Considered(
            trigger, PASSED, _("The card is closed in “%(stage)s”.") % {"stage": current.name}
        )
    if (target.sort, target.pk) < (current.sort, current.pk) and not trigger.allow_backwards:
        return Considered(
            trigger,
            PASSED,
            _("“%(stage)s” is behind the card's stage; the trigger moves cards only forward.")
            % {"stage": target.name},
        )
    why = kind_obj.why(trigger, card, context)
    held, trace = conditions.evaluate(card, trigger.condition, definitions_of(card))
    payload = {
        "trigger_id": trigger.pk,
        "trigger": trigger.name,
        "event": why,
        "stage_id": target.pk,
        "stage": target.name,
        "why": trace["text"] if trace.get("rules") else "",
    }
    if not held:
        reason = _("Condition not met: %(why)s") % {"why": trace["text"]}
        _entry(card, trigger, NOT_MOVED, reason, payload)
        return Considered(trigger, NOT_MOVED, reason)
    loss_reason = None
    if target.kind == StageKind.LOST:
        loss_reason = LossReason.objects.filter(
            pk=(trigger.params or {}).get("loss_reason") or 0
        ).first()
    token = _chain.set(_chain.get() + 1)
    try:
        # The move runs in its own savepoint: a refusal takes back only what it wrote.
        if isinstance(card, Lead):
            lead_move_to_stage(actor=None, lead=card, stage=target, loss_reason=loss_reason)
        else:
            deal_move_to_stage(actor=None, deal=card, stage=target, loss_reason=loss_reason)
    except ValidationError as error:
        reason = _("Refused: %(why)s") % {"why": " ".join(error.messages)}
        _entry(card, trigger, REFUSED, reason, {**payload, "error": _flatten(error)})
        return Considered(trigger, REFUSED, reason)
    finally:
        _chain.reset(token)
    reason = _("Moved to “%(stage)s”: %(why)s") % {"stage": target.name, "why": why}
    _entry(card, trigger, MOVED, reason, payload)
    return Considered(trigger, MOVED, reason)


def _entry(card, trigger: Trigger, status: str, reason: str, payload: dict[str, Any]) -> None:
    entry_add(
        actor=None,
        card=card,
        kind=EntryKind.ROBOT,
        text=f"{trigger.name}: {reason}",
        payload={**payload, "status": status},
    )


# --- The inbound webhook ------------------------------------------------------------------------


def webhook_trigger(*, pk: int, secret: str) -> Trigger | None:
    """The inbound webhook trigger ``pk`` if ``secret`` is its secret (compared in constant
    time), else None — whether it exists or not."""
    import hmac

    trigger = (
        Trigger.objects.select_related("pipeline", "stage")
        .filter(pk=pk, kind=INBOUND_WEBHOOK)
        .first()
    )
    if trigger is None or not trigger.secret:
        hmac.compare_digest(secret.encode(), b"-" * 43)
        return None
    if not hmac.compare_digest(secret.encode(), trigger.secret.encode()):
        return None
    return trigger


def webhook_fire(*, trigger: Trigger, card_id: int) -> tuple[bool, str] | None:
    """Move card ``card_id`` of the trigger's pipeline; None when there is no such card."""
    model = card_model(trigger.pipeline)
    cards = model.objects.select_related("stage").filter(pk=card_id)
    if model is Deal:
        cards = cards.filter(pipeline_id=trigger.pipeline_id)
    else:
        cards = cards.filter(stage__pipeline_id=trigger.pipeline_id)
    with transaction.atomic():
        card = cards.first()
        if card is None:
            return None
        if not trigger.is_active:
            return False, _("The trigger is switched off.")
        result = fire(INBOUND_WEBHOOK, card, {}, triggers=[trigger])
    return result.moved is not None, result.reason


# --- Dates reached: the periodic check ----------------------------------------------------------

DUE_BATCH = 200


def triggers_due(*, now: datetime.datetime | None = None, batch: int = DUE_BATCH) -> int:
    """Fire the date triggers whose date (± offset days) has been reached on cards that have not
    been handled for that date yet; each card once per date value, whatever the outcome.
    At most ``batch`` cards per trigger per call (the next call goes on). Returns how many cards
    were handled."""
    today = timezone.localdate(now or timezone.now())
    handled = 0
    for trigger in active_triggers([DATE_REACHED]):
        handled += _due_for_trigger(trigger, today, batch)
    return handled


def _due_for_trigger(trigger: Trigger, today: datetime.date, batch: int) -> int:
    model = card_model(trigger.pipeline)
    definitions = definitions_for(entity_of_model(model))
    params = trigger.params or {}
    spec = field_spec(model, str(params.get("field", "")), definitions)
    if spec is None or spec.kind not in (Kind.DATE, Kind.DATETIME):
        return 0
    # date + offset <= today, i.e. date <= today - offset: before the start of the next day.
    last_day = today - datetime.timedelta(days=int(params.get("offset") or 0))
    next_day = last_day + datetime.timedelta(days=1)
    cards = model.objects.select_related("stage").filter(stage__kind=StageKind.OPEN)
    if model is Deal:
        cards = cards.filter(pipeline_id=trigger.pipeline_id)
    else:
        cards = cards.filter(stage__pipeline_id=trigger.pipeline_id)
    cards = cards.exclude(stage_id=trigger.stage_id)
    if not trigger.allow_backwards:
        cards = cards.filter(stage__sort__lte=trigger.stage.sort)
    if spec.model_field is not None and spec.kind == Kind.DATE:
        cards = cards.filter(**{f"{spec.model_field.name}__lte": last_day})
    elif spec.model_field is not None:
        start = timezone.make_aware(datetime.datetime.combine(next_day, datetime.time()))
        cards = cards.filter(**{f"{spec.model_field.name}__lt": start})
    else:
        # Custom dates are stored as ISO text: "2026-11-20" or "2026-11-20T10:00:00+03:00".
        cards = cards.annotate(
            trigger_date=Cast(KeyTextTransform(spec.code, "custom_fields"), models.TextField())
        ).filter(trigger_date__gte="0", trigger_date__lt=next_day.isoformat())
    card_type = ContentType.objects.get_for_model(model)
    cards = cards.filter(
        ~Exists(
            TriggerHit.objects.filter(trigger=trigger, card_type=card_type, card_id=OuterRef("pk"))
        )
    ).order_by("pk")[:batch]
    handled = 0
    with cached_definitions():
        for card in cards:
            handled += _due_card(trigger, card, spec, card_type, last_day)
    return handled


def _due_card(trigger: Trigger, card, spec, card_type, last_day: datetime.date) -> int:
    """Handle one card whose date has come, in its own transaction: note the date (a second
    worker at the same moment hits the unique row and leaves the card), then fire."""
    day = to_date(raw_value(card, spec))
    if day is None or day > last_day:
        return 0
    with transaction.atomic():
        try:
            with transaction.atomic():
                TriggerHit.objects.create(
                    trigger=trigger, card_type=card_type, card_id=card.pk, key=day.isoformat()
                )
        except IntegrityError:
            return 0
        fire(DATE_REACHED, card, {"date": day.isoformat(), "label": spec.label}, triggers=[trigger])
    return 1


def forget_dates(*, card: models.Model, fields: set[str], triggers: list[Trigger]) -> None:
    """The card's date fields ``fields`` changed: the date triggers watching them may fire
    again for the new date."""
    pipeline_id = pipeline_id_of(card)
    watching = [
        t.pk
        for t in triggers
        if t.kind == DATE_REACHED
        and t.pipeline_id == pipeline_id
        and (t.params or {}).get("field") in fields
    ]
    if watching:
        TriggerHit.objects.filter(
            trigger_id__in=watching,
            card_type=ContentType.objects.get_for_model(card),
            card_id=card.pk,
        ).delete()
