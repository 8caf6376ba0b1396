"""``{% load notifications %}{% notifications_bell %}``: the bell with the unread count for the
page header — one query. ``{% notifications_bell lazy=True %}`` costs the page no query: the
bell fetches its count right after the page loads."""

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from voronka.notifications.selectors import UNREAD_CAP, unread_count

register = template.Library()


def bell_context(user) -> dict:
    count = unread_count(user=user) if user.is_authenticated else 0
    shown = f"{UNREAD_CAP - 1}+" if count >= UNREAD_CAP else str(count)
    return {"unread": count, "unread_shown": shown}


@register.simple_tag(takes_context=True)
def notifications_bell(context, lazy=False):
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if user is None or not user.is_authenticated:
        return ""
    data = {"lazy": True} if lazy else bell_context(user)
    html = render_to_string("notifications/_bell.html", data, request=request)
    return mark_safe(html)  # rendered by the template engine, escaped there
