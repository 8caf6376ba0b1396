"""The "Client value" block of contact and company cards: LTV, its segment, the last
interaction and how many won deals make the LTV."""

from django import template

from voronka.access.predicates import entity_of, hidden_fields, visible_to
from voronka.contacts.models import Contact
from voronka.core.money import default_currency
from voronka.sales.client_value import counted_deals

register = template.Library()


@register.inclusion_tag("sales/partials/_client_value.html", takes_context=True)
def client_value_panel(context, card):
    """One query: the won deals (the ones LTV counts) of the client that the employee sees.
    Values hidden from the employee by field rules are left out."""
    user = context["request"].user
    hidden = hidden_fields(user, entity_of(card))
    deals = counted_deals()
    if isinstance(card, Contact):
        deals = deals.filter(contact_links__contact=card)
    else:
        deals = deals.filter(company=card)
    return {
        "card": card,
        "currency": default_currency(),
        "show_ltv": "ltv" not in hidden,
        "show_segment": "ltv" not in hidden and "ltv_segment" not in hidden,
        "show_last": "last_contact_at" not in hidden,
        "won_deals": visible_to(user, deals).count(),
    }
