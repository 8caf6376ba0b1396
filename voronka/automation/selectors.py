"""Reading robot runs: what is planned on a card and what robots did there, and why."""

from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.http import Http404

from voronka.automation.fields import FieldSpec, entity_of_model, field_spec
from voronka.automation.models import FINISHED_STATUSES, OPEN_STATUSES, Robot, RobotRun
from voronka.customization.validation import definitions_for
from voronka.sales.models import Deal, Lead, Pipeline, PipelineEntity, Stage

RECENT_RUNS = 10


@dataclass
class CardRuns:
    planned: list[RobotRun] = field(default_factory=list)
    finished: list[RobotRun] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.planned or self.finished)


def runs_for_card(*, card: models.Model, recent: int = RECENT_RUNS) -> CardRuns:
    """The card's planned runs (soonest first) and its latest finished ones: two queries."""
    runs = RobotRun.objects.filter(
        card_type=ContentType.objects.get_for_model(card), card_id=card.pk
    ).select_related("robot")
    return CardRuns(
        planned=list(runs.filter(status__in=OPEN_STATUSES).order_by("due_at", "pk")),
        finished=list(
            runs.filter(status__in=FINISHED_STATUSES).order_by("-finished_at", "-pk")[:recent]
        ),
    )


def robots_of_stage(*, stage_id: int) -> models.QuerySet[Robot]:
    return Robot.objects.filter(stage_id=stage_id).order_by("sort", "pk")


# --- The robot editor ---------------------------------------------------------------------------

RUNS_PAGE = 50


@dataclass
class StageColumn:
    stage: Any
    robots: list[Robot] = field(default_factory=list)


def editor_pipelines() -> list[Pipeline]:
    """Lead pipelines first, then every deal pipeline: the editor's switcher (one query)."""
    return list(Pipeline.objects.order_by("entity", "sort", "pk").only("pk", "entity", "name"))


def editor_columns(*, pipeline: Pipeline) -> list[StageColumn]:
    """The stages of ``pipeline`` in order, each with its robots in order: two queries."""
    columns = {
        stage.pk: StageColumn(stage=stage)
        for stage in Stage.objects.filter(pipeline=pipeline).order_by("sort", "pk")
    }
    for robot in Robot.objects.filter(stage__pipeline=pipeline).order_by("sort", "pk"):
        if robot.stage_id in columns:
            columns[robot.stage_id].robots.append(robot)
    return list(columns.values())


def robot_for_editor(*, pk: int) -> Robot:
    """The robot with its pipeline and stage, or 404."""
    robot = Robot.objects.select_related("pipeline", "stage").filter(pk=pk).first()
    if robot is None:
        raise Http404
    return robot


def card_model(pipeline: Pipeline) -> type[models.Model]:
    return Lead if pipeline.entity == PipelineEntity.LEAD else Deal


def card_fields(pipeline: Pipeline, definitions=None) -> list[FieldSpec]:
    """The fields of the pipeline's cards a condition, timing or “change fields” may name:
    standard ones, then the active custom fields (one query without ``definitions``)."""
    model = card_model(pipeline)
    if definitions is None:
        definitions = definitions_for(entity_of_model(model))
    specs = []
    for model_field in model._meta.concrete_fields:
        spec = field_spec(model, model_field.name, definitions)
        if spec is not None:
            specs.append(spec)
    for code in definitions:
        spec = field_spec(model, code, definitions)
        if spec is not None:
            specs.append(spec)
    return specs


def runs_of_robot(*, robot: Robot, before: int | None = None, size: int | None = None):
    """The robot's latest runs, newest first, keyset paged by id: ``before`` is the last id of
    the previous page. Returns the runs and the id to continue from (None on the last page):
    one query."""
    size = size or RUNS_PAGE
    runs = RobotRun.objects.filter(robot=robot).order_by("-pk")
    if before:
        runs = runs.filter(pk__lt=before)
    page = list(runs[: size + 1])
    more = len(page) > size
    page = page[:size]
    return page, (page[-1].pk if more else None)


def attach_cards(*, user, runs: list[RobotRun]) -> None:
    """Set ``card_object`` on each run: the card if ``user`` may see it, else None (one query
    per kind of card on the page)."""
    from voronka.access.predicates import visible_to

    wanted: dict[int, set[int]] = {}
    for run in runs:
        wanted.setdefault(run.card_type_id, set()).add(run.card_id)
    found: dict[tuple[int, int], models.Model] = {}
    for model in (Lead, Deal):
        content_type = ContentType.objects.get_for_model(model)
        ids = wanted.get(content_type.pk)
        if not ids:
            continue
        for card in visible_to(user, model.objects.filter(pk__in=ids)).only("pk", "title"):
            found[content_type.pk, card.pk] = card
    for run in runs:
        run.card_object = found.get((run.card_type_id, run.card_id))
