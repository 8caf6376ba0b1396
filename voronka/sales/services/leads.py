"""Leads: first requests with where they came from (source, UTM, referrer, landing page)."""

from typing import Any

from django.utils.translation import gettext as _

from voronka.sales.models import Lead, PipelineEntity
from voronka.sales.services.cards import card_create, card_delete, card_restore, card_update
from voronka.sales.services.pipelines import default_pipeline, first_open_stage

LEAD_FIELDS = frozenset(
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
        "last_name",
        "first_name",
        "middle_name",
        "company_title",
        "position",
        "address",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "utm_content",
        "utm_term",
        "referrer",
        "landing_page",
        "contact",
        "contact_id",
        "company",
        "company_id",
        "custom_fields",
    }
)
# Only the move services change the stage of an existing lead.
LEAD_CREATE_FIELDS = LEAD_FIELDS | {"stage", "stage_id", "loss_reason", "loss_comment"}


def _resolve_stage(lead: Lead, errors: dict[str, list[str]]) -> None:
    if "stage" in errors:
        return
    if lead.stage_id is None:
        lead.stage = first_open_stage(default_pipeline(PipelineEntity.LEAD))
    elif lead.stage.pipeline.entity != PipelineEntity.LEAD:
        errors["stage"] = [_("Choose a stage of a lead pipeline.")]


def _default_title(data: dict[str, Any]) -> str:
    names = [str(data.get(key) or "").strip() for key in ("last_name", "first_name")]
    return " ".join(name for name in names if name) or str(data.get("company_title") or "")


def lead_create(
    *,
    actor,
    data: dict[str, Any],
    communications: list[dict[str, Any]] | None = None,
    product_rows: list[dict[str, Any]] | None = None,
) -> Lead:
    """Create a lead with its communications and product rows.

    The stage defaults to the first open stage of the default lead pipeline (created when there
    is none), the responsible to ``actor`` and the title to the person's or company's name.
    Custom fields are validated and "always required" ones enforced, as are the required fields
    of the stage. Every problem comes back in one ValidationError; nothing is written then.
    """
    lead = Lead(created_by=actor, title=_default_title(data).strip()[:255])
    return card_create(
        actor=actor,
        card=lead,
        data=data,
        editable=LEAD_CREATE_FIELDS,
        resolve_stage=_resolve_stage,
        related={"communications": communications, "product_rows": product_rows},
    )


def lead_update(
    *,
    actor,
    lead: Lead,
    data: dict[str, Any],
    communications: list[dict[str, Any]] | None = None,
    expected_version: int | None = None,
) -> Lead:
    """Change a lead's fields and, when ``communications`` is a list, replace them.

    The stage is changed only by ``lead_move_to_stage``. A stale ``expected_version`` raises
    ConflictError and nothing changes.
    """
    return card_update(
        actor=actor,
        card=lead,
        data=data,
        editable=LEAD_FIELDS,
        related={"communications": communications},
        expected_version=expected_version,
    )


def lead_delete(*, actor, lead: Lead) -> Lead:
    """Move a lead to the recycle bin."""
    return card_delete(actor=actor, card=lead)


def lead_restore(*, actor, lead: Lead) -> Lead:
    """Bring a lead back from the recycle bin."""
    return card_restore(actor=actor, card=lead)
