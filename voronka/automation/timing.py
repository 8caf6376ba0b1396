"""When a robot runs after its card enters the stage.

``timing`` is one of::

    {}  or  {"type": "immediate"}
    {"type": "after", "amount": 2, "unit": "hours"}              # minutes, hours, days
    {"type": "at_field", "field": "closes_on", "offset": -1, "unit": "days", "time": "10:00"}

and any of them may add ``"working_hours": true`` to move the moment into the next working
window (``AUTOMATION_WORK_HOURS`` on ``AUTOMATION_WORK_DAYS``, the installation's time zone).
"""

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from voronka.automation.conf import setting
from voronka.automation.fields import Kind, field_spec, raw_value, to_datetime
from voronka.customization.models import CustomField

UNITS = {"minutes": "minutes", "hours": "hours", "days": "days"}


def duration(amount: int, unit: str) -> str:
    """“1 day”, “2 hours”, “-1 day”: an amount of a unit, for people."""
    count = abs(amount)
    text = {
        "minutes": ngettext("%(n)s minute", "%(n)s minutes", count),
        "hours": ngettext("%(n)s hour", "%(n)s hours", count),
        "days": ngettext("%(n)s day", "%(n)s days", count),
    }[unit]
    return text % {"n": amount}


TYPES = ("immediate", "after", "at_field")


def _parse_time(text: str) -> datetime.time:
    hours, minutes = str(text).split(":")
    return datetime.time(int(hours), int(minutes))


def validate_timing(
    model: type[models.Model], timing: Any, definitions: dict[str, CustomField] | None = None
) -> None:
    if timing in (None, {}):
        return
    if not isinstance(timing, dict):
        raise ValidationError(_("Timing is an object with a “type”."))
    kind = timing.get("type", "immediate")
    problems = []
    if kind not in TYPES:
        problems.append(_("Unknown timing “%(type)s”.") % {"type": kind})
    if kind in ("after", "at_field"):
        if timing.get("unit", "minutes") not in UNITS:
            problems.append(_("Count time in minutes, hours or days."))
        number = timing.get("amount" if kind == "after" else "offset", 0)
        if isinstance(number, bool) or not isinstance(number, int):
            problems.append(_("The delay is a whole number."))
        elif kind == "after" and number < 0:
            problems.append(_("The delay cannot be negative."))
    if kind == "at_field":
        spec = field_spec(model, str(timing.get("field", "")), definitions)
        if spec is None or spec.kind not in (Kind.DATE, Kind.DATETIME):
            problems.append(_("Choose a date field to run at."))
        if "time" in timing:
            try:
                _parse_time(timing["time"])
            except (ValueError, TypeError):
                problems.append(_("Give the time as HH:MM."))
    if problems:
        raise ValidationError(problems)


def due_at(
    card: models.Model,
    timing: Any,
    *,
    now: datetime.datetime,
    definitions: dict[str, CustomField] | None = None,
) -> tuple[datetime.datetime, str]:
    """The moment the run is due and a note on how it was computed."""
    timing = timing or {}
    kind = timing.get("type", "immediate")
    note = _("At once.")
    moment = now
    if kind == "after":
        delta = datetime.timedelta(
            **{UNITS[timing.get("unit", "minutes")]: timing.get("amount", 0)}
        )
        moment = now + delta
        note = _("%(duration)s after entering the stage.") % {
            "duration": duration(timing.get("amount", 0), timing.get("unit", "minutes"))
        }
    elif kind == "at_field":
        spec = field_spec(type(card), str(timing.get("field", "")), definitions)
        value = raw_value(card, spec) if spec is not None else None
        if isinstance(value, list):
            value = value[0] if value else None
        if value is None:
            note = _("“%(field)s” is empty: at once.") % {
                "field": spec.label if spec else timing.get("field")
            }
        else:
            if spec.kind == Kind.DATE or not isinstance(value, datetime.datetime):
                local = datetime.datetime.combine(
                    value if isinstance(value, datetime.date) else value.date(),
                    _parse_time(timing.get("time", "00:00")),
                )
                base = timezone.make_aware(local)
            else:
                base = to_datetime(value)
            offset = datetime.timedelta(
                **{UNITS[timing.get("unit", "days")]: timing.get("offset", 0)}
            )
            moment = max(base + offset, now)
            offset_amount = timing.get("offset", 0)
            note = _("%(duration)s from “%(field)s” (%(value)s).") % {
                "duration": ("+" if offset_amount >= 0 else "")
                + duration(offset_amount, timing.get("unit", "days")),
                "field": spec.label,
                "value": timezone.localtime(base).strftime("%d.%m.%Y %H:%M"),
            }
    if timing.get("working_hours"):
        shifted = next_working_moment(moment)
        if shifted != moment:
            note = f"{note} " + _("Moved to working hours: %(moment)s.") % {
                "moment": timezone.localtime(shifted).strftime("%d.%m.%Y %H:%M")
            }
        moment = shifted
    return moment, note


def next_working_moment(moment: datetime.datetime) -> datetime.datetime:
    """``moment`` itself inside working hours, else the start of the next working window."""
    start_text, end_text = setting("AUTOMATION_WORK_HOURS")
    start, end = _parse_time(start_text), _parse_time(end_text)
    days = {int(day) for day in setting("AUTOMATION_WORK_DAYS")}
    if not days:
        return moment
    local = timezone.localtime(moment)
    for _step in range(8):
        if local.isoweekday() in days:
            if local.time() < start:
                return timezone.make_aware(datetime.datetime.combine(local.date(), start))
            if local.time() < end:
                return moment
        next_day = local.date() + datetime.timedelta(days=1)
        local = timezone.make_aware(datetime.datetime.combine(next_day, datetime.time()))
    return moment
