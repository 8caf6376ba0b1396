"""Outgoing ``ONCRM*`` events: domain events of cards and activities, posted form-encoded to
the handlers bound with ``event.bind``, from a background task after the change commits."""

import hashlib
import logging
import time
from urllib.parse import urlencode, urlsplit

from voronka.contacts import events as contact_events
from voronka.core.events import subscribe
from voronka.integrations.delivery import send
from voronka.sales import events as sales_events
from voronka.timeline import events as timeline_events

logger = logging.getLogger(__name__)
TIMEOUT = 5.0

SUPPORTED_EVENTS = frozenset(
    f"ONCRM{entity}{action}"
    for entity in ("LEAD", "DEAL", "CONTACT", "COMPANY", "ACTIVITY")
    for action in ("ADD", "UPDATE", "DELETE")
) | {
    "ONCRMDEALMOVETOCATEGORY",
    "ONEXTERNALCALLSTART",
    "ONCRMTIMELINECOMMENTADD",
    "ONCRMTIMELINECOMMENTUPDATE",
    "ONCRMTIMELINECOMMENTDELETE",
}

FLAT_EVENTS = frozenset({"ONEXTERNALCALLSTART"})

# Domain event → (Bitrix24 event, the attribute holding the id).
MAPPING = {
    sales_events.LeadCreated: ("ONCRMLEADADD", "lead_id"),
    sales_events.LeadUpdated: ("ONCRMLEADUPDATE", "lead_id"),
    sales_events.LeadStageChanged: ("ONCRMLEADUPDATE", "lead_id"),
    sales_events.LeadDeleted: ("ONCRMLEADDELETE", "lead_id"),
    sales_events.DealCreated: ("ONCRMDEALADD", "deal_id"),
    sales_events.DealUpdated: ("ONCRMDEALUPDATE", "deal_id"),
    sales_events.DealStageChanged: ("ONCRMDEALUPDATE", "deal_id"),
    sales_events.DealDeleted: ("ONCRMDEALDELETE", "deal_id"),
    contact_events.ContactCreated: ("ONCRMCONTACTADD", "contact_id"),
    contact_events.ContactUpdated: ("ONCRMCONTACTUPDATE", "contact_id"),
    contact_events.ContactDeleted: ("ONCRMCONTACTDELETE", "contact_id"),
    contact_events.CompanyCreated: ("ONCRMCOMPANYADD", "company_id"),
    contact_events.CompanyUpdated: ("ONCRMCOMPANYUPDATE", "company_id"),
    contact_events.CompanyDeleted: ("ONCRMCOMPANYDELETE", "company_id"),
    timeline_events.ActivityCreated: ("ONCRMACTIVITYADD", "activity_id"),
    timeline_events.ActivityCompleted: ("ONCRMACTIVITYUPDATE", "activity_id"),
    timeline_events.CommentAdded: ("ONCRMTIMELINECOMMENTADD", "entry_id"),
}


def _fields_of(event) -> list[tuple[str, dict]]:
    name, attribute = MAPPING[type(event)]
    fields = {"ID": getattr(event, attribute)}
    found = [(name, fields)]
    if isinstance(event, sales_events.DealStageChanged) and (
        event.from_pipeline_id is not None and event.from_pipeline_id != event.to_pipeline_id
    ):
        from voronka.integrations.bitrix24.entities import category_id, stage_code
        from voronka.sales.models import Stage

        stage = Stage.objects.select_related("pipeline").get(pk=event.to_stage_id)
        found.append(
            (
                "ONCRMDEALMOVETOCATEGORY",
                {
                    "ID": event.deal_id,
                    "CATEGORY_ID": category_id(stage.pipeline),
                    "STAGE_ID": stage_code(stage),
                },
            )
        )
    return found


def on_domain_event(event) -> None:
    """Queue one delivery per binding of the matching Bitrix24 event (after commit)."""
    from voronka.integrations.bitrix24.models import EventBinding
    from voronka.integrations.bitrix24.tasks import deliver_event

    for name, fields in _fields_of(event):
        for binding_id in EventBinding.objects.filter(event=name).values_list("pk", flat=True):
            deliver_event.delay(binding_id, name, fields)


def connect() -> None:
    for event_class in MAPPING:
        subscribe(event_class, on_domain_event)


def body(binding, event: str, fields: dict) -> str:
    """The form-encoded body Bitrix24 posts: ``event``, ``data[FIELDS][…]``, ``ts``, ``auth``."""
    endpoint = binding.client_endpoint or "http://localhost/rest/"
    domain = urlsplit(endpoint).netloc
    pairs = [("event", event), ("event_handler_id", str(binding.pk))]
    # Card events carry ``data[FIELDS][ID]``; the telephony ones their keys in ``data`` itself.
    prefix = "data" if event in FLAT_EVENTS else "data[FIELDS]"
    pairs += [
        (f"{prefix}[{key}]", "" if value is None else str(value)) for key, value in fields.items()
    ]
    pairs += [
        ("ts", str(int(time.time()))),
        ("auth[domain]", domain),
        ("auth[client_endpoint]", endpoint),
        ("auth[server_endpoint]", endpoint.replace("/rest/", "/oauth/")),
        ("auth[member_id]", hashlib.md5(domain.encode()).hexdigest()),
        ("auth[application_token]", binding.application_token),
    ]
    return urlencode(pairs)


def deliver(binding, event: str, fields: dict) -> int | None:
    """One POST, short timeout and no retry, as Bitrix24 sends online events, through the
    outbound webhooks' sender (its address check refuses private networks unless allowed);
    the status, or None when the handler was refused or unreachable."""
    outcome = send(
        binding.handler,
        body(binding, event, fields).encode(),
        "application/x-www-form-urlencoded",
        timeout=TIMEOUT,
    )
    if outcome.error:
        logger.warning("Bitrix24 event %s to %s: %s", event, binding.handler, outcome.error)
    return outcome.status_code
