"""What the generation phases share: options, the random source, the clock and the ids made
by earlier phases (later phases refer to them without querying)."""

import datetime
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType


@dataclass(frozen=True)
class DemoOptions:
    leads: int = 300
    deals: int = 400
    contacts: int = 600
    companies: int | None = None  # None: a third of the contacts
    seed: int = 1

    @property
    def company_count(self) -> int:
        return self.companies if self.companies is not None else self.contacts // 3


@dataclass
class Team:
    """Employee ids by the role they play on cards."""

    sales_head_id: int = 0
    sales_manager_ids: list[int] = field(default_factory=list)
    delivery_manager_ids: list[int] = field(default_factory=list)
    employee_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class ConvertedLead:
    """A lead closed as won: a deal continues it with the same client."""

    lead_id: int
    title: str
    contact_title: str
    company_title: str
    contact_id: int
    company_id: int
    responsible_id: int
    converted_at: datetime.datetime
    amount: Decimal


@dataclass
class DemoContext:
    options: DemoOptions
    now: datetime.datetime
    rng: random.Random = field(init=False)
    team: Team = field(default_factory=Team)
    source_ids: dict[str, int] = field(default_factory=dict)
    loss_reason_ids: dict[str, int] = field(default_factory=dict)
    products: list = field(default_factory=list)
    lead_stages: list = field(default_factory=list)
    deal_pipelines: dict[str, tuple] = field(default_factory=dict)  # code → (pipeline, stages)
    # Parallel lists: a company's id, its e-mail domain ("" for people) and creation time.
    company_ids: list[int] = field(default_factory=list)
    company_domains: list[str] = field(default_factory=list)
    company_created: list[float] = field(default_factory=list)
    business_company_indexes: list[int] = field(default_factory=list)
    # company id → indexes into the contact lists of the contacts whose primary company it is
    company_contact_indexes: dict[int, list[int]] = field(default_factory=dict)
    contact_ids: list[int] = field(default_factory=list)
    contact_created: list[float] = field(default_factory=list)
    converted_leads: list[ConvertedLead] = field(default_factory=list)
    content_types: dict[str, ContentType] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.options.seed)

    def days_ago(self, days: float) -> datetime.datetime:
        return self.now - datetime.timedelta(days=days)

    def working_time(self, moment: datetime.datetime) -> datetime.datetime:
        """The same day at a plausible office hour, so cards are not created at 3 a.m."""
        local = moment.astimezone(self.now.tzinfo)
        hour, minute = self.rng.randint(9, 19), self.rng.randrange(60)
        return local.replace(hour=hour, minute=minute, second=self.rng.randrange(60))

    def client_known_before(
        self, moment: datetime.datetime, *, with_company: bool = True
    ) -> tuple[int | None, int | None]:
        """Ids of a company and one of its contacts that existed before ``moment``.

        Returns (company id, contact id); either is None when no such record turns up.
        """
        rng, limit = self.rng, moment.timestamp()
        company_id = contact_id = None
        if with_company and self.business_company_indexes:
            for _attempt in range(20):
                index = rng.choice(self.business_company_indexes)
                if self.company_created[index] < limit:
                    company_id = self.company_ids[index]
                    break
        if company_id is not None:
            known = [
                index
                for index in self.company_contact_indexes.get(company_id, ())
                if self.contact_created[index] < limit
            ]
            if known:
                contact_id = self.contact_ids[rng.choice(known)]
        if contact_id is None and self.contact_ids:
            for _attempt in range(20):
                index = rng.randrange(len(self.contact_ids))
                if self.contact_created[index] < limit:
                    contact_id = self.contact_ids[index]
                    break
        return company_id, contact_id
