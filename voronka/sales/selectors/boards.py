"""Kanban boards and the funnel summary at a fixed number of queries whatever the data size."""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Prefetch, Sum, Window
from django.db.models.functions import RowNumber

from voronka.sales.models import Deal, Lead, Pipeline, PipelineEntity, Stage


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
