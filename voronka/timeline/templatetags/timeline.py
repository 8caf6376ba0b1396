"""``{% load timeline %}{% timeline_panel card %}``: the feed of any card with its composer."""

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from voronka.timeline.views import panel_context

register = template.Library()


@register.simple_tag(takes_context=True)
def timeline_panel(context, card):
    """The timeline panel of a lead, deal, contact or company (two queries)."""
    request = context["request"]
    html = render_to_string("timeline/_panel.html", panel_context(request, card), request=request)
    return mark_safe(html)  # rendered by the template engine, escaped there
