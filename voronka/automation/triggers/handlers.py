"""Triggers hear the events of cards, tasks and feeds inside the transaction that publishes
them, so the event and the move it causes commit together. Each handler costs one query (the
active triggers of the kind) when no trigger waits for its event."""

from django.utils.text import capfirst

from voronka.automation.fields import definitions_of, field_spec
from voronka.automation.models import Trigger
from voronka.automation.triggers.kinds import (
    CLIENT_ACTIVITY,
    DATE_REACHED,
    FIELD_CHANGED,
    LEAD_FROM_SOURCE,
    TASK_COMPLETED,
)
from voronka.automation.triggers.services import (
    active_triggers,
    fire,
    forget_dates,
    pipeline_id_of,
)
from voronka.core.events import subscribe
from voronka.sales import events as sales_events
from voronka.sales.models import Deal, Lead
from voronka.timeline import events as timeline_events

CARD_MODELS = {"lead": Lead, "deal": Deal}


def _card(model, pk: int):
    return model.objects.select_related("stage").filter(pk=pk).first()


def _of_pipeline(triggers: list[Trigger], card) -> list[Trigger]:
    pipeline_id = pipeline_id_of(card)
    return [t for t in triggers if t.pipeline_id == pipeline_id]


def on_lead_created(event: sales_events.LeadCreated) -> None:
    triggers = active_triggers([LEAD_FROM_SOURCE])
    if not triggers:
        return
    card = _card(Lead, event.lead_id)
    if card is not None and card.source_id is not None:
        fire(LEAD_FROM_SOURCE, card, {}, triggers=_of_pipeline(triggers, card))


def _card_updated(model, card_id: int, fields: tuple[str, ...]) -> None:
    triggers = active_triggers([FIELD_CHANGED, DATE_REACHED])
    if not triggers:
        return
    card = _card(model, card_id)
    if card is None:
        return
    triggers = _of_pipeline(triggers, card)
    codes = {name.removeprefix("custom_fields.") for name in fields}
    forget_dates(card=card, fields=codes, triggers=triggers)
    if any(t.kind == FIELD_CHANGED for t in triggers):
        labels = []
        for code in codes:
            spec = field_spec(model, code, definitions_of(card))
            labels.append((code, capfirst(spec.label) if spec else code))
        fire(FIELD_CHANGED, card, {"fields": codes, "labels": labels}, triggers=triggers)


def on_lead_updated(event: sales_events.LeadUpdated) -> None:
    _card_updated(Lead, event.lead_id, event.fields)


def on_deal_updated(event: sales_events.DealUpdated) -> None:
    _card_updated(Deal, event.deal_id, event.fields)


def on_task_completed(event) -> None:
    model = CARD_MODELS.get(event.card_type or "")
    if model is None or event.card_id is None:
        return
    triggers = active_triggers([TASK_COMPLETED])
    if not triggers:
        return
    card = _card(model, event.card_id)
    if card is None:
        return
    from voronka.tasks.models import Task

    title = Task.objects.filter(pk=event.task_id).values_list("title", flat=True).first()
    context = {"title": title or "", "robot": bool(event.robot_run_id)}
    fire(TASK_COMPLETED, card, context, triggers=_of_pipeline(triggers, card))


def _activity(event: timeline_events.ActivityEvent, moment: str) -> None:
    model = CARD_MODELS.get(event.card_type)
    if model is None or event.activity_kind not in ("call", "email"):
        return
    triggers = active_triggers([CLIENT_ACTIVITY])
    if not triggers:
        return
    card = _card(model, event.card_id)
    if card is None:
        return
    from voronka.timeline.models import Activity

    subject = Activity.objects.filter(pk=event.activity_id).values_list("subject", flat=True)
    context = {
        "activity_kind": event.activity_kind,
        "moment": moment,
        "subject": subject.first() or "",
    }
    fire(CLIENT_ACTIVITY, card, context, triggers=_of_pipeline(triggers, card))


def on_activity_created(event: timeline_events.ActivityCreated) -> None:
    _activity(event, "created")


def on_activity_completed(event: timeline_events.ActivityCompleted) -> None:
    _activity(event, "completed")


def connect() -> None:
    subscribe(sales_events.LeadCreated, on_lead_created, in_transaction=True)
    subscribe(sales_events.LeadUpdated, on_lead_updated, in_transaction=True)
    subscribe(sales_events.DealUpdated, on_deal_updated, in_transaction=True)
    subscribe(timeline_events.ActivityCreated, on_activity_created, in_transaction=True)
    subscribe(timeline_events.ActivityCompleted, on_activity_completed, in_transaction=True)
    from django.apps import apps

    if apps.is_installed("voronka.tasks"):
        from voronka.tasks.events import TaskCompleted

        subscribe(TaskCompleted, on_task_completed, in_transaction=True)
