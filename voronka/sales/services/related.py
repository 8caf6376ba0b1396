"""What a card carries besides its own columns: communications (leads), contacts (deals) and
product rows. Validated with the card's fields, written after the card is saved."""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from voronka.contacts.models import Communication, Contact
from voronka.contacts.services import communications_clean, communications_set
from voronka.core.changes import FieldChange
from voronka.core.inputs import merge_errors
from voronka.sales.models import Deal, DealContact, Lead, ProductRow
from voronka.sales.services.common import Card
from voronka.sales.services.products import product_rows_clean, write_product_rows


@dataclass
class RelatedWrites:
    """Cleaned related values; None means "leave as they are"."""

    communications: list[Communication] | None = None
    communication_items: list[dict[str, Any]] | None = None
    contacts: list[DealContact] | None = None
    product_rows: list[ProductRow] | None = None


def deal_contacts_clean(items: list[Any]) -> list[DealContact]:
    """Unsaved links from a list of contacts (or ``{"contact", "is_primary"}``); the first
    contact is the primary one unless another is marked."""
    if not isinstance(items, list | tuple):
        raise ValidationError({"contacts": _("Contacts must be a list.")})
    links: list[DealContact] = []
    problems: list[str] = []
    seen: set[int] = set()
    for position, item in enumerate(items):
        contact, is_primary = (
            (item.get("contact"), bool(item.get("is_primary")))
            if isinstance(item, dict)
            else (item, False)
        )
        if not isinstance(contact, Contact) or contact.pk is None:
            problems.append(_("Choose a contact."))
            continue
        if contact.is_deleted:
            problems.append(
                _("The contact “%(contact)s” is in the recycle bin.") % {"contact": contact}
            )
            continue
        if contact.pk in seen:
            continue
        seen.add(contact.pk)
        links.append(DealContact(contact=contact, is_primary=is_primary, sort=position))
    if sum(link.is_primary for link in links) > 1:
        problems.append(_("Only one contact can be the primary one."))
    if links and not any(link.is_primary for link in links):
        links[0].is_primary = True
    if problems:
        raise ValidationError({"contacts": problems})
    return links


def clean_related(
    card: Card,
    errors: dict[str, list[str]],
    *,
    communications: list[dict[str, Any]] | None = None,
    contacts: list[Any] | None = None,
    product_rows: list[dict[str, Any]] | None = None,
) -> RelatedWrites:
    related = RelatedWrites()
    if communications is not None:
        if not isinstance(card, Lead):
            errors.setdefault("communications", []).append(
                _("A deal has no communications of its own; they belong to its contacts.")
            )
        else:
            try:
                related.communications = communications_clean(communications)
                related.communication_items = communications
            except ValidationError as error:
                merge_errors(errors, error)
    if contacts is not None:
        if not isinstance(card, Deal):
            errors.setdefault("contacts", []).append(_("Only a deal has a list of contacts."))
        else:
            try:
                related.contacts = deal_contacts_clean(contacts)
            except ValidationError as error:
                merge_errors(errors, error)
    if product_rows is not None:
        try:
            related.product_rows = product_rows_clean(product_rows)
        except ValidationError as error:
            merge_errors(errors, error)
    return related


def _describe_contacts(links: list[DealContact]) -> str | None:
    return ", ".join(str(link.contact) for link in links) or None


def write_related(
    card: Card, related: RelatedWrites, *, creating: bool = False
) -> tuple[list[FieldChange], list[str]]:
    """Write the cleaned related values of a saved, locked card; return history changes and
    the card columns changed on the way (the amount from product rows)."""
    changes: list[FieldChange] = []
    update_fields: list[str] = []
    if related.communication_items is not None:
        changes += communications_set(
            card=card, items=related.communication_items, creating=creating
        )
    if related.contacts is not None and isinstance(card, Deal):
        existing = [] if creating else list(card.contact_links.select_related("contact"))
        old = [(link.contact_id, link.is_primary) for link in existing]
        new = [(link.contact_id, link.is_primary) for link in related.contacts]
        if old != new:
            DealContact.objects.filter(deal=card).delete()
            for link in related.contacts:
                link.deal = card
            DealContact.objects.bulk_create(related.contacts)
            if not creating:
                changes.append(
                    FieldChange(
                        field="contacts",
                        label=_("Contacts"),
                        old=_describe_contacts(existing),
                        new=_describe_contacts(related.contacts),
                    )
                )
    if related.product_rows is not None:
        row_changes, row_fields = write_product_rows(card, related.product_rows, creating=creating)
        changes += row_changes
        update_fields += row_fields
    return changes, update_fields
