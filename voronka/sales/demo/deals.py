"""Deals in the three directions: projects, support and complaints."""

import datetime
from collections import deque
from decimal import Decimal

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
from voronka.sales.demo.context import ConvertedLead, DemoContext
from voronka.sales.demo.feed import converted_entries
from voronka.sales.demo.writer import BATCH_SIZE, BulkWriter, new_row
from voronka.sales.models import Deal, DealContact, StageKind

PIPELINE_WEIGHTS = (("projects", 65), ("support", 25), ("complaints", 10))
PROJECT_SKUS = ("DEV-", "DSN-", "MKT-")
SUPPORT_SKUS = ("SUP-",)
DEAL_LOSS_REASONS = {
    "projects": (("expensive", 35), ("competitor", 30), ("no_need", 20), ("no_budget", 15)),
    "support": (("expensive", 40), ("no_need", 60)),
    "complaints": (("no_need", 100),),
}
JOURNEY_SETTINGS = {
    # pipeline code → (days a deal is usually worked on, share of closed deals that are won)
    "projects": (75, 0.6),
    "support": (20, 0.8),
    "complaints": (25, 0.7),
}


class DealMaker:
    def __init__(self, context: DemoContext, writer: BulkWriter) -> None:
        self.context = context
        self.writer = writer
        self.rng = context.rng
        self.card_type = context.content_types["deal"]
        self.pipeline_codes = [code for code, _weight in PIPELINE_WEIGHTS]
        self.pipeline_weights = [weight for _code, weight in PIPELINE_WEIGHTS]
        self.project_products = [p for p in context.products if p.sku.startswith(PROJECT_SKUS)]
        self.support_products = [p for p in context.products if p.sku.startswith(SUPPORT_SKUS)]
        self.converted = deque(context.converted_leads)
        self.contract_number = 0

    def run(self, count: int) -> None:
        for start in range(0, count, BATCH_SIZE):
            drafts = [self._draft() for _ in range(min(BATCH_SIZE, count - start))]
            deals = self.writer.save_now([deal for deal, _extra in drafts])
            journeys = [extra[0] for _deal, extra in drafts]
            for deal, (_draft, extra) in zip(deals, drafts, strict=True):
                self._details(deal, *extra)
            save_activities(
                self.writer, plan_activities(self.context, self.card_type, deals, journeys, 0.5)
            )

    def _client(self, code: str) -> tuple[int | None, int | None, datetime.datetime, dict]:
        """Company, primary contact, creation time and fields inherited from a lead, if any."""
        rng, context = self.rng, self.context
        if code == "projects" and self.converted:
            lead: ConvertedLead = self.converted.popleft()
            # Conversion creates the deal at the moment the lead closes as won.
            created_at = lead.converted_at
            inherited = {
                "lead": lead,
                "lead_id": lead.lead_id,
                "responsible_id": lead.responsible_id,
                "amount": lead.amount,
            }
            return lead.company_id, lead.contact_id, min(created_at, context.now), inherited
        created_at = context.working_time(context.days_ago(rng.uniform(0, 270)))
        created_at = min(created_at, context.now - datetime.timedelta(minutes=5))
        company_id, contact_id = context.client_known_before(created_at)
        return company_id, contact_id, created_at, {}

    def _draft(self) -> tuple[Deal, tuple]:
        rng, context, team = self.rng, self.context, self.context.team
        code = rng.choices(self.pipeline_codes, self.pipeline_weights)[0]
        pipeline, stages = context.deal_pipelines[code]
        company_id, contact_id, created_at, inherited = self._client(code)
        closing_days, won_share = JOURNEY_SETTINGS[code]
        journey = plan_journey(
            rng, stages, created_at, context.now, closing_days=closing_days, won_share=won_share
        )
        if code == "projects" and company_id is None:
            # The contract stage requires a company: without one the deal waits in the first.
            journey = Journey(stages=stages[:1], entered_at=[created_at], pipeline_stages=stages)
        if code == "projects":
            responsible_id = inherited.get("responsible_id") or rng.choice(team.sales_manager_ids)
        else:
            responsible_id = rng.choice(team.delivery_manager_ids)
        deal = Deal(
            pipeline=pipeline,
            stage=journey.stage,
            stage_changed_at=journey.entered_at[-1],
            company_id=company_id,
            lead_id=inherited.get("lead_id"),
            responsible_id=responsible_id,
            created_by_id=responsible_id,
            created_at=created_at,
            source_id=context.source_ids["repeat" if code != "projects" else "website"],
            sales_manager_id=responsible_id if code == "projects" else None,
            head_of_sales_id=team.sales_head_id if code == "projects" else None,
            begins_on=created_at.date(),
            probability=journey.stage.probability,
            custom_fields={},
        )
        if code == "projects" and not inherited:
            deal.source_id = rng.choice(list(context.source_ids.values()))
        if code != "projects" or journey.passed("prepaid"):
            deal.delivery_manager_id = rng.choice(team.delivery_manager_ids)
        days = rng.randint(14, 120) if code == "projects" else rng.randint(5, 30)
        deal.closes_on = deal.begins_on + datetime.timedelta(days=days)
        rows = self._money(deal, code, inherited.get("amount"))
        self._contract(deal, journey, code)
        self._close(deal, journey, code)
        deal.title = self._title(deal, code, rows)
        return deal, (journey, contact_id, rows, inherited.get("lead"))

    def _money(self, deal: Deal, code: str, lead_amount: Decimal | None) -> list:
        rng = self.rng
        rows = []
        if code == "projects" and rng.random() < 0.6:
            rows = product_rows(rng, self.project_products, rng.randint(1, 3))
        elif code == "support" and rng.random() < 0.8:
            rows = product_rows(rng, self.support_products, 1)
        if rows:
            deal.amount, deal.amount_from_products = rows_total(rows), True
        elif code == "projects":
            deal.amount = lead_amount or round_amount(rng, 60_000, 1_500_000)
        elif code == "support":
            deal.amount = round_amount(rng, 10_000, 120_000)
        return rows

    def _contract(self, deal: Deal, journey: Journey, code: str) -> None:
        """Fields the "contract" and "prepaid" stages require, on every deal that got there."""
        if code != "projects" or not journey.passed("contract"):
            return
        self.contract_number += 1
        signed_on = deal.begins_on + datetime.timedelta(days=self.rng.randint(1, 10))
        deal.custom_fields["contract_number"] = f"Д-{signed_on:%Y}/{self.contract_number:05d}"
        deal.custom_fields["contract_date"] = signed_on.isoformat()
        if journey.passed("prepaid"):
            deal.custom_fields["prepayment_percent"] = self.rng.choice(("30", "50", "50", "100"))

    def _close(self, deal: Deal, journey: Journey, code: str) -> None:
        rng, context = self.rng, self.context
        if journey.is_closed:
            deal.closed_at = journey.entered_at[-1]
        if journey.stage.kind == StageKind.LOST:
            codes, weights = zip(*DEAL_LOSS_REASONS[code], strict=True)
            deal.loss_reason_id = context.loss_reason_ids[rng.choices(codes, weights)[0]]
            if code == "complaints":
                deal.loss_comment = "Претензия не подтвердилась."

    def _title(self, deal: Deal, code: str, rows: list) -> str:
        if code == "complaints":
            return f"Рекламация №{self.rng.randint(100, 9999)}"
        if code == "support":
            return rows[0].name if rows else "Доработки сайта"
        if rows:
            return rows[0].name + (" и др." if len(rows) > 1 else "")
        return self.rng.choice(
            (
                "Разработка сайта",
                "Комплексное продвижение",
                "Редизайн сайта",
                "Мобильное приложение",
            )
        )

    def _details(
        self,
        deal: Deal,
        journey: Journey,
        contact_id: int | None,
        rows: list,
        lead: ConvertedLead | None,
    ) -> None:
        rng, context, writer = self.rng, self.context, self.writer
        if lead is not None:
            links = [
                {"entity": "contact", "id": lead.contact_id, "title": lead.contact_title},
                {"entity": "company", "id": lead.company_id, "title": lead.company_title},
                {"entity": "deal", "id": deal.pk, "title": deal.title},
            ]
            writer.add_all(
                converted_entries(
                    context.content_types["lead"],
                    self.card_type,
                    lead_id=lead.lead_id,
                    lead_title=lead.title,
                    links=links,
                    deal_id=deal.pk,
                    author_id=deal.responsible_id,
                    at=deal.created_at,
                )
            )
        journey_rows(
            context,
            writer,
            card_type=self.card_type,
            card_field="deal",
            card_id=deal.pk,
            journey=journey,
            actor_id=deal.responsible_id,
        )
        for row in rows:
            row.deal_id = deal.pk
            writer.add(row)
        if contact_id is None:
            return
        writer.add(
            new_row(DealContact, deal_id=deal.pk, contact_id=contact_id, is_primary=True, sort=0)
        )
        # Sometimes a second person of the same company takes part (an accountant, a director).
        colleagues = context.company_contact_indexes.get(deal.company_id, ())
        if len(colleagues) > 1 and rng.random() < 0.2:
            index = rng.choice(colleagues)
            other = context.contact_ids[index]
            known = context.contact_created[index] < deal.created_at.timestamp()
            if other != contact_id and known:
                writer.add(new_row(DealContact, deal_id=deal.pk, contact_id=other, sort=1))


def create_deals(context: DemoContext, writer: BulkWriter) -> None:
    DealMaker(context, writer).run(context.options.deals)
