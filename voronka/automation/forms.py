"""The robot dialog: its fields are generated from the action's parameter schema, so a new
action needs no new template. The condition and the field values are rows of repeated inputs
(``c_field``/``c_op``/``c_value``, ``v_field``/``v_mode``/``v_value``) read with ``getlist``."""

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from voronka.automation.actions import all_actions, get_action
from voronka.automation.conditions import OPERATORS
from voronka.automation.fields import Kind
from voronka.automation.models import Robot
from voronka.automation.selectors import card_fields
from voronka.automation.timing import TYPES
from voronka.sales.models import LossReason, Pipeline, PipelineEntity, Stage

PARAM_PREFIX = "p_"
SECTIONS = ("params", "condition", "timing")
VALUE_MODES = [
    ("value", _("value")),
    ("template", _("text with fields")),
    ("expression", _("formula")),
]
TIMING_CHOICES = [
    ("immediate", _("At once")),
    ("after", _("After a delay")),
    ("at_field", _("At the date of a field")),
]
UNIT_CHOICES = [("minutes", _("minutes")), ("hours", _("hours")), ("days", _("days"))]
assert [code for code, _label in TIMING_CHOICES] == list(TYPES)


def _employee_choices() -> list[tuple[int, str]]:
    return [(user.pk, str(user)) for user in get_user_model().objects.filter(is_active=True)]


def _department_choices() -> list[tuple[Any, str]]:
    from voronka.staff.models import Department

    return [("", "—")] + [(dep.pk, dep.name) for dep in Department.objects.order_by("name")]


def _stage_choices(pipeline: Pipeline) -> list:
    """Stages a robot of ``pipeline`` may move a card to: the pipeline's own for leads, those
    of every deal pipeline (grouped) for deals."""
    stages = Stage.objects.select_related("pipeline").order_by(
        "pipeline__sort", "pipeline_id", "sort", "pk"
    )
    if pipeline.entity == PipelineEntity.LEAD:
        return [("", "—")] + [(s.pk, s.name) for s in stages.filter(pipeline=pipeline)]
    groups: dict[int, tuple[str, list]] = {}
    for stage in stages.filter(pipeline__entity=PipelineEntity.DEAL):
        groups.setdefault(stage.pipeline_id, (stage.pipeline.name, []))[1].append(
            (stage.pk, stage.name)
        )
    return [("", "—"), *groups.values()]


def _param_field(
    name: str, spec: dict[str, Any], pipeline: Pipeline, fields: list | None = None
) -> forms.Field | None:
    """A form field for one parameter of an action's schema; None for ``field_values``, which
    the dialog shows as rows."""
    kind = spec["type"]
    common = {"label": spec.get("label", name), "required": False}
    if kind == "text":
        return forms.CharField(**common)
    if kind == "template":
        entity = "lead" if pipeline.entity == PipelineEntity.LEAD else "deal"
        return forms.CharField(
            widget=forms.Textarea(attrs={"rows": 3}),
            help_text=_("Card fields go in double braces: {{ %(entity)s.title }}.")
            % {"entity": entity},
            strip=False,
            **common,
        )
    if kind == "boolean":
        return forms.BooleanField(**common)
    if kind == "choice":
        return forms.ChoiceField(choices=[("", "—"), *spec.get("choices", ())], **common)
    if kind == "stage":
        return forms.TypedChoiceField(
            choices=_stage_choices(pipeline), coerce=int, empty_value=None, **common
        )
    if kind == "department":
        return forms.TypedChoiceField(
            choices=_department_choices, coerce=int, empty_value=None, **common
        )
    if kind == "employees":
        return forms.TypedMultipleChoiceField(
            choices=_employee_choices,
            coerce=int,
            widget=forms.SelectMultiple(attrs={"size": 5}),
            **common,
        )
    if kind == "integer":
        # Integers that name a record are picked from a list rather than typed as an id.
        if name == "responsible":
            return forms.TypedChoiceField(
                choices=lambda: [("", _("The card’s responsible")), *_employee_choices()],
                coerce=int,
                empty_value=None,
                **common,
            )
        if name == "loss_reason":
            return forms.TypedChoiceField(
                choices=lambda: (
                    [("", "—")]
                    + [(r.pk, r.name) for r in LossReason.objects.filter(is_active=True)]
                ),
                coerce=int,
                empty_value=None,
                **common,
            )
        return forms.IntegerField(**common)
    if kind in ("field", "fields"):
        specs = fields if fields is not None else card_fields(pipeline)
        choices = [(item.code, capfirst(item.label)) for item in specs]
        if kind == "field":
            return forms.ChoiceField(choices=[("", "—"), *choices], **common)
        return forms.MultipleChoiceField(
            choices=choices, widget=forms.SelectMultiple(attrs={"size": 6}), **common
        )
    if kind in ("pipeline", "pipelines"):
        pipelines = lambda: [  # noqa: E731 - read when the form is shown, not at import
            (p.pk, p.name)
            for p in Pipeline.objects.filter(entity=PipelineEntity.DEAL).order_by("sort", "pk")
        ]
        if kind == "pipeline":
            return forms.TypedChoiceField(
                choices=lambda: [("", "—"), *pipelines()], coerce=int, empty_value=None, **common
            )
        return forms.TypedMultipleChoiceField(
            choices=pipelines,
            coerce=int,
            widget=forms.SelectMultiple(attrs={"size": 4}),
            **common,
        )
    if kind == "field_values":
        return None
    return forms.CharField(**common)


class RobotForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    action = forms.ChoiceField(label=_("Action"))
    stage = forms.TypedChoiceField(label=_("Stage"), coerce=int)
    is_active = forms.BooleanField(label=_("On"), required=False, initial=True)
    c_join = forms.ChoiceField(
        label=_("Join the rules with"),
        choices=[("and", _("all must hold (AND)")), ("or", _("any may hold (OR)"))],
        required=False,
    )
    t_type = forms.ChoiceField(label=_("When"), choices=TIMING_CHOICES, required=False)
    t_amount = forms.IntegerField(label=_("After"), required=False, min_value=0)
    t_field = forms.ChoiceField(label=_("Date field"), required=False)
    t_offset = forms.IntegerField(label=_("Offset (minus is before)"), required=False)
    t_unit = forms.ChoiceField(label=_("Unit"), choices=UNIT_CHOICES, required=False)
    t_time = forms.CharField(
        label=_("At time"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text=_("For date fields; empty keeps the field's own time or midnight."),
    )
    t_working_hours = forms.BooleanField(label=_("Only in working hours"), required=False)

    def __init__(
        self,
        *,
        pipeline: Pipeline,
        robot: Robot | None = None,
        stage: Stage | None = None,
        action_code: str | None = None,
        data=None,
    ):
        self.pipeline = pipeline
        self.robot = robot
        initial = self._initial(robot, stage)
        super().__init__(data=data, initial=initial)
        self.section_errors: dict[str, list[str]] = {}
        self.fields["action"].choices = [(a.code, a.label) for a in all_actions()]
        self.stages = list(Stage.objects.filter(pipeline=pipeline).order_by("sort", "pk"))
        self.fields["stage"].choices = [(s.pk, s.name) for s in self.stages]
        self.card_fields = card_fields(pipeline)
        self.fields["t_field"].choices = [("", "—")] + [
            (spec.code, capfirst(spec.label))
            for spec in self.card_fields
            if spec.kind in (Kind.DATE, Kind.DATETIME)
        ]
        code = action_code or (data or {}).get("action") or initial.get("action")
        self.action_obj = get_action(code) or all_actions()[0]
        self.initial["action"] = self.action_obj.code
        self.param_names: list[str] = []
        self.has_value_rows = False
        params = robot.params if robot and robot.action == self.action_obj.code else {}
        for name, spec in self.action_obj.params_schema.items():
            field = _param_field(name, spec, pipeline, self.card_fields)
            if field is None:
                self.has_value_rows = True
                self.value_param = name
                continue
            self.fields[PARAM_PREFIX + name] = field
            self.param_names.append(name)
            if name in params:
                self.initial[PARAM_PREFIX + name] = params[name]
        self.condition_rows = self._condition_rows(data, robot)
        self.value_rows = self._value_rows(data, params) if self.has_value_rows else []

    # --- initial values and rows ---------------------------------------------------------------

    @staticmethod
    def _initial(robot: Robot | None, stage: Stage | None) -> dict[str, Any]:
        if robot is None:
            return {"stage": stage.pk if stage else None, "is_active": True, "t_type": "immediate"}
        timing = robot.timing or {}
        kind = timing.get("type", "immediate")
        return {
            "name": robot.name,
            "action": robot.action,
            "stage": robot.stage_id,
            "is_active": robot.is_active,
            "c_join": (robot.condition or {}).get("join", "and"),
            "t_type": kind,
            "t_amount": timing.get("amount") if kind == "after" else None,
            "t_offset": timing.get("offset") if kind == "at_field" else None,
            "t_field": timing.get("field", ""),
            "t_unit": timing.get("unit", "minutes"),
            "t_time": timing.get("time", ""),
            "t_working_hours": bool(timing.get("working_hours")),
        }

    def _condition_rows(self, data, robot) -> list[dict[str, Any]]:
        if data is not None:
            rows = zip(
                data.getlist("c_field"),
                data.getlist("c_op"),
                data.getlist("c_value"),
                strict=False,
            )
            return [{"field": f, "op": o, "value": v} for f, o, v in rows]
        rules = (robot.condition or {}).get("rules", []) if robot else []
        return [
            {
                "field": rule.get("field", ""),
                "op": rule.get("op", "eq"),
                "value": ", ".join(map(str, value))
                if isinstance(value := rule.get("value", ""), list)
                else value,
            }
            for rule in rules
            if isinstance(rule, dict)
        ]

    def _value_rows(self, data, params) -> list[dict[str, Any]]:
        if data is not None:
            rows = zip(
                data.getlist("v_field"),
                data.getlist("v_mode"),
                data.getlist("v_value"),
                strict=False,
            )
            return [{"field": f, "mode": m, "value": v} for f, m, v in rows]
        result = []
        for item in params.get(self.value_param, []) if isinstance(params, dict) else []:
            mode = next((key for key in ("template", "expression", "value") if key in item), "")
            result.append({"field": item.get("field", ""), "mode": mode, "value": item.get(mode)})
        return result or [{"field": "", "mode": "value", "value": ""}]

    # --- what the template needs ---------------------------------------------------------------

    def param_fields(self):
        return [self[PARAM_PREFIX + name] for name in self.param_names]

    def field_choices(self):
        return [(spec.code, capfirst(spec.label)) for spec in self.card_fields]

    @staticmethod
    def operator_choices():
        return [(code, str(label)) for code, label in OPERATORS.items()]

    @staticmethod
    def mode_choices():
        return VALUE_MODES

    # --- the robot's data ----------------------------------------------------------------------

    def robot_data(self) -> dict[str, Any]:
        """The cleaned form as the data ``robot_create``/``robot_update`` take."""
        data = self.cleaned_data
        stage = next((s for s in self.stages if s.pk == data["stage"]), None)
        return {
            "pipeline": self.pipeline,
            "stage": stage,
            "name": data["name"],
            "action": self.action_obj.code,
            "is_active": data["is_active"],
            "params": self._params(),
            "condition": self._condition(),
            "timing": self._timing(),
        }

    def _params(self) -> dict[str, Any]:
        params: dict[str, Any] = {}
        for name in self.param_names:
            value = self.cleaned_data.get(PARAM_PREFIX + name)
            if value in (None, "", []) or value is False:
                continue
            params[name] = value
        if self.has_value_rows:
            values = [
                {"field": row["field"], row["mode"] or "value": row["value"]}
                for row in self.value_rows
                if row["field"]
            ]
            if values:
                params[self.value_param] = values
        return params

    def _condition(self) -> dict[str, Any]:
        rules = []
        for row in self.condition_rows:
            if not row["field"]:
                continue
            rule = {"field": row["field"], "op": row["op"]}
            if row["op"] == "in":
                rule["value"] = [part.strip() for part in row["value"].split(",") if part.strip()]
            elif row["op"] not in ("empty", "not_empty"):
                rule["value"] = row["value"]
            rules.append(rule)
        if not rules:
            return {}
        return {"join": self.cleaned_data.get("c_join") or "and", "rules": rules}

    def _timing(self) -> dict[str, Any]:
        data = self.cleaned_data
        kind = data.get("t_type") or "immediate"
        timing: dict[str, Any] = {}
        if kind == "after":
            timing = {"type": "after", "amount": data.get("t_amount"), "unit": data["t_unit"]}
        elif kind == "at_field":
            timing = {
                "type": "at_field",
                "field": data.get("t_field", ""),
                "offset": data.get("t_offset") or 0,
                "unit": data.get("t_unit") or "days",
            }
            if data.get("t_time"):
                timing["time"] = data["t_time"]
        if data.get("t_working_hours"):
            timing = {"type": "immediate", **timing, "working_hours": True}
        return timing

    def add_service_errors(self, error: ValidationError) -> None:
        """The service's refusal under the field it names: a parameter's message
        (“text: …”) under that parameter, the condition and timing in their sections."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error.messages)
            return
        for key, messages in error.message_dict.items():
            if key == "params":
                for message in messages:
                    name, sep, text = message.partition(": ")
                    if sep and name == getattr(self, "value_param", None):
                        self.section_errors.setdefault("params", []).append(text)
                    elif sep and PARAM_PREFIX + name in self.fields:
                        self.add_error(PARAM_PREFIX + name, text)
                    else:
                        self.section_errors.setdefault("params", []).append(message)
            elif key in SECTIONS:
                self.section_errors.setdefault(key, []).extend(messages)
            elif key in self.fields and key != NON_FIELD_ERRORS:
                self.add_error(key, messages)
            else:
                self.add_error(None, messages)
