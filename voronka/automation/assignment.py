"""Choosing the responsible for a card: round-robin, least loaded, or the least loaded of a
department. Inactive and absent employees are passed over, and so are those outside their
working day or hours right now (in the installation's time zone) unless everybody is or the
robot says ``any_time``; the choice is explained."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db.models import Count
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _

from voronka.automation.actions.base import action_now
from voronka.automation.conf import setting
from voronka.automation.models import Robot
from voronka.sales.models import Deal, Lead, StageKind
from voronka.staff.models import Absence, Department
from voronka.timeline.models import Activity

ROUND_ROBIN = "round_robin"
LEAST_LOADED = "least_loaded"
DEPARTMENT = "department"


@dataclass
class Choice:
    user: Any | None
    why: str
    candidates: list[dict[str, Any]] = field(default_factory=list)


def _department_ids(department_id: int) -> list[int]:
    """The department and every department under it."""
    ids, frontier = [department_id], [department_id]
    while frontier:
        frontier = list(
            Department.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)
        )
        ids += frontier
    return ids


def _candidates(params: dict[str, Any], card) -> list:
    User = get_user_model()
    if params.get("users"):
        by_id = User.objects.in_bulk(params["users"])
        return [by_id[pk] for pk in params["users"] if pk in by_id]
    department_id = params.get("department")
    if department_id is None:
        department_id = getattr(card.responsible, "department_id", None)
    if department_id is None:
        return []
    return list(
        User.objects.filter(department_id__in=_department_ids(department_id)).order_by(
            "last_name", "first_name", "pk"
        )
    )


def _absent_today(users: list, today: datetime.date) -> dict[int, Absence]:
    absences = Absence.objects.filter(
        user__in=users, starts_on__lte=today, ends_on__gte=today
    ).order_by("starts_on")
    return {absence.user_id: absence for absence in absences}


def loads(users: list) -> dict[int, Decimal]:
    """Open leads and deals plus weighted open activities of each employee."""
    weight = Decimal(str(setting("AUTOMATION_ACTIVITY_WEIGHT")))
    result = {user.pk: Decimal(0) for user in users}
    for model in (Lead, Deal):
        rows = (
            model.objects.filter(responsible__in=users, stage__kind=StageKind.OPEN)
            .values("responsible")
            .annotate(n=Count("pk"))
        )
        for row in rows:
            result[row["responsible"]] += row["n"]
    rows = (
        Activity.objects.filter(responsible__in=users, completed_at__isnull=True)
        .values("responsible")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        result[row["responsible"]] += weight * row["n"]
    if apps.is_installed("voronka.tasks"):
        from voronka.tasks.models import OPEN_STATUSES, Task

        rows = (
            Task.objects.filter(responsible__in=users, status__in=OPEN_STATUSES)
            .values("responsible")
            .annotate(n=Count("pk"))
        )
        for row in rows:
            result[row["responsible"]] += weight * row["n"]
    return result


def outside_working_hours(user, moment: datetime.datetime) -> str | None:
    """Why ``user`` is not at work at ``moment`` (their working days and hours, the
    installation's time zone), or None when they are."""
    local = timezone.localtime(moment)
    hours = f"{user.work_day_start:%H:%M}–{user.work_day_end:%H:%M}"
    if local.isoweekday() not in {int(day) for day in user.work_days or []}:
        return _("a day off: works %(days)s, %(hours)s") % {
            "days": ", ".join(str(WEEKDAYS_ABBR[int(day) - 1]) for day in sorted(user.work_days)),
            "hours": hours,
        }
    if not (user.work_day_start <= local.time() < user.work_day_end):
        return _("outside working hours %(hours)s") % {"hours": hours}
    return None


def choose_responsible(robot: Robot, card, params: dict[str, Any]) -> Choice:
    strategy = params.get("strategy", ROUND_ROBIN)
    candidates = _candidates(params, card)
    today = timezone.localdate()
    absent = _absent_today(candidates, today) if candidates else {}
    available, report = [], []
    for user in candidates:
        entry: dict[str, Any] = {"id": user.pk, "name": str(user)}
        if not user.is_active:
            entry["skipped"] = _("inactive")
        elif user.pk in absent:
            absence = absent[user.pk]
            entry["skipped"] = _("absent today: %(kind)s until %(until)s") % {
                "kind": absence.get_kind_display().lower(),
                "until": absence.ends_on.strftime("%d.%m.%Y"),
            }
        else:
            available.append(user)
        report.append(entry)
    if not available:
        return Choice(None, _("Nobody to assign: every candidate is inactive or absent."), report)
    everybody_off = False
    if not params.get("any_time"):
        now = action_now()
        off = {user.pk: why for user in available if (why := outside_working_hours(user, now))}
        at_work = [user for user in available if user.pk not in off]
        everybody_off = bool(off) and not at_work
        for entry in report:
            if entry["id"] in off:
                entry["skipped" if at_work else "off_hours"] = off[entry["id"]]
        if at_work:
            available = at_work
    if strategy == ROUND_ROBIN:
        # NO KEY UPDATE: enough to change the robot's state, and it does not block the stage
        # moves that create runs of this robot (their foreign-key checks).
        locked = Robot.objects.select_for_update(no_key=True).get(pk=robot.pk)
        order = [user.pk for user in candidates]
        last = locked.state.get("last_user_id")
        start = order.index(last) + 1 if last in order else 0
        ring = order[start:] + order[:start]
        user = next(candidate for pk in ring for candidate in available if candidate.pk == pk)
        locked.state = {**locked.state, "last_user_id": user.pk}
        locked.save(update_fields=["state"])
        why = _("%(name)s is next in turn.") % {"name": user}
    else:
        weights = loads(available)
        for entry in report:
            if entry["id"] in weights:
                entry["load"] = str(weights[entry["id"]].normalize())
        user = min(available, key=lambda candidate: (weights[candidate.pk], candidate.pk))
        why = _("%(name)s has the least work: %(load)s (open cards and weighted activities).") % {
            "name": user,
            "load": weights[user.pk].normalize(),
        }
    skipped = [f"{entry['name']} ({entry['skipped']})" for entry in report if "skipped" in entry]
    if skipped:
        why = f"{why} " + _("Passed over: %(names)s.") % {"names": ", ".join(skipped)}
    if everybody_off:
        why = f"{why} " + _("Nobody is at work now; assigned all the same.")
    return Choice(user, why, report)
