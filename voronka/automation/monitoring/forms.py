"""The rule dialog: its parameter fields come from the check's ``params_schema`` through the
robot dialog's own field builder (``automation.forms``), so a new check needs no template."""

from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from voronka.automation.forms import PARAM_PREFIX, _param_field
from voronka.automation.models import MonitoringRule
from voronka.automation.monitoring.checks import deal_date_fields
from voronka.automation.monitoring.registry import CheckKind
from voronka.sales.models import Pipeline, PipelineEntity


def _param_form_field(name: str, spec: dict[str, Any], kind: CheckKind) -> forms.Field:
    if spec["type"] == "deal_date_field":
        return forms.ChoiceField(
            label=spec.get("label", name),
            required=False,
            choices=lambda: [("", "—"), *deal_date_fields()],
        )
    # The robot builder reads the pipeline's entity for its hints; a rule of every pipeline
    # has none, so an unsaved one of the check's entity stands in.
    pipeline = Pipeline(entity=kind.pipeline_entity or PipelineEntity.DEAL)
    return _param_field(name, spec, pipeline)


class RuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    pipeline = forms.ModelChoiceField(
        label=_("Pipeline"),
        queryset=Pipeline.objects.none(),
        required=False,
        empty_label=_("All pipelines"),
    )
    is_active = forms.BooleanField(label=_("On"), required=False)

    def __init__(self, *, kind: CheckKind, rule: MonitoringRule | None = None, data=None):
        params = dict(kind.default_params if rule is None else rule.params or {})
        initial: dict[str, Any] = {
            "name": rule.name if rule else str(kind.default_name or kind.label),
            "pipeline": rule.pipeline_id if rule else None,
            "is_active": rule.is_active if rule else False,
        }
        for name, value in params.items():
            initial[PARAM_PREFIX + name] = str(value) if isinstance(value, Promise) else value
        super().__init__(data=data, initial=initial)
        self.kind = kind
        self.rule = rule
        if kind.pipeline_entity:
            self.fields["pipeline"].queryset = Pipeline.objects.filter(
                entity=kind.pipeline_entity
            ).order_by("sort", "pk")
        else:
            del self.fields["pipeline"]
        self.param_names: list[str] = []
        for name, spec in kind.params_schema.items():
            self.fields[PARAM_PREFIX + name] = _param_form_field(name, spec, kind)
            self.param_names.append(name)

    def param_fields(self):
        return [self[PARAM_PREFIX + name] for name in self.param_names]

    def rule_data(self) -> dict[str, Any]:
        """The cleaned form as the data ``rule_create``/``rule_update`` take."""
        data = self.cleaned_data
        params: dict[str, Any] = {}
        for name in self.param_names:
            value = data.get(PARAM_PREFIX + name)
            if value in (None, "", []) or value is False:
                continue
            params[name] = value
        return {
            "kind": self.kind.code,
            "name": data["name"],
            "pipeline": data.get("pipeline"),
            "is_active": data["is_active"],
            "params": params,
        }

    def add_service_errors(self, error: ValidationError) -> None:
        """The service's refusal under the field it names (“minutes: …” under that parameter)."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error.messages)
            return
        for key, messages in error.message_dict.items():
            for message in messages:
                if key == "params":
                    name, sep, text = message.partition(": ")
                    if sep and PARAM_PREFIX + name in self.fields:
                        self.add_error(PARAM_PREFIX + name, text)
                        continue
                    self.add_error(None, message)
                elif key in self.fields and key != NON_FIELD_ERRORS:
                    self.add_error(key, message)
                else:
                    self.add_error(None, message)
