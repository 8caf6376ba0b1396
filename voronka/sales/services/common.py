"""Input handling and card rules shared by the lead and deal services."""

from decimal import Decimal
from typing import Any, TypeVar

from django.db import models
from django.utils.translation import gettext as _

from voronka.core.changes import FieldChange, apply_changes
from voronka.core.inputs import check_active, prepare_values
from voronka.customization.models import CustomField, EntityType
from voronka.customization.validation import (
    apply_custom_fields,
    definitions_for,
    is_empty,
)
from voronka.sales.models import Deal, Lead, Stage

Card = Lead | Deal
# The same card type in and out: a service given a Lead returns a Lead.
CardT = TypeVar("CardT", Lead, Deal)

# Required-field codes that are not model columns, with the label the user sees.
RELATED_REQUIRED_FIELDS = {
    EntityType.LEAD: ("communications", "product_rows"),
    EntityType.DEAL: ("contacts", "product_rows"),
}


def entity_of(card: Card) -> str:
    return EntityType.LEAD if isinstance(card, Lead) else EntityType.DEAL


def apply_card_data(
    card: Card,
    data: dict[str, Any],
    errors: dict[str, list[str]],
    *,
    creating: bool = False,
    definitions: dict[str, CustomField] | None = None,
) -> tuple[list[FieldChange], list[str]]:
    """Set ``data`` on ``card`` (not saved); return the history changes and the changed columns.

    While product rows set the amount, it cannot be typed by hand.
    """
    values = prepare_values(type(card), data, errors)
    if card.amount_from_products and "amount" in values and values["amount"] != card.amount:
        errors.setdefault("amount", []).append(
            _("The amount is the total of the product rows; change the rows instead.")
        )
        values.pop("amount")
    changes = apply_changes(card, values)
    update_fields = [change.field for change in changes]
    check_active(card, set(update_fields), errors)
    if "custom_fields" in data or creating:
        custom_changes = apply_custom_fields(
            card,
            entity_of(card),
            data.get("custom_fields"),
            errors,
            creating=creating,
            definitions=definitions,
        )
        if custom_changes or creating:
            changes += custom_changes
            update_fields.append("custom_fields")
    return changes, update_fields


def field_label(card_model: type[models.Model], code: str, definitions: dict) -> str:
    if code == "contacts":
        return _("Contacts")
    if code == "product_rows":
        return _("Products")
    if code == "communications":
        return _("Communications")
    if code in definitions:
        return definitions[code].label
    return str(card_model._meta.get_field(code).verbose_name)


def _is_filled(card: Card, code: str, related: Any) -> bool:
    """Whether ``card`` has ``code`` filled; ``related`` holds related values about to be
    written (they count instead of what is saved)."""
    pending = getattr(related, code, None) if related is not None else None
    if code in ("product_rows", "communications", "contacts") and pending is not None:
        return bool(pending)
    saved = card.pk is not None
    if code == "product_rows":
        return saved and card.product_rows.exists()
    if code == "communications":
        return saved and isinstance(card, Lead) and card.communications.exists()
    if code == "contacts":
        if isinstance(card, Deal):
            return saved and card.contact_links.exists()
        return card.contact_id is not None
    field = type(card)._meta.get_field(code)
    value = getattr(card, field.attname)
    if code == "amount":
        rows = getattr(related, "product_rows", None)
        if rows:
            # Rows about to be written set the amount to their total.
            value = sum((row.subtotal for row in rows), Decimal(0))
        return value is not None and Decimal(value) > 0
    return not is_empty(value)


# Fields the system fills itself (or asks for in their own step, like the loss reason of a
# lost stage, or takes from the web form that brought the lead): a stage cannot demand them.
NOT_REQUIRABLE_FIELDS = frozenset(
    {
        "id",
        "stage",
        "stage_changed_at",
        "custom_fields",
        "amount_from_products",
        "currency",
        "loss_reason",
        "loss_comment",
        "closed_at",
        "created_by",
        "pipeline",
        "lead",
        "converted_at",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "utm_content",
        "utm_term",
        "referrer",
        "landing_page",
    }
)


def known_required_codes(entity: str, definitions: dict[str, CustomField]) -> set[str]:
    """Every code a stage of ``entity`` may list as required: the fields a person fills.

    A stage that still lists a code no longer offered keeps working: the code is ignored."""
    model = Lead if entity == EntityType.LEAD else Deal
    standard = {
        field.name
        for field in model._meta.concrete_fields
        if field.editable and field.name not in NOT_REQUIRABLE_FIELDS
    }
    return standard | set(RELATED_REQUIRED_FIELDS[entity]) | set(definitions)


def missing_required(
    card: Card, stage: Stage, *, related: Any = None, only: set[str] | None = None
) -> dict[str, list[str]]:
    """One error per required field of ``stage`` that ``card`` has empty, named by its label.

    ``only`` limits the check to those codes (an edit may not empty a required field, but is
    not blocked by fields it did not touch).
    """
    if not stage.required_fields:
        return {}
    entity = entity_of(card)
    definitions = definitions_for(entity)
    known = known_required_codes(entity, definitions)
    missing: dict[str, list[str]] = {}
    for code in stage.required_fields:
        # A stage may still list a field that was since removed; it no longer blocks anyone.
        if code not in known or (only is not None and code not in only):
            continue
        filled = (
            not is_empty((card.custom_fields or {}).get(code))
            if code in definitions
            else _is_filled(card, code, related)
        )
        if not filled:
            label = field_label(type(card), code, definitions)
            missing[code] = [
                _("Fill in “%(field)s” to move the card to “%(stage)s”.")
                % {"field": label, "stage": stage.name}
            ]
    return missing


def actor_id(actor) -> int | None:
    return getattr(actor, "pk", None)
