"""The trigger dialog: its parameter fields are generated from the kind's schema with the
robots' parameter fields, and its condition is the robots' rows (``c_field``/``c_op``/``c_value``)
read and assembled by the robot form's own code."""

from typing import Any

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from voronka.automation.fields import Kind
from voronka.automation.forms import PARAM_PREFIX, RobotForm, _param_field
from voronka.automation.models import Trigger
from voronka.automation.selectors import card_fields
from voronka.automation.triggers.base import kinds_for
from voronka.customization.models import Source
from voronka.sales.models import Pipeline, Stage

# Fields no edit changes (the stage moves, the service keeps the times): no use watching them.
NOT_EDITED = {
    "created_at",
    "updated_at",
    "deleted_at",
    "stage",
    "stage_changed_at",
    "closed_at",
    "created_by",
    "pipeline",
    "converted_at",
}


def _source_choices() -> list[tuple[int, str]]:
    return [(source.pk, source.name) for source in Source.objects.filter(is_active=True)]


class TriggerForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Event"))
    stage = forms.TypedChoiceField(label=_("Move the card to"), coerce=int)
    is_active = forms.BooleanField(label=_("On"), required=False, initial=True)
    allow_backwards = forms.BooleanField(
        label=_("May move a card back"),
        required=False,
        help_text=_("Without it a card only moves forward, to a stage further right."),
    )
    c_join = RobotForm.base_fields["c_join"]

    # The condition rows and the service's errors work as in the robot dialog.
    _condition_rows = RobotForm._condition_rows
    _condition = RobotForm._condition
    field_choices = RobotForm.field_choices
    operator_choices = staticmethod(RobotForm.operator_choices)
    add_service_errors = RobotForm.add_service_errors

    def __init__(
        self,
        *,
        pipeline: Pipeline,
        trigger: Trigger | None = None,
        stage: Stage | None = None,
        kind_code: str | None = None,
        data=None,
    ):
        self.pipeline = pipeline
        self.trigger = trigger
        initial: dict[str, Any] = {"stage": stage.pk if stage else None, "is_active": True}
        if trigger is not None:
            initial = {
                "name": trigger.name,
                "kind": trigger.kind,
                "stage": trigger.stage_id,
                "is_active": trigger.is_active,
                "allow_backwards": trigger.allow_backwards,
                "c_join": (trigger.condition or {}).get("join", "and"),
            }
        super().__init__(data=data, initial=initial)
        self.section_errors: dict[str, list[str]] = {}
        kinds = kinds_for(pipeline.entity)
        self.fields["kind"].choices = [(kind.code, kind.label) for kind in kinds]
        self.stages = list(Stage.objects.filter(pipeline=pipeline).order_by("sort", "pk"))
        self.fields["stage"].choices = [(s.pk, s.name) for s in self.stages]
        self.card_fields = card_fields(pipeline)
        code = kind_code or (data or {}).get("kind") or initial.get("kind")
        self.kind_obj = next((kind for kind in kinds if kind.code == code), kinds[0])
        self.initial["kind"] = self.kind_obj.code
        params = trigger.params if trigger and trigger.kind == self.kind_obj.code else {}
        self.param_names: list[str] = []
        for name, spec in self.kind_obj.params_schema.items():
            self.fields[PARAM_PREFIX + name] = self._param_field(name, spec)
            self.param_names.append(name)
            if name in (params or {}):
                self.initial[PARAM_PREFIX + name] = params[name]
        self.condition_rows = self._condition_rows(data, trigger)

    def _param_field(self, name: str, spec: dict[str, Any]) -> forms.Field:
        common = {"label": spec.get("label", name), "required": False}
        kind = spec["type"]
        if kind == "fields":
            return forms.MultipleChoiceField(
                choices=[
                    (code, label) for code, label in self.field_choices() if code not in NOT_EDITED
                ],
                widget=forms.SelectMultiple(attrs={"size": 6}),
                **common,
            )
        if kind == "field":
            dates = [
                (field.code, capfirst(field.label))
                for field in self.card_fields
                if field.kind in (Kind.DATE, Kind.DATETIME) and not field.multiple
            ]
            return forms.ChoiceField(choices=[("", "—"), *dates], **common)
        if kind == "sources":
            return forms.TypedMultipleChoiceField(
                choices=_source_choices,
                coerce=int,
                widget=forms.SelectMultiple(attrs={"size": 5}),
                **common,
            )
        return _param_field(name, spec, self.pipeline) or forms.CharField(**common)

    def param_fields(self):
        return [self[PARAM_PREFIX + name] for name in self.param_names]

    def trigger_data(self) -> dict[str, Any]:
        """The cleaned form as the data ``trigger_create``/``trigger_update`` take."""
        data = self.cleaned_data
        params: dict[str, Any] = {}
        for name in self.param_names:
            value = data.get(PARAM_PREFIX + name)
            if value in (None, "", []) or value is False:
                continue
            params[name] = value
        return {
            "pipeline": self.pipeline,
            "stage": next((s for s in self.stages if s.pk == data["stage"]), None),
            "name": data["name"],
            "kind": self.kind_obj.code,
            "is_active": data["is_active"],
            "allow_backwards": data["allow_backwards"],
            "params": params,
            "condition": self._condition(),
        }
