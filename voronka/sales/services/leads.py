"""Leads: first requests with where they came from (source, UTM, referrer, landing page)."""

from typing import Any

from django.utils.translation import gettext as _

from voronka.contacts.duplicates import OnDuplicate, check_duplicates
from voronka.contacts.duplicates.cards import card_data, data_to_recheck
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


# Lead fields duplicate control compares (with the phones and e-mails).
_IDENTIFIER_FIELDS = ("last_name", "first_name", "middle_name", "company_title")


def _duplicates_on_create(actor, on_duplicate: OnDuplicate):
    def check(lead: Lead, writes) -> list:
        items = writes.communication_items or []
        return check_duplicates(
            "lead", card_data(lead, items), actor=actor, on_duplicate=on_duplicate
        )

    return check


def lead_duplicates_on_update(actor, on_duplicate: OnDuplicate):
    """The duplicate check of an edit of a lead, for ``card_update`` and ``card_move``."""

    def start(lead: Lead):
        before = {name: getattr(lead, name) for name in _IDENTIFIER_FIELDS}

        def check(lead: Lead, writes) -> list:
            after = {name: getattr(lead, name) for name in _IDENTIFIER_FIELDS}
            if writes.communication_items is None and after == before:
                return []
            stored = card_data(lead)["communications"]
            new = stored if writes.communication_items is None else writes.communication_items
            data = data_to_recheck(
                "lead",
                {**before, "communications": stored},
                {**after, "communications": new},
            )
            if data is None:
                return []
            return check_duplicates(
                "lead", data, actor=actor, exclude=lead, on_duplicate=on_duplicate
            )

        return check

    return start


def lead_create(
    *,
    actor,
    data: dict[str, Any],
    communications: list[dict[str, Any]] | None = None,
    product_rows: list[dict[str, Any]] | None = None,
    on_duplicate: OnDuplicate = "record",
) -> Lead:
    """Create a lead with its communications and product rows.

    The stage defaults to the first open stage of the default lead pipeline (created when there
    is none), the responsible to ``actor`` and the title to the person's or company's name.
    Custom fields are validated and "always required" ones enforced, as are the required fields
    of the stage. Every problem comes back in one ValidationError; nothing is written then.

    The lead policy of duplicates applies (``check_duplicates``): a block is a ValidationError;
    a warning raises ``DuplicatesFound`` with ``on_duplicate="ask"`` and is recorded on the new
    lead with ``"record"``.
    """
    lead = Lead(created_by=actor, title=_default_title(data).strip()[:255])
    return card_create(
        actor=actor,
        card=lead,
        data=data,
        editable=LEAD_CREATE_FIELDS,
        resolve_stage=_resolve_stage,
        related={"communications": communications, "product_rows": product_rows},
        duplicates=_duplicates_on_create(actor, on_duplicate),
    )


def lead_update(
    *,
    actor,
    lead: Lead,
    data: dict[str, Any],
    communications: list[dict[str, Any]] | None = None,
    expected_version: int | None = None,
    on_duplicate: OnDuplicate = "record",
) -> Lead:
    """Change a lead's fields and, when ``communications`` is a list, replace them.

    The stage is changed only by ``lead_move_to_stage``. A stale ``expected_version`` raises
    ConflictError and nothing changes. New phones, e-mails, names or company name go through
    the duplicate policy as on ``lead_create`` (the lead itself aside).
    """
    return card_update(
        actor=actor,
        card=lead,
        data=data,
        editable=LEAD_FIELDS,
        related={"communications": communications},
        expected_version=expected_version,
        duplicates=lead_duplicates_on_update(actor, on_duplicate),
    )


def lead_delete(*, actor, lead: Lead) -> Lead:
    """Move a lead to the recycle bin."""
    return card_delete(actor=actor, card=lead)


def lead_restore(*, actor, lead: Lead) -> Lead:
    """Bring a lead back from the recycle bin."""
    return card_restore(actor=actor, card=lead)
