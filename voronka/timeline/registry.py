"""Templates other apps give for their own kinds of timeline entries.

The timeline depends on no card or feature app; an app that writes entries of its own kind
(tasks, robots) registers here, in its ``AppConfig.ready``, the template that renders such an
entry's body. The template gets ``entry`` and ``item`` in its context.
"""

_entry_templates: dict[str, str] = {}


def register_entry_template(kind: str, template_name: str) -> None:
    _entry_templates[kind] = template_name


def entry_template(kind: str) -> str | None:
    return _entry_templates.get(kind)
