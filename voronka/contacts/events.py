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
