"""Contacts: people with Russian names, birthdays, phones, e-mails, Telegram and their companies."""

import datetime

from voronka.contacts.models import Contact, ContactCompany
from voronka.core.normalization import person_name_key
from voronka.sales.demo.communications import person_communications, telegram_handle
from voronka.sales.demo.context import DemoContext
from voronka.sales.demo.feed import created_entry
from voronka.sales.demo.names import COMPANY_ROLES, CONTACT_POSITIONS, random_person
from voronka.sales.demo.writer import BATCH_SIZE, BulkWriter, new_row


class ContactMaker:
    def __init__(self, context: DemoContext, writer: BulkWriter) -> None:
        self.context = context
        self.writer = writer
        self.rng = context.rng
        self.card_type = context.content_types["contact"]
        self.source_ids = list(context.source_ids.values())

    def run(self, count: int) -> None:
        for start in range(0, count, BATCH_SIZE):
            drafts = [self._draft() for _ in range(min(BATCH_SIZE, count - start))]
            contacts = self.writer.save_now([contact for contact, _extra in drafts])
            for contact, (_draft, extra) in zip(contacts, drafts, strict=True):
                self._details(contact, *extra)

    def _company_indexes(self) -> list[int]:
        """Indexes into the company lists: a primary company first, sometimes a second one."""
        rng, business = self.rng, self.context.business_company_indexes
        if not business or rng.random() >= 0.85:
            return []
        indexes = [rng.choice(business)]
        if rng.random() < 0.08:
            second = rng.choice(business)
            if second != indexes[0]:
                indexes.append(second)
        return indexes

    def _draft(self) -> tuple[Contact, tuple]:
        rng, context = self.rng, self.context
        person = random_person(rng)
        company_indexes = self._company_indexes()
        # A contact appears together with its company or later, never before it.
        earliest = 730.0
        if company_indexes:
            company_created = context.company_created[company_indexes[0]]
            earliest = min(earliest, (context.now.timestamp() - company_created) / 86400)
        days = rng.uniform(min(earliest, 20.0), earliest)
        created_at = max(context.working_time(context.days_ago(days)), context.days_ago(earliest))
        birthday = None
        if rng.random() < 0.7:
            birthday = datetime.date(
                context.now.year - rng.randint(22, 65), rng.randint(1, 12), rng.randint(1, 28)
            )
        custom_fields = {}
        if rng.random() < 0.3:
            custom_fields["newsletter"] = rng.random() < 0.8
        if rng.random() < 0.05:
            handle = telegram_handle(rng, person)[1]
            custom_fields["telegram_channel"] = f"https://t.me/{handle}"
        responsible_id = rng.choice(context.team.sales_manager_ids)
        contact = Contact(
            last_name=person.last_name,
            first_name=person.first_name,
            middle_name=person.middle_name,
            birthday=birthday,
            position=rng.choice(CONTACT_POSITIONS) if company_indexes else "",
            source_id=rng.choice(self.source_ids),
            responsible_id=responsible_id,
            created_by_id=responsible_id,
            created_at=created_at,
            custom_fields=custom_fields,
            # The services keep this key; bulk-written rows get it here.
            name_key=person_name_key(person.last_name, person.first_name, person.middle_name),
        )
        return contact, (person, company_indexes)

    def _details(self, contact: Contact, person, company_indexes: list[int]) -> None:
        rng, context, writer = self.rng, self.context, self.writer
        context.contact_ids.append(contact.pk)
        context.contact_created.append(contact.created_at.timestamp())
        writer.add(
            created_entry(self.card_type, contact.pk, contact.created_by_id, contact.created_at)
        )
        domain = context.company_domains[company_indexes[0]] if company_indexes else ""
        writer.add_all(
            person_communications(
                rng,
                self.card_type,
                contact.pk,
                person,
                phone=rng.random() < 0.95,
                company_domain=domain,
            )
        )
        for position, index in enumerate(company_indexes):
            company_id = context.company_ids[index]
            writer.add(
                new_row(
                    ContactCompany,
                    contact_id=contact.pk,
                    company_id=company_id,
                    is_primary=position == 0,
                    role=rng.choice(COMPANY_ROLES),
                )
            )
            if position == 0:
                context.company_contact_indexes.setdefault(company_id, []).append(
                    len(context.contact_ids) - 1
                )


def create_contacts(context: DemoContext, writer: BulkWriter) -> None:
    ContactMaker(context, writer).run(context.options.contacts)
