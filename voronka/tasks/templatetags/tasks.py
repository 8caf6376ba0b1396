"""``{% load tasks %}``: the tasks of a CRM card for its timeline, and small helpers."""

from django import template
from django.template.loader import render_to_string
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from voronka.tasks.models import TaskEntryKind, TaskStatus
from voronka.tasks.views import card_tasks_context

register = template.Library()


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.simple_tag(takes_context=True)
def card_tasks(context, card):
    """The open tasks of a lead, deal, contact or company the viewer may see, with a "New
    task" button linking the new task to the card — one query (plus the rights, once per
    request). The block reloads itself when a task changes on the page."""
    request = context["request"]
    html = render_to_string(
        "tasks/partials/_card_tasks.html", card_tasks_context(request, card), request=request
    )
    return mark_safe(html)  # rendered by the template engine, escaped there


@register.filter
def checklist_done(task) -> str:
    """``2/5``: ticked items of the task's (prefetched) checklist out of all."""
    items = list(task.checklist.all())
    return f"{sum(1 for item in items if item.done)}/{len(items)}"


def _moment(value) -> str:
    if not value:
        return str(_("no deadline"))
    moment = parse_datetime(value) if isinstance(value, str) else value
    if moment is None:
        return str(value)
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def _status(value) -> str:
    return str(TaskStatus(value).label) if value in TaskStatus.values else str(value or "—")


CHECKLIST_ACTIONS = {
    "added": _("Checklist item added"),
    "done": _("Checklist item done"),
    "undone": _("Checklist item reopened"),
    "removed": _("Checklist item removed"),
}


@register.simple_tag
def entry_summary(entry) -> str:
    """One line telling what a feed entry of a task records (comments have none)."""
    payload = entry.payload or {}
    if entry.kind == TaskEntryKind.CREATED:
        return str(_("Created the task"))
    if entry.kind == TaskEntryKind.STATUS:
        return format_html(
            "{}: {} → {}", _("Status"), _status(payload.get("old")), _status(payload.get("new"))
        )
    if entry.kind == TaskEntryKind.DEADLINE:
        return format_html(
            "{}: {} → {}",
            _("Deadline"),
            _moment(payload.get("old")),
            _moment(payload.get("new")),
        )
    if entry.kind == TaskEntryKind.FIELD_CHANGED:
        name = payload.get("field", "")
        old, new = payload.get("old"), payload.get("new")
        if name == "requires_control":
            old, new = (_("yes") if old else _("no")), (_("yes") if new else _("no"))
        return format_html("{}: {} → {}", payload.get("label") or name, old or "—", new or "—")
    if entry.kind == TaskEntryKind.CHECKLIST:
        return str(CHECKLIST_ACTIONS.get(payload.get("action"), _("Checklist")))
    return ""


@register.simple_tag
def task_timeline_entry(entry) -> str:
    """The body of a card's timeline entry of kind ``task`` (a task created on the card or
    completed), from the entry alone — no query."""
    payload = entry.payload or {}
    if not str(payload.get("task_id", "")).isdigit():
        return entry.text
    deadline = payload.get("deadline")
    html = render_to_string(
        "tasks/partials/_timeline_entry.html",
        {
            "event": payload.get("event"),
            "task_id": payload["task_id"],
            "title": entry.text,
            "deadline": parse_datetime(deadline) if isinstance(deadline, str) else None,
            "result": payload.get("result", ""),
        },
    )
    return mark_safe(html)  # rendered by the template engine, escaped there
