from django import template

from voronka.automation.selectors import runs_for_card

register = template.Library()


@register.inclusion_tag("automation/_runs.html")
def robot_runs(card):
    """The card's planned and recent robot runs: ``{% load automation %}{% robot_runs card %}``."""
    return {"runs": runs_for_card(card=card)}
