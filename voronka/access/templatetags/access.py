"""Rights in templates: ``{% load access %}`` then ``{% if user|can:"read settings" %}``.

The user's matrix is resolved once per request (one query) and reused by every check.
"""

from django import template
from django.utils.translation import gettext, gettext_noop

from voronka.access.models import Action, Entity

register = template.Library()

RECYCLED_ENTITIES = (Entity.LEAD, Entity.DEAL, Entity.CONTACT, Entity.COMPANY)


@register.filter
def can(user, spec: str) -> bool:
    """``user|can:"update settings"``: the action, a space, the entity code. Rights on one
    record use ``can_on``."""
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


# The built-in roles are installed with English names and descriptions; shown translated while
# an administrator has not renamed them.
SYSTEM_ROLES = {
    "administrator": (
        gettext_noop("Administrator"),
        gettext_noop("Everything, including settings."),
    ),
    "head": (
        gettext_noop("Head of department"),
        gettext_noop("Works with the cards of the department and the departments below it."),
    ),
    "manager": (gettext_noop("Manager"), gettext_noop("Works with own cards only.")),
    "operator": (
        gettext_noop("Operator"),
        gettext_noop("Enters leads, contacts and companies of the department; sees no money."),
    ),
    "read-only": (gettext_noop("Read-only"), gettext_noop("Sees every card, changes nothing.")),
}


def role_label(role) -> str:
    name, _description = SYSTEM_ROLES.get(role.code, ("", ""))
    return gettext(role.name) if role.is_system and role.name == name else role.name


@register.filter
def role_name(role) -> str:
    """The role's name, translated for a built-in role that keeps its installed name."""
    return role_label(role)


@register.filter
def role_description(role) -> str:
    _name, description = SYSTEM_ROLES.get(role.code, ("", ""))
    if role.is_system and role.description == description:
        return gettext(role.description)
    return role.description
