"""What happens to contacts and companies, for automation, webhooks and notifications."""

from dataclasses import dataclass

from voronka.core.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class ContactCreated(DomainEvent):
    contact_id: int


@dataclass(frozen=True, kw_only=True)
class ContactUpdated(DomainEvent):
    contact_id: int
    fields: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class ContactDeleted(DomainEvent):
    contact_id: int


@dataclass(frozen=True, kw_only=True)
class ContactRestored(DomainEvent):
    contact_id: int


@dataclass(frozen=True, kw_only=True)
class CompanyCreated(DomainEvent):
    company_id: int


@dataclass(frozen=True, kw_only=True)
class CompanyUpdated(DomainEvent):
    company_id: int
    fields: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class CompanyDeleted(DomainEvent):
    company_id: int


@dataclass(frozen=True, kw_only=True)
class CompanyRestored(DomainEvent):
    company_id: int


@dataclass(frozen=True, kw_only=True)
class CardsMerged(DomainEvent):
    """A contact or company (``card_type`` "contact" / "company") absorbed into another; its
    rows (deals, leads, links, feed) now belong to the survivor."""

    card_type: str
    survivor_id: int
    absorbed_id: int
    merge_id: int


@dataclass(frozen=True, kw_only=True)
class MergeUndone(DomainEvent):
    """A merge undone: the absorbed card and its rows are back."""

    card_type: str
    survivor_id: int
    absorbed_id: int
    merge_id: int
