"""Leads of the last six months over the lead funnel, with sources, UTM tags and contacts."""

import datetime
from decimal import Decimal

from voronka.contacts.models import Company, Contact
from voronka.sales.demo.cards import (
    Journey,
    journey_rows,
    plan_activities,
    plan_journey,
    product_rows,
    round_amount,
    rows_total,
    save_activities,
)
from voronka.sales.demo.catalogues import REQUEST_PURPOSES
from voronka.sales.demo.communications import person_communications
from voronka.sales.demo.context import ConvertedLead, DemoContext
from voronka.sales.demo.names import (
    CONTACT_POSITIONS,
    PersonName,
    random_company_word,
    random_person,
)
from voronka.sales.demo.writer import BATCH_SIZE, BulkWriter
from voronka.sales.models import Lead, StageKind

SOURCE_WEIGHTS = {
    "website": 30,
    "call": 15,
    "recommendation": 10,
    "yandex_direct": 25,
    "exhibition": 3,
    "telegram": 7,
    "email": 5,
    "repeat": 5,
}
PURPOSE_LABELS = dict(REQUEST_PURPOSES)
# Which catalogue items (by SKU prefix or SKU) a request is priced with.
PURPOSE_PRODUCTS = {
    "new_site": ("DEV-CARD", "DEV-SITE", "MKT-ANL", "SUP-HOST"),
    "redesign": ("DEV-SITE", "DSN-HOUR", "SUP-HOST"),
    "online_store": ("DEV-SHOP", "DEV-1C", "MKT-ANL", "SUP-HOST"),
    "advertising": ("MKT-PPC", "MKT-SEO", "MKT-SMM", "MKT-ANL"),
    "branding": ("DSN-LOGO", "DSN-BRAND"),
    "support": ("SUP-HOUR", "SUP-20", "SUP-HOST"),
}
LANDING_PAGES = (
    "https://pixel-studio.ru/",
    "https://pixel-studio.ru/uslugi/razrabotka-saytov/",
    "https://pixel-studio.ru/uslugi/internet-magaziny/",
    "https://pixel-studio.ru/uslugi/seo/",
    "https://pixel-studio.ru/uslugi/kontekstnaya-reklama/",
    "https://pixel-studio.ru/portfolio/",
)
DIRECT_CAMPAIGNS = ("razrabotka_saytov_msk", "internet_magazin", "seo_prodvizhenie", "brand")
DIRECT_TERMS = (
    "заказать сайт",
    "разработка сайта под ключ",
    "создание интернет магазина",
    "seo продвижение сайта",
    "веб студия москва",
)
LEAD_LOSS_REASONS = (("junk", 35), ("unreachable", 30), ("no_budget", 20), ("expensive", 15))


class LeadMaker:
    def __init__(self, context: DemoContext, writer: BulkWriter) -> None:
        self.context = context
        self.writer = writer
        self.rng = context.rng
        self.card_type = context.content_types["lead"]
        self.sources = list(SOURCE_WEIGHTS)
        self.source_weights = list(SOURCE_WEIGHTS.values())
        self.products_by_sku = {product.sku: product for product in context.products}

    def run(self, count: int) -> None:
        for start in range(0, count, BATCH_SIZE):
            drafts = [self._draft() for _ in range(min(BATCH_SIZE, count - start))]
            self._copy_client_names([lead for lead, _extra in drafts])
            leads = self.writer.save_now([lead for lead, _extra in drafts])
            journeys = [extra[0] for _lead, extra in drafts]
            for lead, (_draft, extra) in zip(leads, drafts, strict=True):
                self._details(lead, *extra)
            save_activities(
                self.writer, plan_activities(self.context, self.card_type, leads, journeys, 0.5)
            )

    def _draft(self) -> tuple[Lead, tuple]:
        rng, context = self.rng, self.context
        created_at = context.working_time(context.days_ago(rng.uniform(0, 182)))
        created_at = min(created_at, context.now - datetime.timedelta(minutes=5))
        journey = plan_journey(
            rng, context.lead_stages, created_at, context.now, closing_days=30, won_share=0.3
        )
        source = rng.choices(self.sources, self.source_weights)[0]
        purpose = rng.choice(list(PURPOSE_LABELS))
        person = random_person(rng)
        responsible_id = rng.choice(context.team.sales_manager_ids)
        lead = Lead(
            stage=journey.stage,
            stage_changed_at=journey.entered_at[-1],
            responsible_id=responsible_id,
            created_by_id=responsible_id,
            created_at=created_at,
            source_id=context.source_ids[source],
            last_name=person.last_name,
            first_name=person.first_name,
            middle_name=person.middle_name if rng.random() < 0.6 else "",
            custom_fields={"request_purpose": purpose} if rng.random() < 0.9 else {},
        )
        if rng.random() < 0.1:
            lead.custom_fields["call_time"] = rng.choice(("после 15:00", "утром", "до 12:00"))
        if rng.random() < 0.6:
            lead.company_title = f'ООО "{random_company_word(rng)}"'
            lead.position = rng.choice(CONTACT_POSITIONS)
        self._utm(lead, source)
        rows = self._money(lead, journey, purpose)
        self._close(lead, journey, source)
        lead.title = f"{PURPOSE_LABELS[purpose]} — {lead.company_title or lead.full_name}"
        return lead, (journey, person, rows, source)

    def _utm(self, lead: Lead, source: str) -> None:
        rng = self.rng
        if source in ("website", "yandex_direct"):
            lead.landing_page = rng.choice(LANDING_PAGES)
        if source == "yandex_direct":
            lead.utm_source, lead.utm_medium = "yandex", "cpc"
            lead.utm_campaign = rng.choice(DIRECT_CAMPAIGNS)
            lead.utm_content = f"ad_{rng.randint(1, 40)}"
            lead.utm_term = rng.choice(DIRECT_TERMS)
        elif source == "website" and rng.random() < 0.7:
            lead.utm_source = rng.choice(("yandex", "google"))
            lead.utm_medium = "organic"
            lead.referrer = f"https://{'ya.ru' if lead.utm_source == 'yandex' else 'google.com'}/"
        elif source == "telegram":
            lead.utm_source, lead.utm_medium, lead.utm_campaign = "telegram", "social", "posts"
        elif source == "email":
            lead.utm_source, lead.utm_medium = "newsletter", "email"
            lead.utm_campaign = f"digest_{lead.created_at:%Y_%m}"

    def _money(self, lead: Lead, journey: Journey, purpose: str) -> list:
        """A commercial proposal needs an amount: from product rows or typed by hand."""
        rng = self.rng
        if journey.passed("proposal") and rng.random() < 0.4:
            choices = [self.products_by_sku[sku] for sku in PURPOSE_PRODUCTS[purpose]]
            rows = product_rows(rng, choices, rng.randint(1, 3))
            lead.amount, lead.amount_from_products = rows_total(rows), True
            return rows
        if journey.passed("proposal") or rng.random() < 0.2:
            lead.amount = round_amount(rng, 30_000, 900_000)
        return []

    def _close(self, lead: Lead, journey: Journey, source: str) -> None:
        rng, context = self.rng, self.context
        if journey.is_closed:
            lead.closed_at = journey.entered_at[-1]
        if journey.stage.kind == StageKind.LOST:
            codes, weights = zip(*LEAD_LOSS_REASONS, strict=True)
            lead.loss_reason_id = context.loss_reason_ids[rng.choices(codes, weights)[0]]
            if rng.random() < 0.2:
                lead.loss_comment = "Клиент перестал выходить на связь."
        if journey.stage.kind == StageKind.WON:
            lead.converted_at = lead.closed_at
            lead.company_id, lead.contact_id = context.client_known_before(lead.created_at)
        elif source == "repeat":
            _company_id, lead.contact_id = context.client_known_before(
                lead.created_at, with_company=False
            )

    def _copy_client_names(self, leads: list[Lead]) -> None:
        """A lead linked to a contact or company carries their names, as conversion leaves it."""
        contact_ids = {lead.contact_id for lead in leads if lead.contact_id}
        company_ids = {lead.company_id for lead in leads if lead.company_id}
        contacts = {
            row["pk"]: row
            for row in Contact.all_objects.filter(pk__in=contact_ids).values(
                "pk", "last_name", "first_name", "middle_name"
            )
        }
        titles = dict(Company.all_objects.filter(pk__in=company_ids).values_list("pk", "title"))
        for lead in leads:
            if lead.contact_id:
                contact = contacts[lead.contact_id]
                lead.last_name = contact["last_name"]
                lead.first_name = contact["first_name"]
                lead.middle_name = contact["middle_name"]
            if lead.company_id:
                lead.company_title = titles[lead.company_id]
            if lead.contact_id or lead.company_id:
                label = lead.title.split(" — ", 1)[0]
                lead.title = f"{label} — {lead.company_title or lead.full_name}"

    def _details(self, lead: Lead, journey: Journey, person, rows: list, source: str) -> None:
        rng, context, writer = self.rng, self.context, self.writer
        if lead.contact_id:
            person = PersonName(lead.last_name, lead.first_name, lead.middle_name, False)
        journey_rows(
            context,
            writer,
            card_type=self.card_type,
            card_field="lead",
            card_id=lead.pk,
            journey=journey,
            actor_id=lead.responsible_id,
        )
        # Meeting needs a phone: a lead that got that far always has one.
        writer.add_all(
            person_communications(
                rng,
                self.card_type,
                lead.pk,
                person,
                phone=journey.passed("meeting") or rng.random() < 0.85,
                email_share=0.6,
                telegram_share=1.0 if source == "telegram" else 0.05,
            )
        )
        for row in rows:
            row.lead_id = lead.pk
            writer.add(row)
        if journey.stage.kind == StageKind.WON and lead.contact_id and lead.company_id:
            context.converted_leads.append(
                ConvertedLead(
                    lead_id=lead.pk,
                    title=lead.title,
                    contact_title=lead.full_name,
                    company_title=lead.company_title,
                    contact_id=lead.contact_id,
                    company_id=lead.company_id,
                    responsible_id=lead.responsible_id,
                    converted_at=lead.converted_at,
                    amount=lead.amount or Decimal("0.00"),
                )
            )


def create_leads(context: DemoContext, writer: BulkWriter) -> None:
    LeadMaker(context, writer).run(context.options.leads)
