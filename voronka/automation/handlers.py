"""Robot runs follow cards through stages: subscribed to the sales events inside the
transaction that moves the card, so the move and its runs commit — or roll back — together."""

from voronka.automation.services import runs_create, runs_follow_move
from voronka.core.events import subscribe
from voronka.sales import events
from voronka.sales.models import Deal, Lead


def on_lead_created(event: events.LeadCreated) -> None:
    runs_create(model=Lead, card_id=event.lead_id, stage_id=event.stage_id)


def on_deal_created(event: events.DealCreated) -> None:
    runs_create(model=Deal, card_id=event.deal_id, stage_id=event.stage_id)


def on_lead_stage_changed(event: events.LeadStageChanged) -> None:
    runs_follow_move(
        model=Lead,
        card_id=event.lead_id,
        from_stage_id=event.from_stage_id,
        to_stage_id=event.to_stage_id,
    )


def on_deal_stage_changed(event: events.DealStageChanged) -> None:
    runs_follow_move(
        model=Deal,
        card_id=event.deal_id,
        from_stage_id=event.from_stage_id,
        to_stage_id=event.to_stage_id,
    )


def connect() -> None:
    subscribe(events.LeadCreated, on_lead_created, in_transaction=True)
    subscribe(events.DealCreated, on_deal_created, in_transaction=True)
    subscribe(events.LeadStageChanged, on_lead_stage_changed, in_transaction=True)
    subscribe(events.DealStageChanged, on_deal_stage_changed, in_transaction=True)
