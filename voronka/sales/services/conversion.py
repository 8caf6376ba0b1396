"""Lead conversion: a qualified lead becomes a contact, a company and deals, all at once."""

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.access.models import Action
from voronka.access.predicates import require
from voronka.contacts.duplicates import DuplicatesFound, OnDuplicate
from voronka.contacts.models import Company, Contact
from voronka.contacts.services import company_create, contact_create, contact_link_company
from voronka.core.changes import apply_changes
from voronka.core.concurrency import lock_alive_card, save_new_version
from voronka.core.events import publish
from voronka.customization.models import EntityType
from voronka.customization.validation import clean_custom_fields, definitions_for
from voronka.sales.events import LeadConverted
from voronka.sales.models import Deal, Lead, Pipeline, PipelineEntity, StageKind
from voronka.sales.services.cards import card_move
from voronka.sales.services.common import actor_id
from voronka.sales.services.deals import deal_create
from voronka.sales.services.leads import LEAD_FIELDS
from voronka.sales.services.pipelines import closing_stage
from voronka.timeline.models import EntryKind
from voronka.timeline.services import entry_add, record_field_changes

# Lead columns a new deal takes over as they are.
CARRIED_FIELDS = (
    "currency",
    "source",
    "source_description",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_content",
    "utm_term",
)
PRODUCT_ROW_FIELDS = (
    "product",
    "name",
    "price",
    "quantity",
    "unit",
    "discount_percent",
    "tax_rate",
    "tax_included",
    "sort",
)


@dataclass
class ConversionResult:
    contact: Contact | None
    company: Company | None
    deals: list[Deal] = field(default_factory=list)


def _under(key: str, error: ValidationError, errors: dict[str, list[str]]) -> None:
    """Report a part's problems under one key, each message prefixed with the field."""
    for field_name, messages in error.message_dict.items():
        for message in messages:
            prefix = "" if field_name == NON_FIELD_ERRORS else f"{field_name}: "
            errors.setdefault(key, []).append(prefix + message)


def _carried_custom_fields(lead: Lead) -> dict[str, Any]:
    """The lead's custom values whose codes exist on deals and pass the deal's validation."""
    definitions = definitions_for(EntityType.DEAL)
    carried: dict[str, Any] = {}
    for code, value in (lead.custom_fields or {}).items():
        definition = definitions.get(code)
        if definition is None:
            continue
        try:
            cleaned = clean_custom_fields(
                EntityType.DEAL, {code: value}, definitions={code: definition}
            )
        except ValidationError:
            # A value the deal's field does not accept stays on the lead; conversion goes on.
            continue
        carried.update(cleaned)
    return carried


def _lead_link(lead: Lead) -> dict[str, Any]:
    return {"lead_id": lead.pk, "lead_title": lead.title}


def lead_convert(
    *,
    actor,
    lead: Lead,
    pipelines: list[Pipeline],
    contact: Contact | None = None,
    company: Company | None = None,
    create_contact: bool = True,
    create_company: bool | None = None,
    deal_data: dict[str, Any] | None = None,
    expected_version: int | None = None,
    on_duplicate: OnDuplicate = "record",
) -> ConversionResult:
    """Turn a lead into a contact, a company and one deal per pipeline in ``pipelines``.

    The given ``contact``/``company`` (or the lead's own) are reused; otherwise a contact is
    created from the lead's names, position and communications (``create_contact``) and a
    company from ``company_title`` (``create_company``; by default when the title is filled).
    Each deal starts at its pipeline's first open stage and carries the amount, currency,
    source, UTM, product rows and the custom fields deals also have; ``deal_data`` adds or
    overrides deal fields. The lead moves to its won stage and is marked converted.

    The contact and company it creates go through their duplicate policies like any other
    (the lead itself does not count): a block fails the conversion with the match named under
    ``contact`` / ``company``; a warning is recorded on the new card, or raised as
    ``DuplicatesFound`` with ``on_duplicate="ask"``.

    All or nothing: any failure raises ValidationError and nothing is created or changed.
    Rights (PermissionDenied, checked before anything is written): changing the lead, adding
    a deal in each pipeline, adding the contact and the company it creates, and seeing the
    existing contact and company it links.
    """
    deal_data = dict(deal_data or {})
    with transaction.atomic():
        lead = lock_alive_card(lead, expected_version)
        require(actor, Action.UPDATE, lead)
        if lead.converted_at is not None:
            raise ValidationError({NON_FIELD_ERRORS: [_("This lead is already converted.")]})
        errors: dict[str, list[str]] = {}
        if any(
            not isinstance(pipeline, Pipeline) or pipeline.entity != PipelineEntity.DEAL
            for pipeline in pipelines
        ):
            errors["pipelines"] = [_("Choose deal pipelines.")]
        elif len({pipeline.pk for pipeline in pipelines}) != len(pipelines):
            errors["pipelines"] = [_("Choose each pipeline once.")]
        contact = contact or lead.contact
        company = company or lead.company
        if create_company is None:
            create_company = bool(lead.company_title)
        if company is None and create_company and not lead.company_title:
            errors["company"] = [_("Enter the company name on the lead to create a company.")]
        if errors:
            raise ValidationError(errors)
        _require_conversion(
            actor,
            lead,
            pipelines,
            contact=contact,
            company=company,
            create_contact=contact is None and create_contact,
            create_company=company is None and create_company,
        )

        communications = [
            {"kind": item.kind, "value_type": item.value_type, "value": item.value}
            for item in lead.communications.order_by("kind", "sort", "pk")
        ]
        created_contact = created_company = None
        if company is None and create_company:
            try:
                company = created_company = company_create(
                    actor=actor,
                    data={
                        "title": lead.company_title,
                        "responsible": lead.responsible,
                        "source": lead.source,
                    },
                    # Without a contact, the lead's phones and e-mails stay reachable here.
                    communications=None if (contact or create_contact) else communications,
                    on_duplicate=on_duplicate,
                    exclude_duplicates=lead,
                )
            except DuplicatesFound:
                raise
            except ValidationError as error:
                _under("company", error, errors)
        if contact is None and create_contact and not errors:
            try:
                contact = created_contact = contact_create(
                    actor=actor,
                    data={
                        "last_name": lead.last_name,
                        "first_name": lead.first_name,
                        "middle_name": lead.middle_name,
                        "position": lead.position,
                        "address": lead.address,
                        "responsible": lead.responsible,
                        "source": lead.source,
                        "source_description": lead.source_description,
                    },
                    communications=communications,
                    company_links=[{"company": company}] if company else None,
                    on_duplicate=on_duplicate,
                    exclude_duplicates=lead,
                )
            except DuplicatesFound:
                raise
            except ValidationError as error:
                _under("contact", error, errors)
        if errors:
            raise ValidationError(errors)
        if contact is not None and company is not None and created_contact is None:
            contact_link_company(actor=actor, contact=contact, company=company)

        deals = _create_deals(
            actor=actor,
            lead=lead,
            pipelines=pipelines,
            contact=contact,
            company=company,
            deal_data=deal_data,
        )

        lead = card_move(
            actor=actor,
            card=lead,
            stage=closing_stage(lead.stage.pipeline, StageKind.WON),
            data=None,
            editable=LEAD_FIELDS,
            loss_reason=None,
            loss_comment="",
            expected_version=None,
        )
        lead.converted_at = timezone.now()
        changes = apply_changes(lead, {"contact": contact, "company": company})
        save_new_version(lead, ["converted_at", *(change.field for change in changes)])
        if changes:
            record_field_changes(actor=actor, card=lead, changes=changes)
        links = [
            *([{"entity": "contact", "id": contact.pk, "title": str(contact)}] if contact else []),
            *([{"entity": "company", "id": company.pk, "title": str(company)}] if company else []),
            *({"entity": "deal", "id": deal.pk, "title": deal.title} for deal in deals),
        ]
        entry_add(actor=actor, card=lead, kind=EntryKind.CONVERTED, payload={"links": links})
        for card in [created_contact, created_company, *deals]:
            if card is not None:
                entry_add(
                    actor=actor, card=card, kind=EntryKind.CONVERTED, payload=_lead_link(lead)
                )
        publish(
            LeadConverted(
                actor_id=actor_id(actor),
                lead_id=lead.pk,
                contact_id=contact.pk if contact else None,
                company_id=company.pk if company else None,
                deal_ids=tuple(deal.pk for deal in deals),
            )
        )
    return ConversionResult(contact=contact, company=company, deals=deals)


def _require_conversion(
    actor,
    lead: Lead,
    pipelines: list[Pipeline],
    *,
    contact: Contact | None,
    company: Company | None,
    create_contact: bool,
    create_company: bool,
) -> None:
    """Every right the conversion needs, checked on the cards as they are about to be made."""
    if actor is None:
        return
    owner = {"responsible": lead.responsible, "created_by": actor}
    for pipeline in pipelines:
        require(actor, Action.ADD, Deal(pipeline=pipeline, **owner))
    if create_contact:
        require(actor, Action.ADD, Contact(**owner))
    elif contact is not None:
        require(actor, Action.READ, contact)
    if create_company:
        require(actor, Action.ADD, Company(**owner))
    elif company is not None:
        require(actor, Action.READ, company)


def _create_deals(
    *,
    actor,
    lead: Lead,
    pipelines: list[Pipeline],
    contact: Contact | None,
    company: Company | None,
    deal_data: dict[str, Any],
) -> list[Deal]:
    rows = [
        {name: getattr(row, name) for name in PRODUCT_ROW_FIELDS}
        for row in lead.product_rows.order_by("sort", "pk")
    ]
    base = {name: getattr(lead, name) for name in CARRIED_FIELDS}
    base.update(
        title=lead.title,
        responsible=lead.responsible,
        comment=lead.comment,
        company=company,
        lead=lead,
        custom_fields=_carried_custom_fields(lead),
    )
    if not rows:
        base["amount"] = lead.amount
    deals: list[Deal] = []
    errors: dict[str, list[str]] = {}
    for pipeline in pipelines:
        try:
            deals.append(
                deal_create(
                    actor=actor,
                    data={**base, **deal_data, "pipeline": pipeline},
                    contacts=[contact] if contact else None,
                    product_rows=rows or None,
                )
            )
        except ValidationError as error:
            _under("deals", error, errors)
    if errors:
        raise ValidationError(errors)
    return deals
