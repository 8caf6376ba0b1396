"""Emptying the recycle bin: a contact or company removed for good, with everything that
exists only for it. Restores stay with ``contact_restore`` / ``company_restore``."""

from django.apps import apps
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, ProtectedError
from django.utils.translation import gettext as _

from voronka.access.models import Action
from voronka.access.predicates import require
from voronka.access.services import audit_record
from voronka.contacts.models import Company, Contact


def card_rows_purge(card: Model) -> dict[str, int]:
    """Remove or unlink the rows that point at ``card`` through a generic link (card type +
    id), which the database does not cascade: a row that only exists for the card (timeline
    entries, activities, communications, robot runs) goes with it; a row that may live on
    without a card (a task) loses the link. Returns the counts per model label."""
    card_type = ContentType.objects.get_for_model(card, for_concrete_model=False)
    counts: dict[str, int] = {}
    for model in apps.get_models():
        for private in model._meta.private_fields:
            if not isinstance(private, GenericForeignKey):
                continue
            rows = model._base_manager.filter(
                **{private.ct_field: card_type, private.fk_field: card.pk}
            )
            link = model._meta.get_field(private.ct_field)
            if link.null and model._meta.get_field(private.fk_field).null:
                changed = rows.update(**{private.ct_field: None, private.fk_field: None})
            else:
                changed, _by_model = rows.delete()
            if changed:
                counts[model._meta.label] = changed
    return counts


def _ensure_in_bin(card) -> None:
    if card.deleted_at is None:
        raise ValidationError(_("Only a card in the recycle bin can be deleted for good."))


def recycled_card_purge(*, actor, card, request=None) -> None:
    """Remove a card of the recycle bin for good: its own rows (links, addresses, product
    rows, stage history) cascade in the database, generic ones are removed here. The right to
    delete the card is required; the purge is written to the audit log."""
    require(actor, Action.DELETE, card)
    _ensure_in_bin(card)
    with transaction.atomic():
        card = type(card).all_objects.select_for_update().get(pk=card.pk)
        _ensure_in_bin(card)
        audit_record(
            action="card.purge",
            actor=actor,
            request=request,
            obj=card,
            details={"title": str(card)[:255]},
        )
        card_rows_purge(card)
        try:
            with transaction.atomic():
                card.delete()
        except ProtectedError as error:
            names = sorted({str(row) for row in error.protected_objects})[:5]
            raise ValidationError(
                _("Other cards still refer to it: %(cards)s. Delete or change them first.")
                % {"cards": ", ".join(names)}
            ) from None


def contact_purge(*, actor, contact: Contact, request=None) -> None:
    recycled_card_purge(actor=actor, card=contact, request=request)


def company_purge(*, actor, company: Company, request=None) -> None:
    """A company deals still refer to (even deals in the recycle bin) is refused."""
    recycled_card_purge(actor=actor, card=company, request=request)
