"""Moving leads and deals between stages: required fields, loss reasons, closing dates,
transition rows with the time spent, history and events."""

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from voronka.sales.models import Deal, Lead, LossReason, Pipeline, PipelineEntity, Stage, StageKind
from voronka.sales.services.cards import card_move
from voronka.sales.services.deals import DEAL_FIELDS
from voronka.sales.services.leads import LEAD_FIELDS, lead_duplicates_on_update
from voronka.sales.services.pipelines import closing_stage, first_open_stage


def lead_move_to_stage(
    *,
    actor,
    lead: Lead,
    stage: Stage,
    data: dict[str, Any] | None = None,
    loss_reason: LossReason | None = None,
    loss_comment: str = "",
    expected_version: int | None = None,
) -> Lead:
    """Move a lead to another stage of its pipeline.

    ``data`` fills the target stage's required fields in the same step (lead fields plus
    ``communications`` and ``product_rows``). Every missing required field is named in one
    ValidationError; a lost stage needs ``loss_reason``; nothing changes on any error. New
    phones, e-mails or names given go through the lead duplicate policy (a block refuses the
    move, a warning is recorded on the lead).
    """
    return card_move(
        actor=actor,
        card=lead,
        stage=stage,
        data=data,
        editable=LEAD_FIELDS,
        loss_reason=loss_reason,
        loss_comment=loss_comment,
        expected_version=expected_version,
        duplicates=lead_duplicates_on_update(actor, "record"),
    )


def deal_move_to_stage(
    *,
    actor,
    deal: Deal,
    stage: Stage,
    data: dict[str, Any] | None = None,
    loss_reason: LossReason | None = None,
    loss_comment: str = "",
    expected_version: int | None = None,
) -> Deal:
    """Move a deal to another stage of its pipeline.

    ``data`` fills the target stage's required fields in the same step (deal fields plus
    ``contacts`` and ``product_rows``). Every missing required field is named in one
    ValidationError; a lost stage needs ``loss_reason``; won and lost stages set the closing
    time, an open one clears it; nothing changes on any error.
    """
    return card_move(
        actor=actor,
        card=deal,
        stage=stage,
        data=data,
        editable=DEAL_FIELDS,
        loss_reason=loss_reason,
        loss_comment=loss_comment,
        expected_version=expected_version,
    )


def deal_change_pipeline(
    *,
    actor,
    deal: Deal,
    pipeline: Pipeline,
    stage: Stage | None = None,
    data: dict[str, Any] | None = None,
    loss_reason: LossReason | None = None,
    loss_comment: str = "",
    expected_version: int | None = None,
) -> Deal:
    """Move a deal to another pipeline, into ``stage`` or the pipeline's first open stage,
    with the same checks as a stage move."""
    if not isinstance(pipeline, Pipeline) or pipeline.entity != PipelineEntity.DEAL:
        raise ValidationError({"pipeline": _("Choose a deal pipeline.")})
    return card_move(
        actor=actor,
        card=deal,
        stage=stage if stage is not None else first_open_stage(pipeline),
        data=data,
        editable=DEAL_FIELDS,
        loss_reason=loss_reason,
        loss_comment=loss_comment,
        expected_version=expected_version,
        pipeline=pipeline,
    )


def deal_close_won(
    *, actor, deal: Deal, data: dict[str, Any] | None = None, expected_version: int | None = None
) -> Deal:
    """Move a deal to the won stage of its pipeline."""
    return deal_move_to_stage(
        actor=actor,
        deal=deal,
        stage=closing_stage(deal.pipeline, StageKind.WON),
        data=data,
        expected_version=expected_version,
    )


def deal_close_lost(
    *,
    actor,
    deal: Deal,
    loss_reason: LossReason | None,
    loss_comment: str = "",
    data: dict[str, Any] | None = None,
    expected_version: int | None = None,
) -> Deal:
    """Move a deal to the lost stage of its pipeline with the reason it was lost."""
    return deal_move_to_stage(
        actor=actor,
        deal=deal,
        stage=closing_stage(deal.pipeline, StageKind.LOST),
        data=data,
        loss_reason=loss_reason,
        loss_comment=loss_comment,
        expected_version=expected_version,
    )
