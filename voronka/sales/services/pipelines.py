"""Pipelines and stages: the funnel administrators shape. Every pipeline keeps at least one
open, one won and one lost stage, so every card always has somewhere to go."""

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from voronka.access.models import Action, Entity
from voronka.access.predicates import require
from voronka.access.services import audit_record
from voronka.core.inputs import check_editable
from voronka.customization.validation import definitions_for
from voronka.sales.models import Deal, Lead, Pipeline, PipelineEntity, Stage, StageKind
from voronka.sales.services.common import known_required_codes

PIPELINE_FIELDS = frozenset({"entity", "name", "sort", "is_default"})
STAGE_FIELDS = frozenset(
    {"name", "code", "color", "kind", "sort", "probability", "required_fields"}
)
STAGE_UPDATE_FIELDS = STAGE_FIELDS - {"code"}

# (code, name, kind, colour) of the funnels a fresh installation starts with.
DEFAULT_LEAD_STAGES = (
    ("new", "Новый", StageKind.OPEN, "#39a8ef"),
    ("in_progress", "В работе", StageKind.OPEN, "#2fc6f6"),
    ("converted", "Качественный лид", StageKind.WON, "#7bd500"),
    ("junk", "Некачественный лид", StageKind.LOST, "#ff5752"),
)
DEFAULT_DEAL_STAGES = (
    ("new", "Новая", StageKind.OPEN, "#39a8ef"),
    ("preparation", "Подготовка документов", StageKind.OPEN, "#2fc6f6"),
    ("invoice", "Счёт на предоплату", StageKind.OPEN, "#55d0e0"),
    ("executing", "В работе", StageKind.OPEN, "#47e4c2"),
    ("won", "Сделка успешна", StageKind.WON, "#7bd500"),
    ("lost", "Сделка провалена", StageKind.LOST, "#ff5752"),
)
MINIMAL_STAGES = (
    ("new", "Новая", StageKind.OPEN, "#39a8ef"),
    ("won", "Успех", StageKind.WON, "#7bd500"),
    ("lost", "Провал", StageKind.LOST, "#ff5752"),
)


def _create_stages(pipeline: Pipeline, stages) -> list[Stage]:
    return Stage.objects.bulk_create(
        Stage(pipeline=pipeline, code=code, name=name, kind=kind, color=color, sort=10 * (i + 1))
        for i, (code, name, kind, color) in enumerate(stages)
    )


def _ensure_default(entity: str, name: str, stages) -> Pipeline:
    pipeline = Pipeline.objects.filter(entity=entity, is_default=True).first()
    if pipeline is not None:
        return pipeline
    existing = Pipeline.objects.filter(entity=entity).order_by("sort", "pk").first()
    try:
        # A savepoint: a concurrent request may create the default at the same moment.
        with transaction.atomic():
            if existing is not None:
                existing.is_default = True
                existing.save(update_fields=["is_default", "updated_at"])
                return existing
            pipeline = Pipeline.objects.create(entity=entity, name=name, sort=10, is_default=True)
            _create_stages(pipeline, stages)
            return pipeline
    except IntegrityError:
        return Pipeline.objects.get(entity=entity, is_default=True)


def pipelines_ensure_defaults() -> tuple[Pipeline, Pipeline]:
    """Return the default lead and deal pipelines, creating minimal ones when missing."""
    with transaction.atomic():
        lead_pipeline = _ensure_default(PipelineEntity.LEAD, "Лиды", DEFAULT_LEAD_STAGES)
        deal_pipeline = _ensure_default(PipelineEntity.DEAL, "Продажи", DEFAULT_DEAL_STAGES)
    return lead_pipeline, deal_pipeline


def default_pipeline(entity: str) -> Pipeline:
    pipeline = Pipeline.objects.filter(entity=entity, is_default=True).first()
    if pipeline is None:
        lead_pipeline, deal_pipeline = pipelines_ensure_defaults()
        pipeline = lead_pipeline if entity == PipelineEntity.LEAD else deal_pipeline
    return pipeline


def first_open_stage(pipeline: Pipeline) -> Stage:
    stage = pipeline.stages.filter(kind=StageKind.OPEN).order_by("sort", "pk").first()
    if stage is None:
        raise ValidationError(
            {"stage": _("The pipeline “%(name)s” has no open stage.") % {"name": pipeline.name}}
        )
    return stage


def closing_stage(pipeline: Pipeline, kind: str) -> Stage:
    """The first won (or lost) stage of ``pipeline``."""
    stage = pipeline.stages.filter(kind=kind).order_by("sort", "pk").first()
    if stage is None:
        raise ValidationError(
            {
                "stage": _("The pipeline “%(name)s” has no such final stage.")
                % {"name": pipeline.name}
            }
        )
    return stage


def _check_kinds(kinds: list[str]) -> None:
    missing = [str(label) for value, label in StageKind.choices if value not in kinds]
    if missing:
        raise ValidationError(
            {
                "stages": _("A pipeline needs at least one stage of each kind; missing: %(kinds)s.")
                % {"kinds": ", ".join(missing)}
            }
        )


def _clean_required_fields(pipeline: Pipeline, value: Any, errors: dict[str, list[str]]) -> list:
    if value in (None, ""):
        return []
    if not isinstance(value, list | tuple) or not all(isinstance(code, str) for code in value):
        errors.setdefault("required_fields", []).append(_("List the codes of the fields."))
        return []
    known = known_required_codes(pipeline.entity, definitions_for(pipeline.entity))
    unknown = [code for code in value if code not in known]
    if unknown:
        errors.setdefault("required_fields", []).append(
            _("Unknown fields: %(codes)s.") % {"codes": ", ".join(unknown)}
        )
    return list(dict.fromkeys(value))


def _next_code(pipeline: Pipeline) -> str:
    taken = set(pipeline.stages.values_list("code", flat=True))
    number = len(taken) + 1
    while f"stage_{number}" in taken:
        number += 1
    return f"stage_{number}"


def _lock_pipeline(pipeline: Pipeline) -> Pipeline:
    return Pipeline.objects.select_for_update().get(pk=pipeline.pk)


def pipeline_create(
    *, actor, data: dict[str, Any], stages: list[dict[str, Any]] | None = None
) -> Pipeline:
    """Create a pipeline with its stages (a minimal open / won / lost set when none are given).

    Marking it default takes the mark from the entity's previous default pipeline.
    """
    require(actor, Action.ADD, Entity.SETTINGS)
    check_editable(data, PIPELINE_FIELDS)
    with transaction.atomic():
        pipeline = Pipeline(**data)
        if pipeline.is_default:
            Pipeline.objects.filter(entity=pipeline.entity, is_default=True).update(
                is_default=False
            )
        pipeline.full_clean()
        if stages is None:
            stages = [
                {"code": code, "name": name, "kind": kind, "color": color}
                for code, name, kind, color in MINIMAL_STAGES
            ]
        _check_kinds([stage.get("kind") for stage in stages])
        pipeline.save()
        for position, stage_data in enumerate(stages):
            stage_create(
                actor=actor,
                pipeline=pipeline,
                data={"sort": 10 * (position + 1), **stage_data},
            )
    return pipeline


def stage_create(*, actor, pipeline: Pipeline, data: dict[str, Any]) -> Stage:
    """Add a stage to ``pipeline``; ``required_fields`` must name fields its cards have."""
    require(actor, Action.ADD, Entity.SETTINGS)
    check_editable(data, STAGE_FIELDS)
    with transaction.atomic():
        pipeline = _lock_pipeline(pipeline)
        errors: dict[str, list[str]] = {}
        values = dict(data)
        values["required_fields"] = _clean_required_fields(
            pipeline, data.get("required_fields"), errors
        )
        if not values.get("code"):
            values["code"] = _next_code(pipeline)
        if "sort" not in values:
            last = pipeline.stages.order_by("-sort").values_list("sort", flat=True).first()
            values["sort"] = (last or 0) + 10
        stage = Stage(pipeline=pipeline, **values)
        try:
            stage.full_clean(exclude=list(errors))
        except ValidationError as error:
            for key, messages in error.message_dict.items():
                errors.setdefault(key, []).extend(messages)
        if errors:
            raise ValidationError(errors)
        stage.save()
    return stage


def _cards_in(stage: Stage) -> bool:
    # Cards in the recycle bin count: restoring them needs their stage.
    return (
        Lead.all_objects.filter(stage=stage).exists()
        or Deal.all_objects.filter(stage=stage).exists()
    )


def stage_update(*, actor, stage: Stage, data: dict[str, Any]) -> Stage:
    """Rename, recolour, re-sort a stage or change its required fields or kind.

    The kind of a stage holding cards stays as it is (their closing data depends on it), and a
    change of kind must leave the pipeline with an open, a won and a lost stage.
    """
    require(actor, Action.UPDATE, Entity.SETTINGS)
    check_editable(data, STAGE_UPDATE_FIELDS)
    with transaction.atomic():
        pipeline = _lock_pipeline(stage.pipeline)
        stage = Stage.objects.select_for_update().get(pk=stage.pk)
        errors: dict[str, list[str]] = {}
        values = dict(data)
        if "required_fields" in values:
            values["required_fields"] = _clean_required_fields(
                pipeline, values["required_fields"], errors
            )
        new_kind = values.get("kind", stage.kind)
        if new_kind != stage.kind:
            if _cards_in(stage):
                errors.setdefault("kind", []).append(
                    _("Cards are in this stage; move them out before changing its kind.")
                )
            else:
                kinds = list(pipeline.stages.exclude(pk=stage.pk).values_list("kind", flat=True))
                try:
                    _check_kinds([*kinds, new_kind])
                except ValidationError as error:
                    errors.setdefault("kind", []).extend(error.messages)
        for key, value in values.items():
            setattr(stage, key, value)
        try:
            stage.full_clean(exclude=list(errors))
        except ValidationError as error:
            for key, messages in error.message_dict.items():
                errors.setdefault(key, []).extend(messages)
        if errors:
            raise ValidationError(errors)
        stage.save(update_fields=[*values, "updated_at"])
    return stage


def stage_reorder(*, actor, pipeline: Pipeline, stage_ids: list[int]) -> list[Stage]:
    """Put the stages of ``pipeline`` in the order of ``stage_ids`` (all of them, once each)."""
    require(actor, Action.UPDATE, Entity.SETTINGS)
    with transaction.atomic():
        pipeline = _lock_pipeline(pipeline)
        stages = {stage.pk: stage for stage in pipeline.stages.all()}
        if sorted(stage_ids) != sorted(stages) or len(set(stage_ids)) != len(stage_ids):
            raise ValidationError({"stages": _("List every stage of the pipeline exactly once.")})
        ordered = [stages[pk] for pk in stage_ids]
        for position, stage in enumerate(ordered):
            stage.sort = 10 * (position + 1)
        Stage.objects.bulk_update(ordered, ["sort"])
    return ordered


def stage_delete(*, actor, stage: Stage) -> None:
    """Delete a stage that holds no cards (the recycle bin included) and is not the last of
    its kind in the pipeline. Past transitions keep their history without it."""
    require(actor, Action.DELETE, Entity.SETTINGS)
    with transaction.atomic():
        pipeline = _lock_pipeline(stage.pipeline)
        stage = Stage.objects.select_for_update().get(pk=stage.pk)
        if _cards_in(stage):
            raise ValidationError(
                {
                    NON_FIELD_ERRORS: _(
                        "Cards are in the stage “%(name)s” (or in the recycle bin); "
                        "move them to another stage first."
                    )
                    % {"name": stage.name}
                }
            )
        kinds = list(pipeline.stages.exclude(pk=stage.pk).values_list("kind", flat=True))
        _check_kinds(kinds)
        stage.delete()


def _pipeline_has_cards(pipeline: Pipeline) -> bool:
    # Cards in the recycle bin count: restoring them needs their pipeline and stage.
    return (
        Deal.all_objects.filter(pipeline=pipeline).exists()
        or Deal.all_objects.filter(stage__pipeline=pipeline).exists()
        or Lead.all_objects.filter(stage__pipeline=pipeline).exists()
    )


def pipeline_delete(*, actor, pipeline: Pipeline) -> None:
    """Delete a pipeline that holds no cards (the recycle bin included) with its stages, their
    robots and the rights given per this pipeline. The default pipeline stays."""
    require(actor, Action.DELETE, Entity.SETTINGS)
    with transaction.atomic():
        pipeline = _lock_pipeline(pipeline)
        if pipeline.is_default:
            raise ValidationError({NON_FIELD_ERRORS: _("The default pipeline cannot be deleted.")})
        if _pipeline_has_cards(pipeline):
            raise ValidationError(
                {
                    NON_FIELD_ERRORS: _(
                        "Cards are in the pipeline “%(name)s” (or in the recycle bin); "
                        "move them to another pipeline first."
                    )
                    % {"name": pipeline.name}
                }
            )
        audit_record(
            action="pipeline.delete",
            actor=actor,
            obj=pipeline,
            details={"entity": pipeline.entity, "name": pipeline.name},
        )
        pipeline.delete()
