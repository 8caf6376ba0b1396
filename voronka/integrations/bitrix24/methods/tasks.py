"""``tasks.task.*`` and the positional ``task.commentitem.add`` (tier T2)."""

from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext as _

from voronka.integrations.bitrix24.methods.crm import start_param
from voronka.integrations.bitrix24.params import as_list, as_map, is_empty, to_int
from voronka.integrations.bitrix24.registry import OTHER, NotFound, field_names, method
from voronka.integrations.bitrix24.responses import PAGE_SIZE, B24Error, Page
from voronka.integrations.bitrix24.values import classic, parse_when
from voronka.tasks.models import Task, TaskStatus
from voronka.tasks.selectors import visible_tasks
from voronka.tasks.services import (
    resolve_card,
    task_change_deadline,
    task_change_status,
    task_comment,
    task_create,
    task_update,
)

STATUS_CODES = {
    TaskStatus.NEW: "2",
    TaskStatus.IN_PROGRESS: "3",
    TaskStatus.AWAITING_CONTROL: "4",
    TaskStatus.DONE: "5",
    TaskStatus.DEFERRED: "6",
}
STATUS_BY_CODE = {code: status for status, code in STATUS_CODES.items()}
CARD_PREFIXES = {"L": "lead", "D": "deal", "C": "contact", "CO": "company"}
PREFIX_OF = {name: prefix for prefix, name in CARD_PREFIXES.items()}
NAMES = {
    "title": "TITLE",
    "responsible": "RESPONSIBLE_ID",
    "deadline": "DEADLINE",
    "description": "DESCRIPTION",
    "card": "UF_CRM_TASK",
    "text": "POST_MESSAGE",
}


def task_row(task: Task) -> dict:
    card = []
    if task.card_type_id:
        model = ContentType.objects.get_for_id(task.card_type_id).model_class()
        prefix = PREFIX_OF.get(model._meta.model_name) if model else None
        if prefix:
            card = [f"{prefix}_{task.card_id}"]
    return {
        "id": str(task.pk),
        "title": task.title,
        "description": task.description,
        "status": STATUS_CODES.get(task.status, "2"),
        "realStatus": STATUS_CODES.get(task.status, "2"),
        "priority": "1",
        "groupId": "0",
        "createdBy": str(task.created_by_id) if task.created_by_id else None,
        "responsibleId": str(task.responsible_id),
        "createdDate": classic(task.created_at, "datetime"),
        "changedDate": classic(task.updated_at, "datetime"),
        "closedDate": classic(task.completed_at, "datetime") or None,
        "deadline": classic(task.deadline, "datetime") or None,
        "taskControl": "Y" if task.requires_control else "N",
        "accomplices": [str(u.pk) for u in task.co_executors.all()],
        "auditors": [str(u.pk) for u in task.observers.all()],
        "ufCrmTask": card,
    }


def _fields(params) -> dict:
    return {str(k).upper(): v for k, v in as_map(params.get("fields")).items()}


def _card(ctx, value):
    for binding in as_list(value):
        prefix, _, number = str(binding).partition("_")
        name = CARD_PREFIXES.get(prefix.upper())
        if name and to_int(number):
            return resolve_card(actor=ctx.user, card_type=name, card_id=to_int(number))
    return None


def _deadline(value):
    if is_empty(value):
        return None
    try:
        return parse_when(value)
    except ValueError:
        raise B24Error("ERROR_CORE", "DEADLINE is invalid", 400) from None


def _task(ctx, params) -> Task:
    number = to_int(params.get("taskid") or params.get("id") or params.get("0"))
    task = visible_tasks(user=ctx.user).filter(pk=number or 0).first()
    if task is None:
        raise NotFound("Task not found")
    return task


@method("tasks.task.add", scope="task", family=OTHER)
def add(ctx, params):
    fields = _fields(params)
    if is_empty(fields.get("TITLE")):
        raise B24Error("ERROR_CORE", "TITLE: the title is empty", 400)
    with field_names(NAMES):
        task = task_create(
            actor=ctx.user,
            title=str(fields["TITLE"]),
            responsible=to_int(fields.get("RESPONSIBLE_ID")) or ctx.user.pk,
            description=str(fields.get("DESCRIPTION") or ""),
            deadline=_deadline(fields.get("DEADLINE")),
            requires_control=str(fields.get("TASK_CONTROL") or "N").upper() == "Y",
            co_executors=[to_int(v) for v in as_list(fields.get("ACCOMPLICES")) if to_int(v)],
            observers=[to_int(v) for v in as_list(fields.get("AUDITORS")) if to_int(v)],
            card=_card(ctx, fields.get("UF_CRM_TASK")),
        )
    return {"task": task_row(task)}


@method("tasks.task.get", scope="task", family=OTHER)
def get(ctx, params):
    return {"task": task_row(_task(ctx, params))}


@method("tasks.task.list", scope="task", family=OTHER)
def list_(ctx, params):
    tasks = visible_tasks(user=ctx.user).prefetch_related("co_executors", "observers")
    for key, value in as_map(params.get("filter")).items():
        name = str(key).upper()
        operator = name[: len(name) - len(name.lstrip("<>=!"))]
        name = name.lstrip("<>=!")
        values = [to_int(v) or 0 for v in as_list(value)]
        if name == "ID":
            tasks = tasks.filter(pk__in=values)
        elif name == "RESPONSIBLE_ID":
            tasks = tasks.filter(responsible_id__in=values)
        elif name == "CREATED_BY":
            tasks = tasks.filter(created_by_id__in=values)
        elif name in ("REAL_STATUS", "STATUS"):
            statuses = [STATUS_BY_CODE.get(str(v)) for v in as_list(value)]
            tasks = tasks.filter(status__in=[s for s in statuses if s])
        elif name == "UF_CRM_TASK":
            card = _card(ctx, value)
            tasks = tasks.filter(
                card_type=ContentType.objects.get_for_model(card) if card else None,
                card_id=card.pk if card else 0,
            )
        elif name == "DEADLINE" and operator in (">", ">=", "<", "<="):
            lookup = {">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}[operator]
            tasks = tasks.filter(**{f"deadline__{lookup}": _deadline(value)})
    order = []
    for key, direction in as_map(params.get("order") or {"ID": "desc"}).items():
        column = {"ID": "pk", "DEADLINE": "deadline", "CREATED_DATE": "created_at"}.get(
            str(key).upper()
        )
        if column:
            order.append(f"-{column}" if str(direction).upper() == "DESC" else column)
    tasks = tasks.order_by(*(order or ["-pk"]))
    start = start_param(params)
    if start is None:
        return Page({"tasks": [task_row(t) for t in tasks[:PAGE_SIZE]]}, total=0)
    total = tasks.count()
    rows = [task_row(t) for t in tasks[start : start + PAGE_SIZE]]
    following = start + PAGE_SIZE
    return Page({"tasks": rows}, total=total, next=following if following < total else None)


@method("tasks.task.update", scope="task", family=OTHER)
def update(ctx, params):
    task = _task(ctx, params)
    fields = _fields(params)
    data = {}
    for name, key in (("TITLE", "title"), ("DESCRIPTION", "description")):
        if name in fields:
            data[key] = str(fields[name] or "")
    if not is_empty(fields.get("RESPONSIBLE_ID")):
        data["responsible_id"] = to_int(fields["RESPONSIBLE_ID"])
    with field_names(NAMES):
        co_executors = fields.get("ACCOMPLICES")
        observers = fields.get("AUDITORS")
        task = task_update(
            actor=ctx.user,
            task=task,
            data=data,
            co_executors=None
            if co_executors is None
            else [to_int(v) for v in as_list(co_executors)],
            observers=None if observers is None else [to_int(v) for v in as_list(observers)],
        )
        if "DEADLINE" in fields:
            deadline = _deadline(fields["DEADLINE"])
            if deadline != task.deadline:
                task = task_change_deadline(
                    actor=ctx.user,
                    task=task,
                    deadline=deadline,
                    comment=str(fields.get("DEADLINE_COMMENT") or _("Changed through the API")),
                )
    return {"task": task_row(Task.objects.get(pk=task.pk))}


@method("tasks.task.complete", scope="task", family=OTHER)
def complete(ctx, params):
    task = _task(ctx, params)
    task = task_change_status(actor=ctx.user, task=task, action="complete")
    return {"task": task_row(task)}


@method("task.commentitem.add", scope="task", family=OTHER)
def comment_item_add(ctx, params):
    task = _task(ctx, params)
    fields = {str(k).upper(): v for k, v in as_map(params.get("1") or params.get("fields")).items()}
    with field_names(NAMES):
        return task_comment(
            actor=ctx.user, task=task, text=str(fields.get("POST_MESSAGE") or "")
        ).pk
