"""Reading tasks: every query is narrowed with ``visible_to`` and costs a fixed number of
queries whatever the number of tasks (plus the 1–2 queries resolving the user's rights, once
per request).

* ``my_tasks`` — the "My tasks" list with its filters;
* ``task_board`` — open tasks by deadline bucket (overdue, today, this week, later, none);
* ``card_tasks`` — the tasks of a lead, deal, contact or company (for its timeline);
* ``task_card`` / ``task_card_details`` — one task with everything its page shows.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Exists, F, OuterRef, Prefetch, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from voronka.access.predicates import visible_to
from voronka.tasks.models import (
    OPEN_STATUSES,
    ChecklistItem,
    DeadlineChange,
    Task,
    TaskEntry,
    TaskStatus,
)

LIST_LIMIT = 200
BOARD_LIMIT = 500
FEED_LIMIT = 100

# "Whose tasks": the role filter of the list and the board.
ROLES = {
    "responsible": _("I'm responsible"),
    "co_executor": _("I help"),
    "created": _("I created"),
    "observer": _("I observe"),
}
CARD_URLS = {
    "lead": "sales:lead_detail",
    "deal": "sales:deal_detail",
    "contact": "contacts:contact_detail",
    "company": "contacts:company_detail",
}
CARD_KINDS = {
    "lead": _("Lead"),
    "deal": _("Deal"),
    "contact": _("Contact"),
    "company": _("Company"),
}


def _participant(relation: str, user) -> Exists:
    through = getattr(Task, relation).through
    return Exists(through.objects.filter(task_id=OuterRef("pk"), user_id=user.pk))


def _mine(user, role: str = "") -> Q:
    conditions = {
        "responsible": Q(responsible=user.pk),
        "created": Q(created_by=user.pk),
        "co_executor": Q(_participant("co_executors", user)),
        "observer": Q(_participant("observers", user)),
    }
    if role in conditions:
        return conditions[role]
    combined = Q()
    for condition in conditions.values():
        combined |= condition
    return combined


def visible_tasks(*, user) -> models.QuerySet[Task]:
    """The tasks the user may see, people and card type joined."""
    return visible_to(user, Task.objects.all()).select_related(
        "responsible", "created_by", "card_type"
    )


def _ordered(queryset: models.QuerySet[Task]) -> models.QuerySet[Task]:
    return queryset.order_by(F("deadline").asc(nulls_last=True), "pk")


def my_tasks(
    *, user, role: str = "", status: str = "", overdue: bool = False, limit: int = LIST_LIMIT
) -> list[Task]:
    """The user's tasks (responsible, co-executor, observer or creator — ``role`` picks one),
    nearest deadline first, in one query. ``status`` is a ``TaskStatus`` value, ``"all"``, or
    empty for the open ones; ``overdue`` keeps open tasks past their deadline."""
    tasks = visible_tasks(user=user).filter(_mine(user, role))
    if status == "all":
        pass
    elif status in TaskStatus.values:
        tasks = tasks.filter(status=status)
    else:
        tasks = tasks.filter(status__in=OPEN_STATUSES)
    if overdue:
        tasks = tasks.filter(status__in=OPEN_STATUSES, deadline__lt=timezone.now())
    return list(_ordered(tasks)[:limit])


# --- the board by deadline -------------------------------------------------------------------
@dataclass
class Bucket:
    code: str
    title: str | Promise
    tasks: list[Task] = field(default_factory=list)
    droppable: bool = True


BUCKETS = (
    ("overdue", _("Overdue")),
    ("today", _("Today")),
    ("week", _("This week")),
    ("later", _("Later")),
    ("none", _("No deadline")),
)
# The hour a deadline set by dropping a task in a column falls on (local time).
END_OF_DAY = datetime.time(19, 0)


def bucket_bounds(now: datetime.datetime | None = None):
    """(now, start of tomorrow, start of next week) in the current (Moscow) time zone."""
    now = timezone.localtime(now or timezone.now())
    tomorrow = (now + datetime.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    next_week = tomorrow + datetime.timedelta(days=(7 - now.weekday() - 1))
    return now, tomorrow, next_week


def bucket_of(deadline: datetime.datetime | None, now: datetime.datetime | None = None) -> str:
    if deadline is None:
        return "none"
    now, tomorrow, next_week = bucket_bounds(now)
    if deadline < now:
        return "overdue"
    if deadline < tomorrow:
        return "today"
    if deadline < next_week:
        return "week"
    return "later"


def bucket_deadline(code: str, now: datetime.datetime | None = None) -> datetime.datetime | None:
    """The deadline a task dropped into bucket ``code`` gets: today at the end of the working
    day (or at the last minute when that has passed), the last day of this week, the last day of
    next week; None for "no deadline". ValueError for "overdue" and unknown codes."""
    now, tomorrow, next_week = bucket_bounds(now)
    zone = timezone.get_current_timezone()

    def end_of(day: datetime.date) -> datetime.datetime:
        return datetime.datetime.combine(day, END_OF_DAY, tzinfo=zone)

    if code == "today":
        moment = end_of(now.date())
        return moment if moment > now else tomorrow - datetime.timedelta(minutes=1)
    if code == "week":
        moment = end_of((next_week - datetime.timedelta(days=1)).date())
        return moment if moment > now else tomorrow - datetime.timedelta(minutes=1)
    if code == "later":
        return end_of((next_week + datetime.timedelta(days=6)).date())
    if code == "none":
        return None
    raise ValueError(code)


def task_board(*, user, role: str = "", limit: int = BOARD_LIMIT) -> list[Bucket]:
    """The user's open tasks in deadline columns, from one query."""
    buckets = {code: Bucket(code, title) for code, title in BUCKETS}
    buckets["overdue"].droppable = False
    tasks = visible_tasks(user=user).filter(_mine(user, role), status__in=OPEN_STATUSES)
    now = timezone.now()
    for task in _ordered(tasks)[:limit]:
        buckets[bucket_of(task.deadline, now)].tasks.append(task)
    return list(buckets.values())


# --- a card's tasks ------------------------------------------------------------------------------
def card_tasks(*, user, card: models.Model, include_done: bool = False) -> list[Task]:
    """The tasks of a lead, deal, contact or company the user may see, open ones first by
    deadline, in one query (for the card's timeline)."""
    tasks = visible_tasks(user=user).filter(
        card_type=ContentType.objects.get_for_model(card), card_id=card.pk
    )
    if not include_done:
        tasks = tasks.filter(status__in=OPEN_STATUSES)
    return list(_ordered(tasks)[:LIST_LIMIT])


@dataclass
class CardLink:
    kind: str
    label: str
    url: str | None


def card_links(*, user, tasks: list[Task]) -> dict[int, CardLink]:
    """For each task linked to a card: the card's kind, name and URL — one query per kind of
    card present (at most four), each narrowed to the cards the user sees. A card the user may
    not see keeps its kind and number, without a link."""
    wanted: dict[int, set[int]] = defaultdict(set)
    for task in tasks:
        if task.card_type_id is not None and task.card_id is not None:
            wanted[task.card_type_id].add(task.card_id)
    found: dict[tuple[int, int], models.Model] = {}
    names: dict[int, str] = {}
    for type_id, ids in wanted.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is None or model._meta.model_name not in CARD_URLS:
            continue
        names[type_id] = model._meta.model_name
        for card in visible_to(user, model._default_manager.filter(pk__in=sorted(ids))):
            found[type_id, card.pk] = card
    links: dict[int, CardLink] = {}
    for task in tasks:
        name = names.get(task.card_type_id or 0)
        if name is None or task.card_type_id is None or task.card_id is None:
            continue
        card = found.get((task.card_type_id, task.card_id))
        kind = str(CARD_KINDS[name])
        if card is None:
            links[task.pk] = CardLink(kind, _("No. %(number)s") % {"number": task.card_id}, None)
            continue
        try:
            url = reverse(CARD_URLS[name], args=[card.pk])
        except NoReverseMatch:
            url = None
        links[task.pk] = CardLink(kind, str(card), url)
    return links


# --- one task ------------------------------------------------------------------------------
def task_card(*, user, pk: int) -> Task | None:
    """The task with its people and checklist (prefetched), or None when the user may not see
    it — the caller answers 404 exactly as for a missing one."""
    return (
        visible_tasks(user=user)
        .prefetch_related(
            "co_executors",
            "observers",
            Prefetch("checklist", queryset=ChecklistItem.objects.order_by("sort", "pk")),
        )
        .filter(pk=pk)
        .first()
    )


@dataclass
class TaskDetails:
    entries: list[TaskEntry]
    deadline_changes: list[DeadlineChange]
    card: CardLink | None


def task_card_details(*, user, task: Task) -> TaskDetails:
    """The feed (comments and changes, newest first), the deadline history and the linked card."""
    entries = list(
        TaskEntry.objects.filter(task=task)
        .select_related("author")
        .order_by("-created_at", "-pk")[:FEED_LIMIT]
    )
    changes = list(
        DeadlineChange.objects.filter(task=task)
        .select_related("changed_by")
        .order_by("-changed_at", "-pk")
    )
    return TaskDetails(
        entries=entries,
        deadline_changes=changes,
        card=card_links(user=user, tasks=[task]).get(task.pk),
    )
