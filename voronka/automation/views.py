"""The robot editor in the settings: the stages of a pipeline as columns with their robots, the
robot dialog generated from the action's schema, and the log of a robot's runs.

Opening needs the right to read the settings; every change needs the right to change them
(adding: add, deleting: delete) — the views check it for the answer and the services again.
"""

import json

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from voronka.automation import selectors
from voronka.automation.actions import get_action
from voronka.automation.conditions import OPERATORS
from voronka.automation.forms import RobotForm
from voronka.automation.models import Robot
from voronka.automation.services import robot_create, robot_delete, robot_reorder, robot_update
from voronka.automation.timing import duration
from voronka.automation.triggers import selectors as trigger_selectors
from voronka.automation.triggers.base import get_kind
from voronka.automation.triggers.forms import TriggerForm
from voronka.automation.triggers.kinds import INBOUND_WEBHOOK
from voronka.automation.triggers.services import (
    trigger_create,
    trigger_delete,
    trigger_toggle,
    trigger_update,
    webhook_fire,
    webhook_trigger,
)
from voronka.core.permissions import RightRequiredMixin
from voronka.customization.views import (
    SettingsPageView,
    get_or_404,
    refused_response,
    saved_response,
)
from voronka.sales.models import Pipeline, Stage


def _ids(raw: str) -> list[int]:
    try:
        return [int(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        raise ValidationError(_("The new order is not a list of ids.")) from None


def timing_summary(timing: dict, labels: dict[str, str]) -> str:
    """One line for people: “at once”, “after 2 hours”, “1 day before Closes on at 10:00”."""
    timing = timing or {}
    kind = timing.get("type", "immediate")
    if kind == "after":
        text = _("after %(delay)s") % {
            "delay": duration(int(timing.get("amount") or 0), timing.get("unit", "minutes"))
        }
    elif kind == "at_field":
        field = labels.get(timing.get("field", ""), timing.get("field", ""))
        offset = int(timing.get("offset") or 0)
        unit = timing.get("unit", "days")
        if offset > 0:
            text = _("%(delay)s after “%(field)s”") % {
                "delay": duration(offset, unit),
                "field": field,
            }
        elif offset < 0:
            text = _("%(delay)s before “%(field)s”") % {
                "delay": duration(-offset, unit),
                "field": field,
            }
        else:
            text = _("on “%(field)s”") % {"field": field}
        if timing.get("time"):
            text += " " + _("at %(time)s") % {"time": timing["time"]}
    else:
        text = _("at once")
    if timing.get("working_hours"):
        text += ", " + _("in working hours")
    return text


def condition_summary(condition: dict, labels: dict[str, str]) -> str:
    """“Amount ≥ 100000 and Source = 3”; empty when the robot always runs."""
    rules = (condition or {}).get("rules") or []
    parts = []
    for rule in rules:
        if not isinstance(rule, dict):
            continue
        op = rule.get("op", "")
        part = f"{labels.get(rule.get('field', ''), rule.get('field', ''))} {OPERATORS.get(op, op)}"
        if op not in ("empty", "not_empty"):
            value = rule.get("value", "")
            part += " " + (", ".join(map(str, value)) if isinstance(value, list) else str(value))
        parts.append(part)
    joiner = " " + (_("or") if (condition or {}).get("join") == "or" else _("and")) + " "
    return joiner.join(parts)


def _labels(pipeline: Pipeline) -> dict[str, str]:
    return {spec.code: capfirst(spec.label) for spec in selectors.card_fields(pipeline)}


# ---- The editor page -------------------------------------------------------------------------


class EditorView(SettingsPageView):
    template_name = "automation/editor/editor.html"
    partial_template_name = "automation/editor/_board.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        pipelines = selectors.editor_pipelines()
        if not pipelines:
            raise Http404
        wanted = self.request.GET.get("pipeline", "")
        pipeline = next((p for p in pipelines if str(p.pk) == wanted), pipelines[0])
        columns = selectors.editor_columns(pipeline=pipeline)
        labels = _labels(pipeline)
        for column in columns:
            for robot in column.robots:
                action = get_action(robot.action)
                robot.action_label = action.label if action else robot.action
                robot.timing_text = timing_summary(robot.timing, labels)
                robot.condition_text = condition_summary(robot.condition, labels)
        by_stage: dict[int, list] = {}
        for trigger in trigger_selectors.triggers_of_pipeline(pipeline=pipeline):
            kind = get_kind(trigger.kind)
            trigger.when = kind.when if kind else trigger.kind
            trigger.summary = kind.summary(trigger, labels) if kind else ""
            trigger.condition_text = condition_summary(trigger.condition, labels)
            if trigger.kind == INBOUND_WEBHOOK:
                trigger.hook_url = self.request.build_absolute_uri(
                    reverse("automation:trigger_hook", args=[trigger.pk, trigger.secret])
                )
            by_stage.setdefault(trigger.stage_id, []).append(trigger)
        for column in columns:
            column.triggers = by_stage.get(column.stage.pk, [])
        context.update(
            pipelines=pipelines,
            pipeline=pipeline,
            columns=columns,
            lead_pipelines=[p for p in pipelines if p.entity == "lead"],
            deal_pipelines=[p for p in pipelines if p.entity == "deal"],
        )
        return context


# ---- The robot dialog ------------------------------------------------------------------------


class DialogFormView(RightRequiredMixin, View):
    """A settings dialog whose form is saved through a service: GET shows it, POST saves it or
    shows it again with the service's errors (422). Subclasses give ``load``, ``get_form``,
    ``save``, ``title`` and ``success_message``."""

    def get_form(self, data=None):
        raise NotImplementedError  # each dialog builds its own form

    def save(self, form):
        raise NotImplementedError  # each dialog calls its own service

    def dialog_context(self, form) -> dict:
        return {"form": form, "title": self.title(), "action": self.request.path}

    def render_form(self, form, status: int = 200):
        return render(self.request, self.template_name, self.dialog_context(form), status=status)

    def get(self, request, *args, **kwargs):
        self.load()
        return self.render_form(self.get_form())

    def post(self, request, *args, **kwargs):
        self.load()
        form = self.get_form(data=request.POST)
        if form.is_valid():
            try:
                self.save(form)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                return saved_response(self.success_message())
        return self.render_form(form, status=422)


class _RobotFormView(DialogFormView):
    template_name = "automation/editor/_robot_dialog.html"


class RobotCreateView(_RobotFormView):
    """A new robot on a stage; ``?action=`` switches the action's parameters."""

    permission_action = "add"

    def load(self):
        self.stage = get_or_404(Stage.objects.select_related("pipeline"), self.kwargs["pk"])

    def get_form(self, data=None):
        return RobotForm(
            pipeline=self.stage.pipeline,
            stage=self.stage,
            action_code=self.request.GET.get("action"),
            data=data,
        )

    def title(self):
        return _("New robot on “%(stage)s”") % {"stage": self.stage.name}

    def success_message(self):
        return _("The robot is added.")

    def save(self, form):
        # A new robot runs after the robots already on the stage.
        last = Robot.objects.filter(stage=self.stage).aggregate(last=Max("sort"))["last"]
        data = {**form.robot_data(), "sort": (last or 0) + 10}
        return robot_create(actor=self.request.user, data=data)


class RobotUpdateView(_RobotFormView):
    permission_action = "update"

    def load(self):
        self.robot = selectors.robot_for_editor(pk=self.kwargs["pk"])

    def get_form(self, data=None):
        return RobotForm(
            pipeline=self.robot.pipeline,
            robot=self.robot,
            action_code=self.request.GET.get("action"),
            data=data,
        )

    def title(self):
        return _("Robot “%(name)s”") % {"name": self.robot.name}

    def success_message(self):
        return _("The robot is saved.")

    def save(self, form):
        return robot_update(actor=self.request.user, robot=self.robot, data=form.robot_data())


class RowView(RightRequiredMixin, View):
    """One more empty row of a condition (``kind=condition``) or of field values."""

    permission_action = "read"

    def get(self, request, pk):
        pipeline = get_or_404(Pipeline.objects.all(), pk)
        kind = request.GET.get("kind")
        if kind not in ("condition", "value"):
            raise Http404
        form = RobotForm(pipeline=pipeline)
        row = {"field": "", "op": "eq", "mode": "value", "value": ""}
        return render(request, f"automation/editor/_{kind}_row.html", {"form": form, "row": row})


# ---- Inline actions --------------------------------------------------------------------------


class RobotToggleView(RightRequiredMixin, View):
    permission_action = "update"

    def post(self, request, pk):
        robot = selectors.robot_for_editor(pk=pk)
        try:
            robot = robot_update(
                actor=request.user, robot=robot, data={"is_active": not robot.is_active}
            )
        except ValidationError as error:
            return refused_response(error, refresh=True)
        message = _("The robot is on.") if robot.is_active else _("The robot is off.")
        return saved_response(message, close=False)


class RobotDeleteView(RightRequiredMixin, View):
    permission_action = "delete"

    def post(self, request, pk):
        robot = selectors.robot_for_editor(pk=pk)
        robot_delete(actor=request.user, robot=robot)
        return saved_response(
            _("The robot “%(name)s” is deleted.") % {"name": robot.name}, close=False
        )


class RobotReorderView(RightRequiredMixin, View):
    """The new order of a stage's robots after a drag: ``order=3,1,2``."""

    permission_action = "update"

    def post(self, request, pk):
        stage = get_or_404(Stage.objects.all(), pk)
        try:
            robot_reorder(
                actor=request.user,
                stage_id=stage.pk,
                robot_ids=_ids(request.POST.get("order", "")),
            )
        except ValidationError as error:
            return refused_response(error, refresh=True)
        return saved_response(_("The order of the robots is saved."), close=False)


# ---- The run log -----------------------------------------------------------------------------


class RobotRunsView(SettingsPageView):
    """The robot's latest runs, newest first, paged by ``?before=<id>``."""

    template_name = "automation/editor/runs.html"
    partial_template_name = "automation/editor/_runs_page.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        robot = selectors.robot_for_editor(pk=self.kwargs["pk"])
        try:
            before = int(self.request.GET.get("before") or 0) or None
        except ValueError:
            before = None
        runs, next_before = selectors.runs_of_robot(robot=robot, before=before)
        selectors.attach_cards(user=self.request.user, runs=runs)
        context.update(
            robot=robot,
            runs=runs,
            next_before=next_before,
            card_url_name="sales:lead_detail"
            if robot.pipeline.entity == "lead"
            else "sales:deal_detail",
        )
        return context


# ---- Triggers --------------------------------------------------------------------------------


class _TriggerFormView(_RobotFormView):
    template_name = "automation/editor/_trigger_dialog.html"

    def dialog_context(self, form) -> dict:
        return {**super().dialog_context(form), "hook_url": self.hook_url()}

    def hook_url(self) -> str:
        return ""


class TriggerCreateView(_TriggerFormView):
    """A new trigger moving cards into a stage; ``?kind=`` switches the event's parameters."""

    permission_action = "add"

    def load(self):
        self.stage = get_or_404(Stage.objects.select_related("pipeline"), self.kwargs["pk"])

    def get_form(self, data=None):
        return TriggerForm(
            pipeline=self.stage.pipeline,
            stage=self.stage,
            kind_code=self.request.GET.get("kind"),
            data=data,
        )

    def title(self):
        return _("New trigger into “%(stage)s”") % {"stage": self.stage.name}

    def success_message(self):
        return _("The trigger is added.")

    def save(self, form):
        return trigger_create(actor=self.request.user, data=form.trigger_data())


class TriggerUpdateView(_TriggerFormView):
    permission_action = "update"

    def load(self):
        self.trigger = trigger_selectors.trigger_for_editor(pk=self.kwargs["pk"])

    def get_form(self, data=None):
        return TriggerForm(
            pipeline=self.trigger.pipeline,
            trigger=self.trigger,
            kind_code=self.request.GET.get("kind"),
            data=data,
        )

    def hook_url(self) -> str:
        if self.trigger.kind != INBOUND_WEBHOOK:
            return ""
        return self.request.build_absolute_uri(
            reverse("automation:trigger_hook", args=[self.trigger.pk, self.trigger.secret])
        )

    def title(self):
        return _("Trigger “%(name)s”") % {"name": self.trigger.name}

    def success_message(self):
        return _("The trigger is saved.")

    def save(self, form):
        return trigger_update(
            actor=self.request.user, trigger=self.trigger, data=form.trigger_data()
        )


class TriggerToggleView(RightRequiredMixin, View):
    permission_action = "update"

    def post(self, request, pk):
        trigger = trigger_toggle(
            actor=request.user, trigger=trigger_selectors.trigger_for_editor(pk=pk)
        )
        message = _("The trigger is on.") if trigger.is_active else _("The trigger is off.")
        return saved_response(message, close=False)


class TriggerDeleteView(RightRequiredMixin, View):
    permission_action = "delete"

    def post(self, request, pk):
        trigger = trigger_selectors.trigger_for_editor(pk=pk)
        trigger_delete(actor=request.user, trigger=trigger)
        return saved_response(
            _("The trigger “%(name)s” is deleted.") % {"name": trigger.name}, close=False
        )


# ---- The inbound webhook ---------------------------------------------------------------------

MAX_ID = 2**63 - 1


def _answer(moved: bool, reason: str, status: int = 200) -> JsonResponse:
    return JsonResponse({"moved": moved, "reason": reason}, status=status)


def _card_id(request) -> int | None:
    """``card_id`` (or ``id``) from a JSON or form body; None when missing or not an id."""
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"null")
        except (ValueError, UnicodeDecodeError):
            return None
    else:
        body = request.POST
    if not isinstance(body, dict) and not hasattr(body, "getlist"):
        return None
    value = body.get("card_id", body.get("id"))
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        if not value.isdecimal() or len(value) > 19:
            return None
        value = int(value)
    if not isinstance(value, int) or not 0 < value <= MAX_ID:
        return None
    return value


@method_decorator([csrf_exempt, login_not_required], name="dispatch")
class TriggerHookView(View):
    """Another system moves a card: ``POST`` with ``card_id`` (or ``id``) in a JSON or form
    body. Answers ``{"moved": …, "reason": …}``: 404 for a wrong address or a card the trigger's
    pipeline does not hold, 400 for a body without a card id."""

    http_method_names = ["post"]

    def post(self, request, pk, secret):
        trigger = webhook_trigger(pk=pk, secret=secret)
        if trigger is None:
            return _answer(False, _("No such trigger."), 404)
        card_id = _card_id(request)
        if card_id is None:
            return _answer(False, _("Send the card's id as “card_id” or “id”."), 400)
        outcome = webhook_fire(trigger=trigger, card_id=card_id)
        if outcome is None:
            return _answer(False, _("No such card in the trigger's pipeline."), 404)
        return _answer(*outcome)
