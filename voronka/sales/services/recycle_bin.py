"""Emptying the recycle bin: a lead or deal removed for good with its product rows, contact
links, stage history, communications, timeline and activities. Restores stay with
``lead_restore`` / ``deal_restore``."""

from voronka.contacts.services.recycle_bin import recycled_card_purge
from voronka.sales.models import Deal, Lead


def lead_purge(*, actor, lead: Lead, request=None) -> None:
    """Deals converted from the lead stay and lose the link to it."""
    recycled_card_purge(actor=actor, card=lead, request=request)


def deal_purge(*, actor, deal: Deal, request=None) -> None:
    recycled_card_purge(actor=actor, card=deal, request=request)
