"""``{% merge_controls card %}``: the "Merge with…" button and "Merged with X — undo" notices
of a contact or company page."""

from django import template
from django.urls import reverse

from voronka.access.models import Action
from voronka.access.predicates import can
from voronka.contacts.merging import mergeable_kind
from voronka.contacts.selectors.duplicates import undoable_merges

register = template.Library()


@register.inclusion_tag("contacts/partials/_merge_controls.html", takes_context=True)
def merge_controls(context, card):
    request = context.get("request")
    user = getattr(request, "user", None)
    may_change = user is not None and can(user, Action.UPDATE, card)
    entity = mergeable_kind(type(card)).entity
    return {
        "request": request,
        "pick_url": reverse(f"contacts:{entity}_merge_pick", args=[card.pk]),
        "card": card,
        "entity": entity,
        "may_merge": may_change,
        "merges": undoable_merges(user=user, card=card) if may_change else [],
        "csrf_token": context.get("csrf_token"),
    }
