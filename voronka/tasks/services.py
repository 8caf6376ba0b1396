"""Writes to tasks: the only code that creates, changes and deletes them.

Every function takes the acting user first (``actor``; ``None`` is the system — robots, data
migrations — and is not checked), runs in one transaction, checks rights with
``require(actor, Action.X, task)`` on the ``task`` entity plus the task's own rules below, writes
the task's feed in the same transaction and publishes events from ``voronka.tasks.events`` once
it commits.

Who may do what on a task the actor may update:

* the **creator** and a **supervisor** (an administrator, or a role opening other people's
  tasks for update — a head of department) edit everything, move the deadline freely, accept or
  return a result awaiting control, delete (with the delete right) — a supervisor who is the
  responsible or a co-executor of the task is treated as one for the deadline and the control;
* the **responsible** edits the task, moves it through the statuses and moves its deadline —
  only with a comment while ``TASKS_DEADLINE_CHANGE_NEEDS_COMMENT`` holds;
* **co-executors** move it through the statuses and tick the checklist;
* **observers** read and comment.

Errors: ``ValidationError`` with ``{field: [messages]}``; ``ConflictError`` when
``expected_version`` is stale; ``PermissionDenied`` when the actor may not.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.access.models import Action, Entity, Scope
from voronka.access.predicates import can, require, scope_for, visible_to
from voronka.core.changes import apply_changes
from voronka.core.concurrency import lock_card, save_new_version
from voronka.core.events import publish
from voronka.tasks import events
from voronka.tasks.conf import setting
from voronka.tasks.models import (
    ChecklistItem,
    DeadlineChange,
    Task,
    TaskEntry,
    TaskEntryKind,
    TaskStatus,
)
from voronka.timeline.models import EntryKind, TimelineEntry

# CRM cards a task may be linked to, by the name used in URLs and events.
CARD_MODELS = {
    "lead": "sales.Lead",
    "deal": "sales.Deal",
    "contact": "contacts.Contact",
    "company": "contacts.Company",
}
# Fields ``task_update`` changes; status, deadline and the checklist have their own services.
UPDATABLE_FIELDS = frozenset(
    {"title", "description", "responsible", "responsible_id", "requires_control"}
)


# --- roles on a task --------------------------------------------------------------------------
def is_supervisor(actor, task: Task) -> bool:
    """The system, an administrator, or someone whose role opens other people's tasks for
    update and who may update this one (a head of the responsible's department)."""
    if actor is None:
        return True
    if actor.is_superuser and actor.is_active:
        return True
    return scope_for(actor, Entity.TASK, Action.UPDATE) > Scope.OWN and can(
        actor, Action.UPDATE, task
    )


def _member_ids(task: Task, relation: str) -> set[int]:
    prefetched = getattr(task, "_prefetched_objects_cache", {})
    if relation in prefetched:
        return {user.pk for user in prefetched[relation]}
    return set(getattr(task, relation).values_list("pk", flat=True))


def is_creator(actor, task: Task) -> bool:
    return actor is not None and task.created_by_id == actor.pk


def is_responsible(actor, task: Task) -> bool:
    return actor is not None and task.responsible_id == actor.pk


def is_executor(actor, task: Task) -> bool:
    """The responsible or a co-executor."""
    return is_responsible(actor, task) or (
        actor is not None and actor.pk in _member_ids(task, "co_executors")
    )


def may_edit(actor, task: Task) -> bool:
    return is_creator(actor, task) or is_responsible(actor, task) or is_supervisor(actor, task)


def may_work(actor, task: Task) -> bool:
    """May start, complete, defer and resume the task."""
    return is_executor(actor, task) or is_creator(actor, task) or is_supervisor(actor, task)


def may_control(actor, task: Task) -> bool:
    """May accept or return a result awaiting control: the creator, or a supervisor who is
    not the one who did the work."""
    return is_creator(actor, task) or (is_supervisor(actor, task) and not is_executor(actor, task))


def _check(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


# --- helpers ---------------------------------------------------------------------------------
def card_type_name(task: Task) -> str | None:
    if task.card_type_id is None:
        return None
    model = ContentType.objects.get_for_id(task.card_type_id).model_class()
    return model._meta.model_name if model is not None else None


def resolve_card(*, actor, card_type: str, card_id: int) -> models.Model:
    """The live CRM card ``card_type``/``card_id`` the actor may see, or ValidationError."""
    from django.apps import apps

    label = CARD_MODELS.get(card_type)
    if label is None:
        raise ValidationError({"card": _("Choose a lead, deal, contact or company.")})
    queryset = apps.get_model(label)._default_manager.filter(pk=card_id)
    if actor is not None:
        queryset = visible_to(actor, queryset)
    card = queryset.first()
    if card is None:
        raise ValidationError({"card": _("There is no such card.")})
    return card


def _entry(
    *, actor, task: Task, kind: str, text: str = "", payload: dict[str, Any] | None = None
) -> TaskEntry:
    return TaskEntry.objects.create(
        task=task, kind=kind, author=actor, text=text, payload=payload or {}
    )


def _iso(moment: datetime.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _card_feed(*, actor, task: Task, event: str) -> None:
    """A line on the linked card's timeline, so the card tells its story with its tasks."""
    if task.card_type_id is None or task.card_id is None:
        return

    TimelineEntry.objects.create(
        card_type_id=task.card_type_id,
        card_id=task.card_id,
        kind=EntryKind.TASK,
        author=actor,
        text=task.title,
        payload={
            "task_id": task.pk,
            "event": event,
            "status": task.status,
            "responsible_id": task.responsible_id,
            "deadline": _iso(task.deadline),
            "result": task.result if event == "completed" else "",
        },
    )


def _users(ids: Iterable[Any], field: str) -> list:
    """Active employees by id (or the users themselves), ValidationError for unknown ones."""
    wanted = {getattr(item, "pk", item) for item in ids or ()}
    wanted.discard(None)
    wanted.discard("")
    try:
        wanted = {int(pk) for pk in wanted}
    except (TypeError, ValueError):
        raise ValidationError({field: _("Choose employees from the list.")}) from None
    found = list(get_user_model().objects.filter(pk__in=wanted, is_active=True))
    if len(found) != len(wanted):
        raise ValidationError({field: _("Choose active employees from the list.")})
    return found


def _clean_checklist(items: Iterable[str] | None) -> list[str]:
    cleaned = [str(text).strip() for text in items or ()]
    return [text[:500] for text in cleaned if text]


def _full_clean(task: Task) -> None:
    task.title = (task.title or "").strip()
    errors: dict[str, list[str]] = {}
    if not task.title:
        errors["title"] = [_("Write what is to be done.")]
    try:
        # The run id is unique in the database; a race on it is settled in task_create.
        task.full_clean(exclude=["card_type", "title", "co_executors", "observers", "robot_run_id"])
    except ValidationError as error:
        for key, messages in error.message_dict.items():
            errors.setdefault(key, []).extend(messages)
    if task.responsible_id is not None and not task.responsible.is_active:
        errors.setdefault("responsible", []).append(
            _("The responsible must be an active employee.")
        )
    if errors:
        raise ValidationError(errors)


# --- creating ----------------------------------------------------------------------------------
def task_create(
    *,
    actor,
    title: str,
    responsible,
    description: str = "",
    deadline: datetime.datetime | None = None,
    requires_control: bool = False,
    co_executors: Iterable[Any] = (),
    observers: Iterable[Any] = (),
    checklist: Iterable[str] = (),
    card: models.Model | None = None,
    robot_run_id: str | int | None = None,
) -> Task:
    """Create a task and publish ``TaskCreated``.

    ``responsible``, ``co_executors`` and ``observers`` are users (or their ids); ``checklist``
    is the items' texts in order; ``card`` is a lead, deal, contact or company the task belongs
    to (the actor must see it). ``robot_run_id`` keys a task created by an automation run: a
    second call with the same id returns the task created the first time and changes nothing,
    so a retried run never creates it twice.
    """
    run_id = str(robot_run_id) if robot_run_id not in (None, "") else None
    if run_id is not None:
        existing = task_of_run(run_id)
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            return _task_create(
                actor=actor,
                title=title,
                responsible=responsible,
                description=description,
                deadline=deadline,
                requires_control=requires_control,
                co_executors=co_executors,
                observers=observers,
                checklist=checklist,
                card=card,
                robot_run_id=run_id,
            )
    except IntegrityError:
        # Another worker created the task of this run a moment ago.
        if run_id is not None:
            existing = Task.objects.filter(robot_run_id=run_id).first()
            if existing is not None:
                return existing
        raise


def task_of_run(run_id: str | int) -> Task | None:
    """The task an automation run created, if it did (for the engine's own checks)."""
    return Task.objects.filter(robot_run_id=str(run_id)).first()


def _task_create(*, actor, responsible, co_executors, observers, checklist, card, **data) -> Task:
    if responsible is not None and not hasattr(responsible, "pk"):
        responsible = get_user_model().objects.filter(pk=responsible).first()
    if responsible is None:
        raise ValidationError({"responsible": _("Choose the responsible.")})
    task = Task(
        created_by=actor,
        responsible=responsible,
        title=data["title"],
        description=data["description"] or "",
        deadline=data["deadline"],
        requires_control=bool(data["requires_control"]),
        robot_run_id=data["robot_run_id"],
    )
    if card is not None:
        if card._meta.model_name not in CARD_MODELS:
            raise ValidationError({"card": _("Choose a lead, deal, contact or company.")})
        task.card_type = ContentType.objects.get_for_model(card)
        task.card_id = card.pk
    _full_clean(task)
    co_executor_users = _users(co_executors, "co_executors")
    observer_users = _users(observers, "observers")
    require(actor, Action.ADD, task)
    task.save()
    if co_executor_users:
        task.co_executors.set(co_executor_users)
    if observer_users:
        task.observers.set(observer_users)
    items = _clean_checklist(checklist)
    if items:
        ChecklistItem.objects.bulk_create(
            ChecklistItem(task=task, text=text, sort=index) for index, text in enumerate(items)
        )
    _entry(
        actor=actor,
        task=task,
        kind=TaskEntryKind.CREATED,
        payload={"deadline": _iso(task.deadline), "responsible_id": task.responsible_id},
    )
    _card_feed(actor=actor, task=task, event="created")
    publish(
        events.TaskCreated(
            actor_id=actor.pk if actor else None,
            task_id=task.pk,
            responsible_id=task.responsible_id,
            created_by_id=task.created_by_id,
            card_type=card._meta.model_name if card is not None else None,
            card_id=task.card_id,
            robot_run_id=task.robot_run_id,
        )
    )
    return task


# --- editing ------------------------------------------------------------------------------
def _locked(task: Task, expected_version: int | None) -> Task:
    return lock_card(Task.objects.select_related("responsible"), task.pk, expected_version)


@transaction.atomic
def task_update(
    *,
    actor,
    task: Task,
    data: dict[str, Any],
    co_executors: Iterable[Any] | None = None,
    observers: Iterable[Any] | None = None,
    expected_version: int | None = None,
) -> Task:
    """Change the title, description, responsible or ``requires_control`` (keys of ``data``),
    and replace the co-executors or observers when given. Each change is a line of the feed;
    an edit that changes nothing writes nothing. Publishes ``TaskUpdated``."""
    unknown = set(data) - UPDATABLE_FIELDS
    if unknown:
        raise ValidationError(
            {NON_FIELD_ERRORS: [_("These fields cannot be changed here: %s") % sorted(unknown)]}
        )
    task = _locked(task, expected_version)
    require(actor, Action.UPDATE, task)
    _check(may_edit(actor, task))
    data = dict(data)
    responsible = data.pop("responsible", data.pop("responsible_id", None))
    if responsible is not None:
        data["responsible"] = (
            responsible
            if hasattr(responsible, "pk")
            else get_user_model().objects.filter(pk=responsible).first()
        )
        if data["responsible"] is None:
            raise ValidationError({"responsible": _("Choose the responsible.")})
    if "title" in data:
        data["title"] = (data["title"] or "").strip()
    changes = apply_changes(task, data)
    _full_clean(task)
    changed_fields = [change.field for change in changes]
    if changes:
        save_new_version(task, changed_fields)
        TaskEntry.objects.bulk_create(
            TaskEntry(
                task=task,
                kind=TaskEntryKind.FIELD_CHANGED,
                author=actor,
                created_at=timezone.now(),
                payload=asdict(change),
            )
            for change in changes
        )
    for relation, given, label in (
        ("co_executors", co_executors, _("Co-executors")),
        ("observers", observers, _("Observers")),
    ):
        if given is None:
            continue
        users = _users(given, relation)
        before = {user.pk: str(user) for user in getattr(task, relation).all()}
        after = {user.pk: str(user) for user in users}
        if set(before) != set(after):
            getattr(task, relation).set(users)
            changed_fields.append(relation)
            _entry(
                actor=actor,
                task=task,
                kind=TaskEntryKind.FIELD_CHANGED,
                payload={
                    "field": relation,
                    "label": str(label),
                    "old": ", ".join(sorted(before.values())) or None,
                    "new": ", ".join(sorted(after.values())) or None,
                },
            )
    if changed_fields and not changes:
        save_new_version(task, [])  # only the people changed: still a new version
    if changed_fields:
        publish(
            events.TaskUpdated(
                actor_id=actor.pk if actor else None,
                task_id=task.pk,
                fields=tuple(changed_fields),
            )
        )
    return task


# --- statuses -----------------------------------------------------------------------------
# action → (statuses it starts from, who may)
TRANSITIONS: dict[str, tuple[tuple[str, ...], Any]] = {
    "start": ((TaskStatus.NEW, TaskStatus.DEFERRED), may_work),
    "complete": ((TaskStatus.NEW, TaskStatus.IN_PROGRESS), may_work),
    "defer": ((TaskStatus.NEW, TaskStatus.IN_PROGRESS), may_work),
    "resume": ((TaskStatus.DEFERRED, TaskStatus.DONE), may_work),
    "accept": ((TaskStatus.AWAITING_CONTROL,), may_control),
    "return": ((TaskStatus.AWAITING_CONTROL,), may_control),
}


def available_actions(actor, task: Task) -> list[str]:
    """The status actions the actor may take on the task now (for the buttons of its card)."""
    return [
        action
        for action, (sources, allowed) in TRANSITIONS.items()
        if task.status in sources and allowed(actor, task)
    ]


@transaction.atomic
def task_change_status(
    *,
    actor,
    task: Task,
    action: str,
    result: str = "",
    comment: str = "",
    expected_version: int | None = None,
) -> Task:
    """Move a task through its statuses:

    * ``start`` — new or deferred → in progress;
    * ``complete`` — new or in progress → done, with ``result``; when the task requires control
      and the actor is not its creator → awaiting control instead;
    * ``defer`` — new or in progress → deferred; ``resume`` — deferred or done → in progress;
    * ``accept`` — awaiting control → done (creator or supervisor);
    * ``return`` — awaiting control → in progress, with an optional ``comment`` saying why.

    Publishes ``TaskStatusChanged``, and ``TaskCompleted`` when the task becomes done.
    """
    if action not in TRANSITIONS:
        raise ValidationError({"action": _("Unknown action.")})
    task = _locked(task, expected_version)
    require(actor, Action.UPDATE, task)
    sources, allowed = TRANSITIONS[action]
    _check(allowed(actor, task))
    if task.status not in sources:
        raise ValidationError(
            {
                "status": _("A task that is “%(status)s” cannot be changed this way.")
                % {"status": task.get_status_display()}
            }
        )
    now = timezone.now()
    old_status = task.status
    fields = ["status"]
    if action in ("start", "resume", "return"):
        task.status = TaskStatus.IN_PROGRESS
        if task.started_at is None:
            task.started_at = now
            fields.append("started_at")
        if task.completed_at is not None:
            task.completed_at = None
            fields.append("completed_at")
    elif action == "complete":
        control = task.requires_control and task.created_by_id and not is_creator(actor, task)
        task.status = TaskStatus.AWAITING_CONTROL if control else TaskStatus.DONE
        task.result = (result or "").strip()
        task.completed_at = now
        fields += ["result", "completed_at"]
    elif action == "defer":
        task.status = TaskStatus.DEFERRED
    elif action == "accept":
        task.status = TaskStatus.DONE
        if task.completed_at is None:
            task.completed_at = now
            fields.append("completed_at")
    save_new_version(task, fields)
    text = (result if action == "complete" else comment or "").strip()
    _entry(
        actor=actor,
        task=task,
        kind=TaskEntryKind.STATUS,
        text=text,
        payload={"action": action, "old": old_status, "new": task.status},
    )
    actor_id = actor.pk if actor else None
    publish(
        events.TaskStatusChanged(
            actor_id=actor_id, task_id=task.pk, from_status=old_status, to_status=task.status
        )
    )
    if task.status == TaskStatus.DONE:
        _card_feed(actor=actor, task=task, event="completed")
        publish(
            events.TaskCompleted(
                actor_id=actor_id,
                task_id=task.pk,
                responsible_id=task.responsible_id,
                card_type=card_type_name(task),
                card_id=task.card_id,
                robot_run_id=task.robot_run_id,
            )
        )
    return task


def deadline_needs_comment(actor, task: Task) -> bool:
    """Whether moving this task's deadline asks the actor for a comment, while
    ``TASKS_DEADLINE_CHANGE_NEEDS_COMMENT`` holds: the responsible and co-executors do (a head
    of department too, when the task is theirs to do), unless they created the task; a
    supervisor moving someone else's deadline does not."""
    if not setting("TASKS_DEADLINE_CHANGE_NEEDS_COMMENT") or is_creator(actor, task):
        return False
    return is_executor(actor, task) or not is_supervisor(actor, task)


def may_move_deadline(actor, task: Task) -> bool:
    return is_creator(actor, task) or is_executor(actor, task) or is_supervisor(actor, task)


@transaction.atomic
def task_change_deadline(
    *,
    actor,
    task: Task,
    deadline: datetime.datetime | None,
    comment: str = "",
    expected_version: int | None = None,
) -> Task:
    """Move the deadline (None removes it). The creator and supervisors always may; the
    responsible and co-executors must say why in ``comment`` while the setting
    ``TASKS_DEADLINE_CHANGE_NEEDS_COMMENT`` holds. Every move is a ``DeadlineChange`` row and a
    line of the feed. Publishes ``TaskDeadlineChanged``."""
    task = _locked(task, expected_version)
    require(actor, Action.UPDATE, task)
    _check(may_move_deadline(actor, task))
    comment = (comment or "").strip()
    if task.deadline == deadline:
        return task
    if deadline_needs_comment(actor, task) and not comment:
        raise ValidationError({"comment": _("Say why the deadline moves.")})
    old = task.deadline
    task.deadline = deadline
    save_new_version(task, ["deadline"])
    DeadlineChange.objects.create(
        task=task, old_deadline=old, new_deadline=deadline, changed_by=actor, comment=comment
    )
    _entry(
        actor=actor,
        task=task,
        kind=TaskEntryKind.DEADLINE,
        text=comment,
        payload={"old": _iso(old), "new": _iso(deadline)},
    )
    publish(
        events.TaskDeadlineChanged(
            actor_id=actor.pk if actor else None,
            task_id=task.pk,
            old_deadline=old,
            new_deadline=deadline,
        )
    )
    return task


# --- checklist, comments, deleting ---------------------------------------------------------
@transaction.atomic
def checklist_add(*, actor, task: Task, text: str) -> ChecklistItem:
    """Append an item to the task's checklist."""
    require(actor, Action.UPDATE, task)
    _check(may_edit(actor, task) or is_executor(actor, task))
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write the checklist item.")})
    if len(text) > 500:
        raise ValidationError({"text": _("Keep the item under 500 characters.")})
    last = task.checklist.aggregate(last=Max("sort"))["last"]
    item = ChecklistItem.objects.create(task=task, text=text, sort=(last or 0) + 1)
    _entry(
        actor=actor,
        task=task,
        kind=TaskEntryKind.CHECKLIST,
        text=text,
        payload={"action": "added", "item_id": item.pk},
    )
    return item


@transaction.atomic
def checklist_toggle(*, actor, task: Task, item: ChecklistItem, done: bool | None = None):
    """Tick or untick an item (``done=None`` flips it)."""
    require(actor, Action.UPDATE, task)
    _check(may_work(actor, task))
    item = ChecklistItem.objects.select_for_update().get(pk=item.pk, task=task)
    new = (not item.done) if done is None else bool(done)
    if new != item.done:
        item.done = new
        item.save(update_fields=["done"])
        _entry(
            actor=actor,
            task=task,
            kind=TaskEntryKind.CHECKLIST,
            text=item.text,
            payload={"action": "done" if new else "undone", "item_id": item.pk},
        )
    return item


@transaction.atomic
def checklist_remove(*, actor, task: Task, item: ChecklistItem) -> None:
    require(actor, Action.UPDATE, task)
    _check(may_edit(actor, task))
    deleted, _rows = ChecklistItem.objects.filter(pk=item.pk, task=task).delete()
    if deleted:
        _entry(
            actor=actor,
            task=task,
            kind=TaskEntryKind.CHECKLIST,
            text=item.text,
            payload={"action": "removed", "item_id": item.pk},
        )


@transaction.atomic
def task_comment(*, actor, task: Task, text: str) -> TaskEntry:
    """A comment on the task's feed; anyone who may update it (observers too) may comment.
    Publishes ``TaskCommented``."""
    require(actor, Action.UPDATE, task)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write the comment text.")})
    entry = _entry(actor=actor, task=task, kind=TaskEntryKind.COMMENT, text=text)
    publish(
        events.TaskCommented(
            actor_id=actor.pk if actor else None, task_id=task.pk, entry_id=entry.pk
        )
    )
    return entry


@transaction.atomic
def task_delete(*, actor, task: Task) -> None:
    """Delete a task with its checklist and feed (the creator or a supervisor, with the delete
    right). Publishes ``TaskDeleted``."""
    task = _locked(task, None)
    require(actor, Action.DELETE, task)
    _check(is_creator(actor, task) or is_supervisor(actor, task))
    card_type, card_id, pk = card_type_name(task), task.card_id, task.pk
    task.delete()
    publish(
        events.TaskDeleted(
            actor_id=actor.pk if actor else None, task_id=pk, card_type=card_type, card_id=card_id
        )
    )
