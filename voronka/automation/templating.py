"""Text templates of robots (``{{ deal.title }} — {{ deal.pipeline }}``), rendered by a Django
template engine of its own: no loaders, no ``{% load %}``, ``{% include %}`` or ``{% url %}``,
and a context of plain values (strings, numbers, dates) rather than model objects, so a
template can read a card but never call its methods."""

from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError
from django.template import Context, Engine, Library, TemplateSyntaxError, defaulttags
from django.utils.translation import gettext as _

_SAFE_TAGS = ("if", "for", "with", "firstof", "now", "comment", "spaceless", "cycle", "verbatim")

register = Library()
for _name in _SAFE_TAGS:
    register.tag(_name, defaulttags.register.tags[_name])


class SandboxEngine(Engine):
    # Not Django's default tags: those bring {% load %}, {% include %}, {% url %}, {% debug %}.
    default_builtins = ["django.template.defaultfilters", "voronka.automation.templating"]


@lru_cache(maxsize=1)
def engine() -> Engine:
    return SandboxEngine(
        dirs=[], app_dirs=False, loaders=[], autoescape=False, libraries={}, string_if_invalid=""
    )


def compile_template(text: str):
    if not isinstance(text, str):
        raise ValidationError(_("A template is text."))
    try:
        return _compiled(text)
    except TemplateSyntaxError as error:
        raise ValidationError(_("Template error: %(error)s") % {"error": error}) from None


@lru_cache(maxsize=512)
def _compiled(text: str):
    return engine().from_string(text)


def render(text: str, context: dict[str, Any]) -> str:
    return compile_template(text).render(Context(context, autoescape=False)).strip()
