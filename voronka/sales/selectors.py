"""Reading leads, deals and boards at a fixed number of queries whatever the data size.

Access rights arrive with the access app: ``user`` is accepted by every selector but does not
filter yet, so every employee sees every card.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Sum, Window
from django.db.models.functions import RowNumber

from voronka.contacts.models import Communication
from voronka.core.normalization import normalize_email, normalize_phone
from voronka.sales.models import Deal, DealContact, Lead, Pipeline, PipelineEntity, Stage

LIST_LIMIT = 100


def _communication_match(model: type[models.Model], search: str) -> Q:
    """Cards with a phone or e-mail equal to ``search`` after normalisation (an index hit)."""
    values = {value for value in (normalize_phone(search), normalize_email(search)) if value}
    if not values:
        return Q(pk__in=[])
    communications = Communication.objects.filter(
        card_type=ContentType.objects.get_for_model(model),
        card_id=OuterRef("pk"),
        value_normalized__in=values,
    )
    return Q(Exists(communications))


def _communications_prefetch() -> Prefetch:
    return Prefetch("communications", queryset=Communication.objects.order_by("kind", "sort"))


def lead_list(
    *,
    user,
    pipeline: Pipeline | None = None,
    stage: Stage | None = None,
    search: str | None = None,
    limit: int = LIST_LIMIT,
) -> list[Lead]:
    """The newest leads with what a list row shows: stage, responsible, contact, company and
    communications — two queries."""
    leads = Lead.objects.select_related(
        "stage", "responsible", "source", "company", "contact"
    ).prefetch_related(_communications_prefetch())
    if pipeline is not None:
        leads = leads.filter(stage__pipeline=pipeline)
    if stage is not None:
        leads = leads.filter(stage=stage)
    search = (search or "").strip()
    if search:
        leads = leads.filter(
            Q(title__icontains=search)
            | Q(company_title__icontains=search)
            | Q(last_name__istartswith=search)
            | _communication_match(Lead, search)
        )
    return list(leads.order_by("-created_at", "-pk")[:limit])


def deal_list(
    *,
    user,
    pipeline: Pipeline | None = None,
    stage: Stage | None = None,
    search: str | None = None,
    limit: int = LIST_LIMIT,
) -> list[Deal]:
    """The newest deals with stage, pipeline, responsible, company and the primary contact with
    its communications (``deal.primary_contact``) — three queries."""
    deals = Deal.objects.select_related(
        "stage", "pipeline", "responsible", "company"
    ).prefetch_related(
        Prefetch(
            "contact_links",
            queryset=DealContact.objects.filter(
                is_primary=True, contact__deleted_at__isnull=True
            ).select_related("contact"),
            to_attr="primary_contact_links",
        ),
        Prefetch(
            "primary_contact_links__contact__communications",
            queryset=Communication.objects.order_by("kind", "sort"),
        ),
    )
    if pipeline is not None:
        deals = deals.filter(pipeline=pipeline)
    if stage is not None:
        deals = deals.filter(stage=stage)
    search = (search or "").strip()
    if search:
        deals = deals.filter(Q(title__icontains=search) | Q(company__title__icontains=search))
    rows = list(deals.order_by("-created_at", "-pk")[:limit])
    for deal in rows:
        links = deal.primary_contact_links
        deal.primary_contact = links[0].contact if links else None
    return rows


@dataclass
class StageTotals:
    count: int = 0
    # Money of different currencies is never added together.
    sums: dict[str, Decimal] = field(default_factory=dict)


@dataclass
class BoardColumn:
    stage: Stage
    count: int
    sums: dict[str, Decimal]
    cards: list


def stage_totals(model: type[Lead] | type[Deal], stage_ids: list[int]) -> dict[int, StageTotals]:
    """Card count and money sums per stage and currency, in one aggregate query."""
    totals: dict[int, StageTotals] = defaultdict(StageTotals)
    rows = (
        model.objects.filter(stage_id__in=stage_ids)
        .order_by()
        .values("stage_id", "currency")
        .annotate(count=Count("pk"), total=Sum("amount"))
    )
    for row in rows:
        column = totals[row["stage_id"]]
        column.count += row["count"]
        column.sums[row["currency"]] = row["total"] or Decimal("0.00")
    return totals


def _board(model, stages: list[Stage], per_stage: int, related: tuple[str, ...]):
    stage_ids = [stage.pk for stage in stages]
    totals = stage_totals(model, stage_ids)
    # One query for the first cards of every column: number the cards inside each stage and
    # keep the first ``per_stage`` of each.
    cards = (
        model.objects.filter(stage_id__in=stage_ids)
        .select_related(*related)
        .annotate(
            board_position=Window(
                RowNumber(),
                partition_by=[F("stage_id")],
                order_by=[F("created_at").desc(), F("id").desc()],
            )
        )
        .filter(board_position__lte=per_stage)
        .order_by("stage_id", "board_position")
    )
    by_stage: dict[int, list] = defaultdict(list)
    for card in cards:
        by_stage[card.stage_id].append(card)
    return [
        BoardColumn(
            stage=stage,
            count=totals[stage.pk].count,
            sums=totals[stage.pk].sums,
            cards=by_stage[stage.pk],
        )
        for stage in stages
    ]


def deal_board(*, user, pipeline: Pipeline, per_stage: int = 20) -> list[BoardColumn]:
    """The kanban of a deal pipeline: each stage with its count, sums and newest cards.

    Three queries whatever the number of deals: the stages, the totals, the cards.
    """
    stages = list(pipeline.stages.order_by("sort", "pk"))
    return _board(Deal, stages, per_stage, ("responsible", "company"))


def lead_board(*, user, pipeline: Pipeline, per_stage: int = 20) -> list[BoardColumn]:
    """The kanban of a lead pipeline; three queries like ``deal_board``."""
    stages = list(pipeline.stages.order_by("sort", "pk"))
    return _board(Lead, stages, per_stage, ("responsible",))


@dataclass
class PipelineSummary:
    pipeline: Pipeline
    columns: list[BoardColumn]


def pipelines_summary(*, user) -> list[PipelineSummary]:
    """Every pipeline (lead ones first) with its stages' counts and sums, for the home page.

    Four queries whatever the number of pipelines: pipelines, stages, lead and deal totals.
    """
    pipelines = list(
        Pipeline.objects.prefetch_related(
            Prefetch("stages", queryset=Stage.objects.order_by("sort", "pk"))
        ).order_by("entity", "sort", "pk")
    )
    stage_ids = {
        entity: [s.pk for p in pipelines if p.entity == entity for s in p.stages.all()]
        for entity in PipelineEntity.values
    }
    totals = {
        PipelineEntity.LEAD: stage_totals(Lead, stage_ids[PipelineEntity.LEAD]),
        PipelineEntity.DEAL: stage_totals(Deal, stage_ids[PipelineEntity.DEAL]),
    }
    order = {PipelineEntity.LEAD: 0, PipelineEntity.DEAL: 1}
    summaries = []
    for pipeline in sorted(pipelines, key=lambda p: (order[p.entity], p.sort, p.pk)):
        entity_totals = totals[pipeline.entity]
        columns = [
            BoardColumn(
                stage=stage,
                count=entity_totals[stage.pk].count if stage.pk in entity_totals else 0,
                sums=entity_totals[stage.pk].sums if stage.pk in entity_totals else {},
                cards=[],
            )
            for stage in pipeline.stages.all()
        ]
        summaries.append(PipelineSummary(pipeline=pipeline, columns=columns))
    return summaries
