"""The task pages: "My tasks" as a list and as a board by deadline, the task card with its
status buttons, checklist and feed, and the dialogs (create, edit, deadline, complete, return).

Every URL with a task id answers 404 for a task the user may not see; writes the user may not
make answer 403 (``PermissionDenied`` from the services). Actions on the task card answer with
the card's body (``#task``) again, so the page always shows what is saved.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget, trigger_client_event

from voronka.access.models import Action
from voronka.access.predicates import can
from voronka.core.exceptions import ConflictError
from voronka.core.sections import add_service_errors, parse_version
from voronka.tasks import selectors, services
from voronka.tasks.forms import (
    ChecklistItemForm,
    CommentForm,
    DeadlineForm,
    ResultForm,
    ReturnForm,
    TaskFilterForm,
    TaskForm,
    parse_card_reference,
)
from voronka.tasks.models import Task

TASK_ID = "task"
CHANGED_EVENT = "tasks:changed"  # lists and boards on the page reload themselves


def _toast(response: HttpResponse, message: str, level: str = "success") -> HttpResponse:
    trigger_client_event(response, "voronka:toast", {"message": message, "level": level})
    return response


def _conflict(error: ConflictError) -> HttpResponse:
    return _toast(HttpResponse(str(error.message), status=409), str(error.message), "error")


def load_task(request, pk: int) -> Task:
    task = selectors.task_card(user=request.user, pk=pk)
    if task is None:
        raise Http404
    return task


# --- "My tasks": list and board ------------------------------------------------------------
def _filters(request) -> dict[str, Any]:
    form = TaskFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    return {
        "form": form,
        "role": data.get("role") or "",
        "status": data.get("status") or "",
        "overdue": bool(data.get("overdue")),
    }


class TaskListView(View):
    """My tasks as a table; ``?role=``, ``?status=``, ``?overdue=1`` filter it. An htmx
    request gets the table alone (filters and reloads after a change)."""

    def get(self, request):
        filters = _filters(request)
        tasks = selectors.my_tasks(
            user=request.user,
            role=filters["role"],
            status=filters["status"],
            overdue=filters["overdue"],
        )
        context = {
            "tasks": tasks,
            "links": selectors.card_links(user=request.user, tasks=tasks),
            "filter_form": filters["form"],
            "query": request.GET.urlencode(),
            "limit": selectors.LIST_LIMIT,
            "can_add": can(request.user, Action.ADD, Task),
            "view": "list",
        }
        if request.htmx and request.htmx.target == "task-results":
            return render(request, "tasks/partials/_task_table.html", context)
        return render(request, "tasks/task_list.html", context)


class TaskBoardView(View):
    """My open tasks in deadline columns; dropping a task in a column moves its deadline."""

    def get(self, request):
        filters = _filters(request)
        buckets = selectors.task_board(user=request.user, role=filters["role"])
        tasks = [task for bucket in buckets for task in bucket.tasks]
        context = {
            "buckets": buckets,
            "links": selectors.card_links(user=request.user, tasks=tasks),
            "filter_form": filters["form"],
            "query": request.GET.urlencode(),
            "can_add": can(request.user, Action.ADD, Task),
            "view": "board",
        }
        if request.htmx and request.htmx.target == "task-board":
            return render(request, "tasks/partials/_task_board.html", context)
        return render(request, "tasks/task_board.html", context)


class TaskMoveView(View):
    """Drop on the board: POST ``bucket`` (today, week, later, none) and ``version``. The
    deadline moves to that column's day; a responsible who must say why gets the deadline
    dialog instead (into ``#modal``)."""

    http_method_names = ["post"]

    def post(self, request, pk: int):
        task = load_task(request, pk)
        try:
            deadline = selectors.bucket_deadline(request.POST.get("bucket", ""))
        except ValueError:
            return HttpResponse(_("Choose a column with a deadline."), status=400)
        version = parse_version(request.POST.get("version"))
        if services.deadline_needs_comment(request.user, task) and task.deadline != deadline:
            if not services.may_move_deadline(request.user, task):
                raise PermissionDenied
            form = DeadlineForm(initial={"deadline": _local(deadline)})
            response = _deadline_dialog(request, task, form, version=version, board=True)
            return reswap(retarget(response, "#modal"), "innerHTML")
        try:
            services.task_change_deadline(
                actor=request.user, task=task, deadline=deadline, expected_version=version
            )
        except ConflictError as error:
            return _board_changed(_conflict(error))
        except ValidationError as error:
            return _board_changed(
                _toast(HttpResponse(status=400), " ".join(error.messages), "error")
            )
        return _board_changed(HttpResponse(status=204))


def _board_changed(response: HttpResponse) -> HttpResponse:
    trigger_client_event(response, CHANGED_EVENT, {})
    return response


def _local(moment):
    return timezone.localtime(moment) if moment else None


# --- the task card ----------------------------------------------------------------------------
def task_context(request, task: Task, **forms) -> dict[str, Any]:
    user = request.user
    details = selectors.task_card_details(user=user, task=task)
    editable = services.may_edit(user, task) and can(user, Action.UPDATE, task)
    return {
        "task": task,
        "details": details,
        "actions": services.available_actions(user, task) if can(user, Action.UPDATE, task) else [],
        "editable": editable,
        "may_comment": can(user, Action.UPDATE, task),
        "may_tick": services.may_work(user, task) and can(user, Action.UPDATE, task),
        "may_move_deadline": services.may_move_deadline(user, task)
        and can(user, Action.UPDATE, task),
        "may_delete": (services.is_creator(user, task) or services.is_supervisor(user, task))
        and can(user, Action.DELETE, task),
        "comment_form": forms.get("comment_form") or CommentForm(),
        "checklist_form": forms.get("checklist_form") or ChecklistItemForm(),
        "co_executors": list(task.co_executors.all()),
        "observers": list(task.observers.all()),
    }


def render_task(request, task: Task, status: int = 200, **forms) -> HttpResponse:
    html = render_to_string(
        "tasks/partials/_task.html", task_context(request, task, **forms), request=request
    )
    return HttpResponse(html, status=status)


def task_changed(request, pk: int, message: str | None = None) -> HttpResponse:
    """The task card's body again, read fresh, aimed at ``#task``; the dialog closes."""
    response = render_task(request, load_task(request, pk))
    response = reswap(retarget(response, f"#{TASK_ID}"), "outerHTML")
    # Events fire on the element that sent the request, in this order: the page hears the
    # change before the dialog holding that element is closed.
    trigger_client_event(response, CHANGED_EVENT, {})
    trigger_client_event(response, "voronka:modal-close", {})
    if message:
        _toast(response, message)
    return response


class TaskDetailView(View):
    def get(self, request, pk: int):
        task = load_task(request, pk)
        context = task_context(request, task)
        return render(request, "tasks/task_detail.html", context)


class TaskStatusView(View):
    """POST ``action`` (start, complete, defer, resume, accept, return) with ``version``;
    ``result`` for complete, ``comment`` for return. GET ``?action=complete|return`` gives
    the dialog asking for them."""

    DIALOGS = {"complete": ResultForm, "return": ReturnForm}

    def _dialog(self, request, task, action, form, status=200):
        context = {
            "task": task,
            "action": action,
            "form": form,
            "version": task.version,
            "heading": _("Complete the task") if action == "complete" else _("Return to work"),
            "submit": _("Complete") if action == "complete" else _("Return to work"),
        }
        return render(request, "tasks/task_status_dialog.html", context, status=status)

    def get(self, request, pk: int):
        task = load_task(request, pk)
        action = request.GET.get("action", "")
        if action not in self.DIALOGS:
            raise Http404
        return self._dialog(request, task, action, self.DIALOGS[action]())

    def post(self, request, pk: int):
        task = load_task(request, pk)
        action = request.POST.get("action", "")
        form_class = self.DIALOGS.get(action)
        form = form_class(request.POST) if form_class else None
        if form is not None and not form.is_valid():
            return self._dialog(request, task, action, form, status=422)
        data = form.cleaned_data if form is not None else {}
        try:
            services.task_change_status(
                actor=request.user,
                task=task,
                action=action,
                result=data.get("result", ""),
                comment=data.get("comment", ""),
                expected_version=parse_version(request.POST.get("version")),
            )
        except ConflictError as error:
            return _conflict(error)
        except ValidationError as error:
            if form is not None:
                add_service_errors(form, error)
                return self._dialog(request, task, action, form, status=422)
            return _toast(HttpResponse(status=400), " ".join(error.messages), "error")
        return task_changed(request, pk)


class TaskDeadlineView(View):
    """GET: the deadline dialog; POST ``deadline``, ``comment``, ``version`` (``board=1`` when
    sent from the board, which then reloads itself)."""

    def get(self, request, pk: int):
        task = load_task(request, pk)
        if not services.may_move_deadline(request.user, task):
            raise PermissionDenied
        form = DeadlineForm(initial={"deadline": _local(task.deadline)})
        return _deadline_dialog(request, task, form, version=task.version)

    def post(self, request, pk: int):
        task = load_task(request, pk)
        form = DeadlineForm(request.POST)
        board = request.POST.get("board") == "1"
        version = parse_version(request.POST.get("version"))
        if form.is_valid():
            try:
                services.task_change_deadline(
                    actor=request.user,
                    task=task,
                    deadline=form.cleaned_data["deadline"],
                    comment=form.cleaned_data["comment"],
                    expected_version=version,
                )
            except ConflictError as error:
                form.add_error(None, str(error.message))
                return _deadline_dialog(request, task, form, version, board, status=409)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                if board:
                    response = _board_changed(HttpResponse(status=204))
                    trigger_client_event(response, "voronka:modal-close", {})
                    return _toast(response, _("The deadline is moved."))
                return task_changed(request, pk, _("The deadline is moved."))
        return _deadline_dialog(request, task, form, version, board, status=422)


def _deadline_dialog(request, task, form, version, board=False, status=200) -> HttpResponse:
    context = {
        "task": task,
        "form": form,
        "version": version,
        "board": board,
        "needs_comment": services.deadline_needs_comment(request.user, task),
    }
    return render(request, "tasks/task_deadline_dialog.html", context, status=status)


class TaskCreateView(View):
    """A new task: a dialog when opened with htmx (``?card=deal:42`` links it to that card),
    a page on a direct visit."""

    def _render(self, request, form, status=200):
        dialog = bool(request.htmx) and not request.htmx.boosted
        reference = parse_card_reference(form["card"].value())
        card = None
        if reference:
            try:
                card = services.resolve_card(
                    actor=request.user, card_type=reference[0], card_id=reference[1]
                )
            except ValidationError:
                card = None
        context = {
            "form": form,
            "dialog": dialog,
            "action": reverse("tasks:task_create"),
            "card": card,
            "card_kind": selectors.CARD_KINDS.get(reference[0]) if reference else None,
            "heading": _("New task"),
        }
        template = "tasks/task_create_dialog.html" if dialog else "tasks/task_create.html"
        return render(request, template, context, status=status)

    def dispatch(self, request, *args, **kwargs):
        if not can(request.user, Action.ADD, Task):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        initial = {}
        reference = parse_card_reference(request.GET.get("card"))
        if reference:
            initial["card"] = f"{reference[0]}:{reference[1]}"
        return self._render(request, TaskForm(initial=initial, user=request.user))

    def post(self, request):
        form = TaskForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                card = None
                reference = form.card_reference()
                if reference:
                    card = services.resolve_card(
                        actor=request.user, card_type=reference[0], card_id=reference[1]
                    )
                task = services.task_create(
                    actor=request.user,
                    title=data["title"],
                    description=data["description"],
                    responsible=data["responsible"],
                    deadline=data["deadline"],
                    requires_control=data["requires_control"],
                    co_executors=data["co_executors"],
                    observers=data["observers"],
                    checklist=form.checklist_items(),
                    card=card,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                target = reverse("tasks:task_detail", args=[task.pk])
                if not request.htmx:
                    return HttpResponseRedirect(target)
                response = HttpResponse(status=204)
                trigger_client_event(response, CHANGED_EVENT, {"id": task.pk})
                trigger_client_event(response, "tasks:created", {"id": task.pk, "url": target})
                trigger_client_event(response, "voronka:modal-close", {})
                return _toast(response, _("The task “%(title)s” is created.") % {"title": task})
        return self._render(request, form, status=422)


class TaskEditView(View):
    """The edit dialog of a task's fields and people."""

    def _render(self, request, task, form, status=200):
        context = {"task": task, "form": form, "version": task.version}
        return render(request, "tasks/task_edit_dialog.html", context, status=status)

    def _check(self, request, task):
        if not (services.may_edit(request.user, task) and can(request.user, Action.UPDATE, task)):
            raise PermissionDenied

    def get(self, request, pk: int):
        task = load_task(request, pk)
        self._check(request, task)
        form = TaskForm(
            initial={
                "title": task.title,
                "description": task.description,
                "responsible": task.responsible,
                "requires_control": task.requires_control,
                "co_executors": [user.pk for user in task.co_executors.all()],
                "observers": [user.pk for user in task.observers.all()],
            },
            editing=True,
        )
        return self._render(request, task, form)

    def post(self, request, pk: int):
        task = load_task(request, pk)
        form = TaskForm(request.POST, editing=True)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.task_update(
                    actor=request.user,
                    task=task,
                    data={
                        "title": data["title"],
                        "description": data["description"],
                        "responsible": data["responsible"],
                        "requires_control": data["requires_control"],
                    },
                    co_executors=data["co_executors"],
                    observers=data["observers"],
                    expected_version=parse_version(request.POST.get("version")),
                )
            except ConflictError as error:
                form.add_error(None, str(error.message))
                return self._render(request, task, form, status=409)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                return task_changed(request, pk, _("Saved."))
        return self._render(request, task, form, status=422)


class TaskCommentView(View):
    http_method_names = ["post"]

    def post(self, request, pk: int):
        task = load_task(request, pk)
        form = CommentForm(request.POST)
        if form.is_valid():
            try:
                services.task_comment(actor=request.user, task=task, text=form.cleaned_data["text"])
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                return task_changed(request, pk)
        return render_task(request, task, status=422, comment_form=form)


class ChecklistView(View):
    """POST ``op`` = add (``text``), toggle or remove (``item``: the item's id)."""

    http_method_names = ["post"]

    def post(self, request, pk: int):
        task = load_task(request, pk)
        op = request.POST.get("op", "add")
        if op == "add":
            form = ChecklistItemForm(request.POST)
            if form.is_valid():
                try:
                    services.checklist_add(
                        actor=request.user, task=task, text=form.cleaned_data["text"]
                    )
                except ValidationError as error:
                    add_service_errors(form, error)
                else:
                    return task_changed(request, pk)
            return render_task(request, task, status=422, checklist_form=form)
        item = next(
            (i for i in task.checklist.all() if str(i.pk) == request.POST.get("item", "")), None
        )
        if item is None or op not in ("toggle", "remove"):
            raise Http404
        if op == "toggle":
            services.checklist_toggle(actor=request.user, task=task, item=item)
        else:
            services.checklist_remove(actor=request.user, task=task, item=item)
        return task_changed(request, pk)


class TaskDeleteView(View):
    http_method_names = ["post"]

    def post(self, request, pk: int):
        task = load_task(request, pk)
        services.task_delete(actor=request.user, task=task)
        target = reverse("tasks:task_list")
        if request.htmx:
            return _toast(HttpResponseClientRedirect(target), _("The task is deleted."))
        return HttpResponseRedirect(target)


def card_tasks_context(request, card) -> dict[str, Any]:
    """What the block of a card's open tasks shows (``{% card_tasks card %}``)."""
    return {
        "card": card,
        "card_ref": f"{card._meta.model_name}:{card.pk}",
        "tasks": selectors.card_tasks(user=request.user, card=card),
        "can_add": can(request.user, Action.ADD, Task),
    }


class CardTasksView(View):
    """The open tasks of a CRM card (``?card=deal:42``) — the block the card's timeline shows,
    read again after a task changed; 404 for a card the user may not see."""

    def get(self, request):
        reference = parse_card_reference(request.GET.get("card"))
        if reference is None:
            raise Http404
        try:
            card = services.resolve_card(
                actor=request.user, card_type=reference[0], card_id=reference[1]
            )
        except ValidationError:
            raise Http404 from None
        return render(request, "tasks/partials/_card_tasks.html", card_tasks_context(request, card))
