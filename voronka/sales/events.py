"""What happens to leads and deals, for automation, webhooks and notifications."""

from dataclasses import dataclass

from voronka.core.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class LeadCreated(DomainEvent):
    lead_id: int
    stage_id: int


@dataclass(frozen=True, kw_only=True)
class LeadUpdated(DomainEvent):
    lead_id: int
    fields: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class LeadStageChanged(DomainEvent):
    lead_id: int
    from_stage_id: int | None
    from_stage_kind: str | None
    to_stage_id: int
    to_stage_kind: str


@dataclass(frozen=True, kw_only=True)
class LeadConverted(DomainEvent):
    lead_id: int
    contact_id: int | None
    company_id: int | None
    deal_ids: tuple[int, ...]


@dataclass(frozen=True, kw_only=True)
class LeadDeleted(DomainEvent):
    lead_id: int


@dataclass(frozen=True, kw_only=True)
class LeadRestored(DomainEvent):
    lead_id: int


@dataclass(frozen=True, kw_only=True)
class DealCreated(DomainEvent):
    deal_id: int
    pipeline_id: int
    stage_id: int


@dataclass(frozen=True, kw_only=True)
class DealUpdated(DomainEvent):
    deal_id: int
    fields: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class DealStageChanged(DomainEvent):
    deal_id: int
    from_pipeline_id: int | None
    to_pipeline_id: int
    from_stage_id: int | None
    from_stage_kind: str | None
    to_stage_id: int
    to_stage_kind: str


@dataclass(frozen=True, kw_only=True)
class DealDeleted(DomainEvent):
    deal_id: int


@dataclass(frozen=True, kw_only=True)
class DealRestored(DomainEvent):
    deal_id: int
