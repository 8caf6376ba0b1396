"""Rights in templates: ``{% load access %}`` then ``{% if user|can:"read settings" %}``.

The user's matrix is resolved once per request (one query) and reused by every check.
"""

from django import template

from voronka.access.models import Action, Entity

register = template.Library()

RECYCLED_ENTITIES = (Entity.LEAD, Entity.DEAL, Entity.CONTACT, Entity.COMPANY)


@register.filter
def can(user, spec: str) -> bool:
    """``user|can:"update settings"`` — the action, a space, the entity code; or a record or
    model as the second word is not possible in a filter, so records use ``can_on``."""
    from voronka.access.predicates import can as allowed

    try:
        action, entity = spec.split()
    except ValueError:
        return False
    if action not in Action.values or entity not in Entity.values:
        return False
    return allowed(user, action, entity)


@register.simple_tag
def can_on(user, action: str, target) -> bool:
    """``{% can_on user "update" deal as editable %}`` — the right on one record."""
    from voronka.access.predicates import can as allowed

    return allowed(user, action, target)


@register.filter
def uses_recycle_bin(user) -> bool:
    """Whether the recycle bin has anything for the user: some leads, deals, contacts or
    companies the user may delete."""
    from voronka.access.predicates import can as allowed

    return any(allowed(user, Action.DELETE, entity) for entity in RECYCLED_ENTITIES)
