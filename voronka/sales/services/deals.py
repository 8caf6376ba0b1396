"""Deals: sales in one pipeline, from the first agreement to money received or a loss."""

from typing import Any

from django.utils.translation import gettext as _

from voronka.contacts.models import Contact
from voronka.sales.models import Deal, PipelineEntity
from voronka.sales.services.cards import card_create, card_delete, card_restore, card_update
from voronka.sales.services.pipelines import default_pipeline, first_open_stage

DEAL_FIELDS = frozenset(
    {
        "title",
        "responsible",
        "responsible_id",
        "source",
        "source_id",
        "source_description",
        "comment",
        "amount",
        "currency",
        "company",
        "company_id",
        "sales_manager",
        "sales_manager_id",
        "delivery_manager",
        "delivery_manager_id",
        "head_of_sales",
        "head_of_sales_id",
        "begins_on",
        "closes_on",
        "probability",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "utm_content",
        "utm_term",
        "custom_fields",
    }
)
# Only the move services change the pipeline and stage of an existing deal.
DEAL_CREATE_FIELDS = DEAL_FIELDS | {
    "pipeline",
    "pipeline_id",
    "stage",
    "stage_id",
    "lead",
    "lead_id",
    "loss_reason",
    "loss_comment",
}


def _resolve_stage(deal: Deal, errors: dict[str, list[str]]) -> None:
    if "stage" in errors or "pipeline" in errors:
        return
    if deal.pipeline_id is None:
        deal.pipeline = (
            deal.stage.pipeline
            if deal.stage_id is not None
            else default_pipeline(PipelineEntity.DEAL)
        )
    if deal.pipeline.entity != PipelineEntity.DEAL:
        errors["pipeline"] = [_("Choose a deal pipeline.")]
        return
    if deal.stage_id is None:
        deal.stage = first_open_stage(deal.pipeline)
    elif deal.stage.pipeline_id != deal.pipeline_id:
        errors["stage"] = [
            _("The stage “%(stage)s” belongs to another pipeline.") % {"stage": deal.stage}
        ]


def deal_create(
    *,
    actor,
    data: dict[str, Any],
    contacts: list[Contact | dict[str, Any]] | None = None,
    product_rows: list[dict[str, Any]] | None = None,
) -> Deal:
    """Create a deal with its contacts and product rows.

    The pipeline defaults to the default deal pipeline (created when there is none) and the
    stage to its first open stage; a given stage must belong to the pipeline. ``contacts`` is a
    list of contacts (or ``{"contact", "is_primary"}``); the first is primary unless another is
    marked. Every problem comes back in one ValidationError; nothing is written then.
    """
    return card_create(
        actor=actor,
        card=Deal(created_by=actor),
        data=data,
        editable=DEAL_CREATE_FIELDS,
        resolve_stage=_resolve_stage,
        related={"contacts": contacts, "product_rows": product_rows},
    )


def deal_update(
    *,
    actor,
    deal: Deal,
    data: dict[str, Any],
    contacts: list[Contact | dict[str, Any]] | None = None,
    expected_version: int | None = None,
) -> Deal:
    """Change a deal's fields and, when ``contacts`` is a list, replace its contacts.

    Pipeline and stage change only through ``deal_move_to_stage`` and
    ``deal_change_pipeline``. A stale ``expected_version`` raises ConflictError.
    """
    return card_update(
        actor=actor,
        card=deal,
        data=data,
        editable=DEAL_FIELDS,
        related={"contacts": contacts},
        expected_version=expected_version,
    )


def deal_delete(*, actor, deal: Deal) -> Deal:
    """Move a deal to the recycle bin."""
    return card_delete(actor=actor, card=deal)


def deal_restore(*, actor, deal: Deal) -> Deal:
    """Bring a deal back from the recycle bin."""
    return card_restore(actor=actor, card=deal)
