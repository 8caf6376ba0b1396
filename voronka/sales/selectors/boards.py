"""Kanban boards and the funnel summary at a fixed number of queries whatever the data size."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber

from voronka.access.models import Action, Entity, Scope
from voronka.access.predicates import can, hidden_fields, rights_of, scope_for, visible_to
from voronka.customization.models import Source
from voronka.sales.models import (
    Deal,
    DealContact,
    Lead,
    LossReason,
    Pipeline,
    PipelineEntity,
    Stage,
)
from voronka.timeline.models import Activity

# Cards a column shows at first and fetches at a time when scrolled.
BOARD_PAGE = 20
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


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


def amount_hidden(user, model: type[Lead] | type[Deal]) -> bool:
    """Whether the user's field rules hide the amount of leads or deals (then no column sums
    either)."""
    entity = Entity.LEAD if model is Lead else Entity.DEAL
    return "amount" in hidden_fields(user, entity)


def visible_cards(user, model: type[Lead] | type[Deal]) -> QuerySet:
    """The leads or deals (not in the recycle bin) the user may see."""
    return visible_to(user, model.objects.all())


def stage_totals(
    model: type[Lead] | type[Deal],
    stage_ids: list[int],
    cards: QuerySet | None = None,
    *,
    user,
) -> dict[int, StageTotals]:
    """Card count and money sums per stage and currency, in one aggregate query; ``cards`` is
    the (filtered) set to count, by default every card the user sees. A hidden amount leaves
    the sums empty."""
    totals: dict[int, StageTotals] = defaultdict(StageTotals)
    queryset = cards if cards is not None else visible_cards(user, model)
    with_sums = not amount_hidden(user, model)
    rows = (
        queryset.filter(stage_id__in=stage_ids)
        .order_by()
        .values("stage_id", "currency")
        .annotate(count=Count("pk"), total=Sum("amount"))
    )
    for row in rows:
        column = totals[row["stage_id"]]
        column.count += row["count"]
        if with_sums:
            column.sums[row["currency"]] = row["total"] or Decimal("0.00")
    return totals


def _with_card_details(model, queryset: QuerySet) -> QuerySet:
    """What a board card shows: responsible, company and the contact (a lead's own, a deal's
    primary one via ``deal.primary_contact_links``)."""
    if model is Deal:
        return queryset.select_related("responsible", "company").prefetch_related(
            Prefetch(
                "contact_links",
                queryset=DealContact.objects.filter(
                    is_primary=True, contact__deleted_at__isnull=True
                ).select_related("contact"),
                to_attr="primary_contact_links",
            )
        )
    return queryset.select_related("responsible", "company", "contact")


def _attach_next_activities(model, cards: list) -> None:
    """Set ``card.next_activity`` — the open planned activity with the nearest deadline (those
    without a deadline last) or None — on every card, in one windowed query."""
    for card in cards:
        card.next_activity = None
        if model is Deal:
            links = card.primary_contact_links
            card.primary_contact = links[0].contact if links else None
    if not cards:
        return
    by_id = {card.pk: card for card in cards}
    activities = (
        Activity.objects.filter(
            card_type__app_label=model._meta.app_label,
            card_type__model=model._meta.model_name,
            card_id__in=list(by_id),
            completed_at__isnull=True,
        )
        .annotate(
            position=Window(
                RowNumber(),
                partition_by=[F("card_id")],
                order_by=[F("deadline").asc(nulls_last=True), F("id").asc()],
            )
        )
        .filter(position=1)
    )
    for activity in activities:
        by_id[activity.card_id].next_activity = activity


def _first_cards(model, base: QuerySet, stage_ids, per_stage: int, *, one_pass: bool) -> list:
    """The newest ``per_stage`` cards of every stage, in one query.

    By default a small index-ordered subquery per stage picks its newest ids and the cards are
    read by those ids: it stops after ``per_stage`` matching index entries per stage, so
    100,000 cards cost milliseconds. With ``one_pass`` (a filter that is costly per row, such as
    a text search) the filter is evaluated once and a window numbers the matching cards inside
    each stage instead of repeating the filter's subqueries once per stage.
    """
    if not one_pass:
        newest = Q()
        for stage_id in stage_ids:
            newest |= Q(
                pk__in=base.filter(stage_id=stage_id)
                .order_by("-created_at", "-pk")
                .values("pk")[:per_stage]
            )
        queryset = model.objects.filter(newest).order_by("stage_id", "-created_at", "-pk")
        return list(_with_card_details(model, queryset))
    queryset = (
        _with_card_details(model, base.filter(stage_id__in=stage_ids))
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
    return list(queryset)


def _board(
    user, model, stages: list[Stage], per_stage: int, cards: QuerySet | None, one_pass: bool
):
    stage_ids = [stage.pk for stage in stages]
    base = cards if cards is not None else visible_cards(user, model)
    totals = stage_totals(model, stage_ids, base, user=user)
    rows = _first_cards(model, base, stage_ids, per_stage, one_pass=one_pass) if stage_ids else []
    _attach_next_activities(model, rows)
    by_stage: dict[int, list] = defaultdict(list)
    for card in rows:
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


def deal_board(
    *,
    user,
    pipeline: Pipeline,
    cards: QuerySet | None = None,
    per_stage: int = BOARD_PAGE,
    one_pass: bool = False,
) -> list[BoardColumn]:
    """The kanban of a deal pipeline: every stage (open, won and lost) with its count, sums and
    newest cards, each card with responsible, company, primary contact and next activity.

    ``cards`` is the filtered set, from ``board_cards`` (by default every deal the user sees);
    counts and sums are of that set;
    ``one_pass`` when its filter is costly per row (see ``_first_cards``).
    Five queries whatever the number of deals: stages, totals, cards, primary contacts, next
    activities.
    """
    stages = list(pipeline.stages.order_by("sort", "pk"))
    return _board(user, Deal, stages, per_stage, cards, one_pass)


def lead_board(
    *,
    user,
    pipeline: Pipeline,
    cards: QuerySet | None = None,
    per_stage: int = BOARD_PAGE,
    one_pass: bool = False,
) -> list[BoardColumn]:
    """The kanban of a lead pipeline, like ``deal_board``; four queries (the contact comes with
    the card)."""
    stages = list(pipeline.stages.order_by("sort", "pk"))
    return _board(user, Lead, stages, per_stage, cards, one_pass)


@dataclass
class CardPage:
    cards: list
    # The keyset of the next page (``after``), None on the last page.
    next_after: str | None


def board_cursor(card) -> str:
    """The ``after`` value that continues a column below ``card``: creation time and id."""
    stamp = (card.created_at - _EPOCH) // datetime.timedelta(microseconds=1)
    return f"{stamp}_{card.pk}"


def parse_board_cursor(value: str | None) -> tuple[datetime.datetime, int] | None:
    """``(created_at, id)`` from an ``after`` value; None for a missing or malformed one."""
    try:
        stamp, pk = (value or "").split("_")
        created_at = _EPOCH + datetime.timedelta(microseconds=int(stamp))
        return created_at, int(pk)
    except (ValueError, OverflowError, OSError):
        return None


def _column_page(user, model, stage: Stage, cards, after, per_page: int) -> CardPage:
    queryset = (cards if cards is not None else visible_cards(user, model)).filter(stage=stage)
    cursor = parse_board_cursor(after) if isinstance(after, str) else after
    if cursor is not None:
        created_at, pk = cursor
        queryset = queryset.filter(
            Q(created_at__lt=created_at) | Q(created_at=created_at, pk__lt=pk)
        )
    rows = list(_with_card_details(model, queryset).order_by("-created_at", "-pk")[: per_page + 1])
    more = len(rows) > per_page
    rows = rows[:per_page]
    _attach_next_activities(model, rows)
    return CardPage(cards=rows, next_after=board_cursor(rows[-1]) if more and rows else None)


def deal_column_page(
    *,
    user,
    stage: Stage,
    cards: QuerySet | None = None,
    after: str | tuple | None = None,
    per_page: int = BOARD_PAGE,
) -> CardPage:
    """The next deals of one column below ``after`` (keyset paging on (created_at, id), newest
    first) — three queries whatever the column's length."""
    return _column_page(user, Deal, stage, cards, after, per_page)


def lead_column_page(
    *,
    user,
    stage: Stage,
    cards: QuerySet | None = None,
    after: str | tuple | None = None,
    per_page: int = BOARD_PAGE,
) -> CardPage:
    """The next leads of one column below ``after``, like ``deal_column_page``."""
    return _column_page(user, Lead, stage, cards, after, per_page)


def board_deal(*, user, pk: int) -> Deal | None:
    """One deal (not in the recycle bin) the user sees, with what its board card shows; None
    when missing or hidden."""
    queryset = visible_cards(user, Deal).filter(pk=pk)
    rows = list(_with_card_details(Deal, queryset).select_related("stage"))
    _attach_next_activities(Deal, rows)
    return rows[0] if rows else None


def board_lead(*, user, pk: int) -> Lead | None:
    """One lead (not in the recycle bin) the user sees, with what its board card shows; None
    when missing or hidden."""
    queryset = visible_cards(user, Lead).filter(pk=pk)
    rows = list(_with_card_details(Lead, queryset).select_related("stage"))
    _attach_next_activities(Lead, rows)
    return rows[0] if rows else None


def open_pipelines(*, user, entity: str, action: str = Action.READ) -> QuerySet:
    """The pipelines of leads or deals in which the user may ``action`` some cards: a deal
    pipeline whose own permission row says "none" is left out (as are all pipelines of an
    entity the user may not ``action`` at all). No query of its own beyond the rights."""
    pipelines = Pipeline.objects.filter(entity=entity)
    if entity == PipelineEntity.LEAD:
        return pipelines if can(user, action, Entity.LEAD) else pipelines.none()
    if not can(user, action, Entity.DEAL):
        return pipelines.none()
    if user.is_superuser:
        return pipelines
    special = {
        pipeline_id: scope
        for (row_action, pipeline_id), scope in rights_of(user).per_pipeline.items()
        if row_action == action
    }
    if scope_for(user, Entity.DEAL, action) > Scope.NONE:
        closed = sorted(pk for pk, scope in special.items() if scope <= Scope.NONE)
        return pipelines.exclude(pk__in=closed) if closed else pipelines
    opened = sorted(pk for pk, scope in special.items() if scope > Scope.NONE)
    return pipelines.filter(pk__in=opened)


def pipeline_is_open(*, user, pipeline: Pipeline, action: str = Action.READ) -> bool:
    """``open_pipelines`` for one pipeline already in memory, without a query."""
    entity = Entity.LEAD if pipeline.entity == PipelineEntity.LEAD else Entity.DEAL
    if entity == Entity.LEAD:
        return can(user, action, Entity.LEAD)
    return scope_for(user, Entity.DEAL, action, pipeline_id=pipeline.pk) > Scope.NONE


def pipelines_exist(*, user, entity: str) -> bool:
    """Whether any pipeline of leads or deals exists, seen or not (to tell "none yet" from "none
    open to you")."""
    return Pipeline.objects.filter(entity=entity).exists()


def board_pipelines(*, user, entity: str) -> list[Pipeline]:
    """The pipelines of leads or deals the user may see cards of, in menu order, for the
    board's switcher."""
    return list(open_pipelines(user=user, entity=entity).order_by("sort", "pk"))


def board_stage(*, user, pk) -> Stage | None:
    """A stage with its pipeline, or None for a missing id (or one that is not a number)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return Stage.objects.select_related("pipeline").filter(pk=pk).first()


def pipeline_stages(*, user, pipeline: Pipeline) -> list[Stage]:
    return list(pipeline.stages.order_by("sort", "pk"))


def board_cards(*, user, entity: str) -> QuerySet:
    """The leads or deals (not in the recycle bin) the user sees: what a board starts from,
    before its filters."""
    return visible_cards(user, Lead if entity == PipelineEntity.LEAD else Deal)


def active_employees(*, user) -> QuerySet:
    """Employees who can be chosen as responsible (the move dialog's select)."""
    return get_user_model().objects.filter(is_active=True).order_by("last_name", "first_name")


def active_sources(*, user) -> QuerySet:
    return Source.objects.filter(is_active=True).order_by("sort", "name")


def loss_reasons(*, user) -> QuerySet:
    """Active loss reasons for the lost-stage dialog."""
    return LossReason.objects.filter(is_active=True).order_by("sort", "name")


@dataclass
class PipelineSummary:
    pipeline: Pipeline
    columns: list[BoardColumn]


def pipelines_summary(*, user) -> list[PipelineSummary]:
    """Every pipeline the user may see cards of (lead ones first) with its stages' counts and
    sums of the cards the user sees, for the home page.

    Four queries whatever the number of pipelines (plus the user's rights): pipelines, stages,
    lead and deal totals.
    """
    visible = open_pipelines(user=user, entity=PipelineEntity.LEAD) | open_pipelines(
        user=user, entity=PipelineEntity.DEAL
    )
    pipelines = list(
        visible.prefetch_related(
            Prefetch("stages", queryset=Stage.objects.order_by("sort", "pk"))
        ).order_by("entity", "sort", "pk")
    )
    stage_ids = {
        entity: [s.pk for p in pipelines if p.entity == entity for s in p.stages.all()]
        for entity in PipelineEntity.values
    }
    totals = {
        PipelineEntity.LEAD: stage_totals(Lead, stage_ids[PipelineEntity.LEAD], user=user),
        PipelineEntity.DEAL: stage_totals(Deal, stage_ids[PipelineEntity.DEAL], user=user),
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
