"""The public catalogue of webhook events and the subscription to our domain events.

Each domain event gets a stable public name (``deal.stage_changed``) and a JSON payload:

    {"id": "<uuid of the event>", "type": "deal.stage_changed",
     "occurred_at": "2026-11-23T16:30:00+00:00", "actor_id": 7,
     "data": {"id": 42, "title": "…", "stage": {"id": 3, "code": "won", "kind": "won"},
              "amount": "150000.00", "currency": "RUB", "responsible_id": 7, …},
     "changes": {…what the event itself says: previous stage, changed fields…}}

The handler runs inside the transaction that publishes the event and writes one delivery row
per matching subscription there (one query to find them, one bulk insert), so a delivery
exists exactly when the change committed.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from voronka.contacts import events as contact_events
from voronka.core.events import DomainEvent, subscribe
from voronka.sales import events as sales_events
from voronka.tasks import events as task_events

TEST_EVENT = "webhook.test"


@dataclass(frozen=True)
class EventType:
    name: str
    label: str
    event_class: type[DomainEvent]
    data: Callable[[DomainEvent], dict]
    changes: Callable[[DomainEvent], dict]


# ---- What a card looks like in a payload ------------------------------------------------------


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _stage(stage) -> dict | None:
    if stage is None:
        return None
    return {"id": stage.pk, "code": stage.code, "kind": stage.kind, "name": stage.name}


def _card_common(card) -> dict:
    return {
        "id": card.pk,
        "title": card.title,
        "stage": _stage(card.stage),
        "amount": str(card.amount),
        "currency": card.currency,
        "responsible_id": card.responsible_id,
        "source_id": card.source_id,
        "created_at": _iso(card.created_at),
        "updated_at": _iso(card.updated_at),
        "closed_at": _iso(card.closed_at),
        "deleted": card.deleted_at is not None,
    }


def lead_data(lead_id: int) -> dict:
    from voronka.sales.models import Lead

    lead = Lead.all_objects.select_related("stage").filter(pk=lead_id).first()
    if lead is None:
        return {"id": lead_id}
    return {
        **_card_common(lead),
        "pipeline_id": lead.stage.pipeline_id,
        "last_name": lead.last_name,
        "first_name": lead.first_name,
        "middle_name": lead.middle_name,
        "company_title": lead.company_title,
        "contact_id": lead.contact_id,
        "company_id": lead.company_id,
    }


def deal_data(deal_id: int) -> dict:
    from voronka.sales.models import Deal

    deal = Deal.all_objects.select_related("stage").filter(pk=deal_id).first()
    if deal is None:
        return {"id": deal_id}
    return {
        **_card_common(deal),
        "pipeline_id": deal.pipeline_id,
        "company_id": deal.company_id,
        "lead_id": deal.lead_id,
        "probability": deal.probability,
        "closes_on": _iso(deal.closes_on),
    }


def contact_data(contact_id: int) -> dict:
    from voronka.contacts.models import Contact

    contact = Contact.all_objects.filter(pk=contact_id).first()
    if contact is None:
        return {"id": contact_id}
    return {
        "id": contact.pk,
        "last_name": contact.last_name,
        "first_name": contact.first_name,
        "middle_name": contact.middle_name,
        "position": contact.position,
        "responsible_id": contact.responsible_id,
        "created_at": _iso(contact.created_at),
        "updated_at": _iso(contact.updated_at),
        "deleted": contact.deleted_at is not None,
    }


def company_data(company_id: int) -> dict:
    from voronka.contacts.models import Company

    company = Company.all_objects.filter(pk=company_id).first()
    if company is None:
        return {"id": company_id}
    return {
        "id": company.pk,
        "title": company.title,
        "company_type": company.company_type,
        "inn": company.inn,
        "kpp": company.kpp,
        "responsible_id": company.responsible_id,
        "created_at": _iso(company.created_at),
        "updated_at": _iso(company.updated_at),
        "deleted": company.deleted_at is not None,
    }


def task_data(task_id: int) -> dict:
    from voronka.tasks.models import Task

    task = Task.objects.select_related("card_type").filter(pk=task_id).first()
    if task is None:
        return {"id": task_id}
    return {
        "id": task.pk,
        "title": task.title,
        "status": task.status,
        "responsible_id": task.responsible_id,
        "created_by_id": task.created_by_id,
        "deadline": _iso(task.deadline),
        "card_type": task.card_type.model if task.card_type_id else None,
        "card_id": task.card_id,
        "created_at": _iso(task.created_at),
        "completed_at": _iso(task.completed_at),
    }


def _stage_by_id(stage_id: int | None) -> dict | None:
    from voronka.sales.models import Stage

    if stage_id is None:
        return None
    return _stage(Stage.objects.filter(pk=stage_id).first()) or {"id": stage_id}


def _no_changes(event) -> dict:
    return {}


def _fields(event) -> dict:
    return {"fields": list(event.fields)}


def _from_stage(event) -> dict:
    changes = {"from_stage": _stage_by_id(event.from_stage_id)}
    if hasattr(event, "from_pipeline_id"):
        changes["from_pipeline_id"] = event.from_pipeline_id
    return changes


def _converted(event) -> dict:
    return {
        "contact_id": event.contact_id,
        "company_id": event.company_id,
        "deal_ids": list(event.deal_ids),
    }


def _task_deleted_data(event) -> dict:
    return {"id": event.task_id, "card_type": event.card_type, "card_id": event.card_id}


def _status(event) -> dict:
    return {"from_status": event.from_status, "to_status": event.to_status}


def _deadline(event) -> dict:
    return {"old_deadline": _iso(event.old_deadline), "new_deadline": _iso(event.new_deadline)}


def _comment(event) -> dict:
    return {"entry_id": event.entry_id}


def _catalogue() -> list[EventType]:
    se, ce, te = sales_events, contact_events, task_events
    lead = lambda e: lead_data(e.lead_id)  # noqa: E731
    deal = lambda e: deal_data(e.deal_id)  # noqa: E731
    contact = lambda e: contact_data(e.contact_id)  # noqa: E731
    company = lambda e: company_data(e.company_id)  # noqa: E731
    task = lambda e: task_data(e.task_id)  # noqa: E731
    return [
        EventType("lead.created", _("Lead created"), se.LeadCreated, lead, _no_changes),
        EventType("lead.updated", _("Lead changed"), se.LeadUpdated, lead, _fields),
        EventType(
            "lead.stage_changed", _("Lead moved to a stage"), se.LeadStageChanged, lead, _from_stage
        ),
        EventType("lead.converted", _("Lead converted"), se.LeadConverted, lead, _converted),
        EventType("lead.deleted", _("Lead deleted"), se.LeadDeleted, lead, _no_changes),
        EventType("lead.restored", _("Lead restored"), se.LeadRestored, lead, _no_changes),
        EventType("deal.created", _("Deal created"), se.DealCreated, deal, _no_changes),
        EventType("deal.updated", _("Deal changed"), se.DealUpdated, deal, _fields),
        EventType(
            "deal.stage_changed", _("Deal moved to a stage"), se.DealStageChanged, deal, _from_stage
        ),
        EventType("deal.deleted", _("Deal deleted"), se.DealDeleted, deal, _no_changes),
        EventType("deal.restored", _("Deal restored"), se.DealRestored, deal, _no_changes),
        EventType("contact.created", _("Contact created"), ce.ContactCreated, contact, _no_changes),
        EventType("contact.updated", _("Contact changed"), ce.ContactUpdated, contact, _fields),
        EventType("contact.deleted", _("Contact deleted"), ce.ContactDeleted, contact, _no_changes),
        EventType(
            "contact.restored", _("Contact restored"), ce.ContactRestored, contact, _no_changes
        ),
        EventType("company.created", _("Company created"), ce.CompanyCreated, company, _no_changes),
        EventType("company.updated", _("Company changed"), ce.CompanyUpdated, company, _fields),
        EventType("company.deleted", _("Company deleted"), ce.CompanyDeleted, company, _no_changes),
        EventType(
            "company.restored", _("Company restored"), ce.CompanyRestored, company, _no_changes
        ),
        EventType("task.created", _("Task created"), te.TaskCreated, task, _no_changes),
        EventType("task.updated", _("Task changed"), te.TaskUpdated, task, _fields),
        EventType(
            "task.status_changed", _("Task status changed"), te.TaskStatusChanged, task, _status
        ),
        EventType("task.completed", _("Task completed"), te.TaskCompleted, task, _no_changes),
        EventType(
            "task.deadline_changed",
            _("Task deadline changed"),
            te.TaskDeadlineChanged,
            task,
            _deadline,
        ),
        EventType("task.commented", _("Task commented"), te.TaskCommented, task, _comment),
        EventType(
            "task.deleted", _("Task deleted"), te.TaskDeleted, _task_deleted_data, _no_changes
        ),
    ]


CATALOGUE: dict[str, EventType] = {event_type.name: event_type for event_type in _catalogue()}
BY_CLASS: dict[type[DomainEvent], EventType] = {
    event_type.event_class: event_type for event_type in CATALOGUE.values()
}


def event_type_choices() -> list[tuple[str, str]]:
    return [(name, f"{event_type.label} ({name})") for name, event_type in CATALOGUE.items()]


def payload_for(event: DomainEvent, event_type: EventType, event_id: uuid.UUID) -> dict:
    return {
        "id": str(event_id),
        "type": event_type.name,
        "occurred_at": _iso(event.occurred_at),
        "actor_id": event.actor_id,
        "data": event_type.data(event),
        "changes": event_type.changes(event),
    }


def on_domain_event(event: DomainEvent) -> None:
    """Inside the publishing transaction: one delivery per subscription of the event's type."""
    from voronka.integrations.services import deliveries_enqueue

    event_type = BY_CLASS.get(type(event))
    if event_type is None:
        return
    deliveries_enqueue(
        event_type=event_type.name,
        payload=lambda event_id: payload_for(event, event_type, event_id),
    )


def connect() -> None:
    for event_class in BY_CLASS:
        subscribe(event_class, on_domain_event, in_transaction=True)
