"""The trigger kinds of this release. Payments received arrive with billing."""

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from voronka.automation.fields import Kind, entity_of_model, field_spec
from voronka.automation.models import Trigger
from voronka.automation.triggers.base import COMMON_PARAMS, TriggerKind, register
from voronka.customization.models import Source
from voronka.customization.validation import definitions_for
from voronka.sales.models import Deal, Lead, PipelineEntity

TASK_COMPLETED = "task_completed"
FIELD_CHANGED = "field_changed"
CLIENT_ACTIVITY = "client_activity"
LEAD_FROM_SOURCE = "lead_from_source"
DATE_REACHED = "date_reached"
INBOUND_WEBHOOK = "inbound_webhook"


def _model(trigger: Trigger):
    return Lead if trigger.pipeline.entity == PipelineEntity.LEAD else Deal


def _codes(value: Any) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else []


class TaskCompleted(TriggerKind):
    code = TASK_COMPLETED
    label = _lazy("Task completed")
    when = _lazy("when a task of the card is completed")
    params_schema = {
        "robot_tasks_only": {"type": "boolean", "label": _lazy("Only tasks set by robots")},
        **COMMON_PARAMS,
    }

    def matches(self, trigger, card, context):
        return not (trigger.params or {}).get("robot_tasks_only") or bool(context.get("robot"))

    def why(self, trigger, card, context):
        return _("the task “%(title)s” was completed") % {"title": context.get("title", "")}

    def summary(self, trigger, labels):
        return (
            _("only tasks set by robots") if (trigger.params or {}).get("robot_tasks_only") else ""
        )


class FieldChanged(TriggerKind):
    code = FIELD_CHANGED
    label = _lazy("Field changed")
    when = _lazy("when a field of the card changes")
    params_schema = {
        "fields": {"type": "fields", "label": _lazy("Fields"), "required": True},
        **COMMON_PARAMS,
    }

    def validate(self, trigger, params):
        codes = params.get("fields")
        if not isinstance(codes, list) or not all(isinstance(code, str) for code in codes):
            raise ValidationError({"fields": _("choose fields.")})
        model = _model(trigger)
        definitions = definitions_for(entity_of_model(model))
        unknown = [code for code in codes if field_spec(model, code, definitions) is None]
        if unknown:
            raise ValidationError(
                {"fields": _("unknown fields: %(codes)s.") % {"codes": ", ".join(unknown)}}
            )

    def matches(self, trigger, card, context):
        return bool(set(_codes((trigger.params or {}).get("fields"))) & set(context["fields"]))

    def why(self, trigger, card, context):
        wanted = set(_codes((trigger.params or {}).get("fields")))
        labels = [label for code, label in context.get("labels", ()) if code in wanted]
        return _("changed: %(fields)s") % {"fields": ", ".join(labels)}

    def summary(self, trigger, labels):
        return ", ".join(labels.get(code, code) for code in _codes(trigger.params.get("fields")))


ACTIVITY_KINDS = [("call", _lazy("a call")), ("email", _lazy("an e-mail"))]
MOMENTS = [("created", _lazy("logged")), ("completed", _lazy("completed"))]


class ClientActivity(TriggerKind):
    code = CLIENT_ACTIVITY
    label = _lazy("Call or e-mail of the client")
    when = _lazy("when a call or e-mail of the client is logged on the card")
    params_schema = {
        "activity": {
            "type": "choice",
            "label": _lazy("Activity (empty: either)"),
            "choices": ACTIVITY_KINDS,
        },
        "moment": {
            "type": "choice",
            "label": _lazy("When it is (empty: either)"),
            "choices": MOMENTS,
        },
        **COMMON_PARAMS,
    }

    def matches(self, trigger, card, context):
        params = trigger.params or {}
        kind = context.get("activity_kind")
        return (
            kind in dict(ACTIVITY_KINDS)
            and params.get("activity", kind) in ("", kind)
            and params.get("moment", context.get("moment")) in ("", context.get("moment"))
        )

    def why(self, trigger, card, context):
        kind = dict(ACTIVITY_KINDS).get(context.get("activity_kind"), "")
        moment = dict(MOMENTS).get(context.get("moment"), "")
        return _("%(activity)s “%(subject)s” %(moment)s") % {
            "activity": capfirst(kind),
            "subject": context.get("subject", ""),
            "moment": moment,
        }

    def summary(self, trigger, labels):
        params = trigger.params or {}
        parts = [
            str(dict(ACTIVITY_KINDS).get(params.get("activity"), "")),
            str(dict(MOMENTS).get(params.get("moment"), "")),
        ]
        return " ".join(part for part in parts if part)


class LeadFromSource(TriggerKind):
    code = LEAD_FROM_SOURCE
    label = _lazy("Lead from a channel")
    when = _lazy("when a lead arrives from one of the sources (web form, e-mail, phone…)")
    entities = ("lead",)
    params_schema = {
        "sources": {"type": "sources", "label": _lazy("Sources"), "required": True},
        **COMMON_PARAMS,
    }

    def validate(self, trigger, params):
        ids = params.get("sources")
        if not isinstance(ids, list) or not all(
            isinstance(item, int) and not isinstance(item, bool) for item in ids
        ):
            raise ValidationError({"sources": _("choose sources.")})
        if Source.objects.filter(pk__in=ids).count() != len(set(ids)):
            raise ValidationError({"sources": _("a chosen source does not exist.")})

    def matches(self, trigger, card, context):
        return card.source_id is not None and card.source_id in (trigger.params or {}).get(
            "sources", []
        )

    def why(self, trigger, card, context):
        return _("a lead arrived from “%(source)s”") % {"source": card.source}

    def summary(self, trigger, labels):
        ids = set((trigger.params or {}).get("sources", []))
        names = getattr(trigger, "source_names", ())
        return ", ".join(name for pk, name in names if pk in ids)


class DateReached(TriggerKind):
    code = DATE_REACHED
    label = _lazy("Date reached")
    when = _lazy("when a date of the card is reached")
    params_schema = {
        "field": {"type": "field", "label": _lazy("Date field"), "required": True},
        "offset": {"type": "integer", "label": _lazy("Days after the date (minus is before)")},
        **COMMON_PARAMS,
    }

    def validate(self, trigger, params):
        model = _model(trigger)
        spec = field_spec(model, str(params.get("field", "")), definitions_for_model(model))
        if spec is None or spec.kind not in (Kind.DATE, Kind.DATETIME) or spec.multiple:
            raise ValidationError({"field": _("choose a date field.")})

    def why(self, trigger, card, context):
        offset = int((trigger.params or {}).get("offset") or 0)
        return _("%(field)s %(date)s, %(offset)s days after it, is reached") % {
            "field": capfirst(context.get("label", "")),
            "date": context.get("date", ""),
            "offset": offset,
        }

    def summary(self, trigger, labels):
        params = trigger.params or {}
        field = labels.get(params.get("field", ""), params.get("field", ""))
        offset = int(params.get("offset") or 0)
        if offset > 0:
            return _("%(n)s days after “%(field)s”") % {"n": offset, "field": field}
        if offset < 0:
            return _("%(n)s days before “%(field)s”") % {"n": -offset, "field": field}
        return _("on “%(field)s”") % {"field": field}


def definitions_for_model(model):
    return definitions_for(entity_of_model(model))


class InboundWebhook(TriggerKind):
    code = INBOUND_WEBHOOK
    label = _lazy("Inbound webhook")
    when = _lazy("when another system calls the trigger’s address")

    def why(self, trigger, card, context):
        return _("the inbound webhook was called")


for _kind in (
    TaskCompleted(),
    FieldChanged(),
    ClientActivity(),
    LeadFromSource(),
    DateReached(),
    InboundWebhook(),
):
    register(_kind)
