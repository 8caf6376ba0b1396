"""The actions of this release: comment, set fields, move to a stage, e-mail the client,
assign the responsible. Every write goes through the sales and timeline services with the
system as the actor, so required fields, history and events hold as for a person."""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from voronka.automation.actions.base import (
    Action,
    ActionSkipped,
    ExternalAction,
    Outcome,
    effect_once,
    register,
)
from voronka.automation.assignment import DEPARTMENT, LEAST_LOADED, ROUND_ROBIN, choose_responsible
from voronka.automation.expressions import evaluate, names_in
from voronka.automation.fields import (
    card_values,
    definitions_of,
    entity_of_model,
    field_spec,
    number_values,
)
from voronka.automation.models import Robot
from voronka.automation.templating import compile_template, render
from voronka.contacts.models import Communication, CommunicationKind, Contact
from voronka.customization.validation import definitions_for
from voronka.sales.models import Deal, Lead, LossReason, Stage, StageKind
from voronka.sales.services import (
    deal_change_pipeline,
    deal_move_to_stage,
    deal_update,
    lead_move_to_stage,
    lead_update,
)
from voronka.timeline.models import EntryKind
from voronka.timeline.services import entry_add


def template_context(card: models.Model) -> dict[str, Any]:
    """``deal`` (or ``lead``) and ``card``: the card's fields as plain values."""
    values = card_values(card)
    return {type(card)._meta.model_name: values, "card": values}


def _model_of(robot: Robot) -> type[models.Model]:
    return Lead if robot.pipeline.entity == "lead" else Deal


class AddComment(Action):
    code = "comment"
    label = _lazy("Add a comment to the timeline")
    params_schema = {"text": {"type": "template", "label": _lazy("Text"), "required": True}}

    def perform(self, run, card, params):
        text = render(params["text"], template_context(card))
        if not text:
            raise ActionSkipped(_("The comment came out empty."))
        if not effect_once(run, "comment"):
            return Outcome(_("The comment was already written."))
        entry_add(
            actor=None,
            card=card,
            kind=EntryKind.COMMENT,
            text=text,
            payload={"robot_run_id": run.pk, "robot": run.robot.name},
        )
        return Outcome(_("Comment added: %(text)s") % {"text": text[:200]})


class SetFields(Action):
    """``values``: ``[{"field": "title", "template": "…"}, {"field": "amount", "expression":
    "amount * 0.3"}, {"field": "probability", "value": 50}]``."""

    code = "set_fields"
    label = _lazy("Change fields")
    params_schema = {"values": {"type": "field_values", "label": _lazy("Fields"), "required": True}}
    # Fields that change only through their own services or never by hand.
    FORBIDDEN = {"stage", "pipeline", "created_at", "updated_at", "stage_changed_at", "closed_at"}

    def validate(self, robot, params):
        model = _model_of(robot)
        definitions = definitions_for(entity_of_model(model))
        numbers = set(number_values(model(), definitions))
        errors = []
        for item in params["values"]:
            if not isinstance(item, dict) or "field" not in item:
                errors.append(_("Each value names a field."))
                continue
            spec = field_spec(model, str(item["field"]), definitions)
            if spec is None or spec.code in self.FORBIDDEN:
                errors.append(_("A robot cannot set “%(field)s”.") % {"field": item["field"]})
                continue
            given = [key for key in ("template", "expression", "value") if key in item]
            if len(given) != 1:
                errors.append(
                    _("“%(field)s”: give one of a template, an expression or a value.")
                    % {"field": spec.label}
                )
                continue
            try:
                if "template" in item:
                    compile_template(item["template"])
                elif "expression" in item:
                    unknown = names_in(item["expression"]) - numbers
                    if unknown:
                        errors.append(
                            _("Unknown number fields: %(codes)s.")
                            % {"codes": ", ".join(sorted(unknown))}
                        )
            except ValidationError as error:
                errors.extend(error.messages)
        if errors:
            raise ValidationError({"values": errors})

    def perform(self, run, card, params):
        definitions = definitions_of(card)
        data: dict[str, Any] = {}
        custom: dict[str, Any] = {}
        context = template_context(card)
        numbers = number_values(card, definitions)
        for item in params["values"]:
            spec = field_spec(type(card), str(item["field"]), definitions)
            if "template" in item:
                value: Any = render(item["template"], context)
            elif "expression" in item:
                value = evaluate(item["expression"], numbers)
            else:
                value = item["value"]
            if spec.custom is not None:
                custom[spec.code] = str(value) if "expression" in item else value
            else:
                data[spec.model_field.attname if spec.model_field.is_relation else spec.code] = (
                    value
                )
        if custom:
            data["custom_fields"] = custom
        if not effect_once(run, "set_fields"):
            return Outcome(_("The fields were already set."))
        update = lead_update if isinstance(card, Lead) else deal_update
        key = "lead" if isinstance(card, Lead) else "deal"
        update(actor=None, **{key: card}, data=data)
        shown = ", ".join(
            f"{code} = {value}"
            for code, value in {**data, **custom}.items()
            if code != "custom_fields"
        )
        return Outcome(_("Fields set: %(values)s") % {"values": shown}, {"data": _jsonable(data)})


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value if isinstance(value, dict) else str(value) for key, value in data.items()}


class MoveToStage(Action):
    code = "move_stage"
    label = _lazy("Move to a stage")
    params_schema = {
        "stage": {"type": "stage", "label": _lazy("Stage"), "required": True},
        "loss_reason": {"type": "integer", "label": _lazy("Loss reason")},
    }

    def validate(self, robot, params):
        stage = Stage.objects.select_related("pipeline").filter(pk=params["stage"]).first()
        if stage is None or stage.pipeline.entity != robot.pipeline.entity:
            raise ValidationError(
                {
                    "stage": _("Choose a stage of a %(entity)s pipeline.")
                    % {"entity": robot.pipeline.get_entity_display().lower()}
                }
            )
        if robot.pipeline.entity == "lead" and stage.pipeline_id != robot.pipeline_id:
            raise ValidationError({"stage": _("Choose a stage of the robot's pipeline.")})
        if (
            stage.kind == StageKind.LOST
            and not LossReason.objects.filter(
                pk=params.get("loss_reason") or 0, is_active=True
            ).exists()
        ):
            raise ValidationError({"loss_reason": _("Choose why the card is lost.")})

    def perform(self, run, card, params):
        stage = Stage.objects.select_related("pipeline").get(pk=params["stage"])
        if card.stage_id == stage.pk:
            raise ActionSkipped(_("The card is already in “%(stage)s”.") % {"stage": stage})
        if not effect_once(run, "move"):
            return Outcome(_("The card was already moved."))
        loss_reason = None
        if params.get("loss_reason"):
            loss_reason = LossReason.objects.filter(pk=params["loss_reason"]).first()
        if isinstance(card, Lead):
            lead_move_to_stage(actor=None, lead=card, stage=stage, loss_reason=loss_reason)
        elif stage.pipeline_id != card.pipeline_id:
            deal_change_pipeline(
                actor=None, deal=card, pipeline=stage.pipeline, stage=stage, loss_reason=loss_reason
            )
        else:
            deal_move_to_stage(actor=None, deal=card, stage=stage, loss_reason=loss_reason)
        return Outcome(_("Moved to “%(stage)s”.") % {"stage": stage}, {"stage_id": stage.pk})


def client_email(card: models.Model) -> str | None:
    """The client's first e-mail: a lead's own (else its contact's), a deal's primary contact's."""
    owners: list[tuple[type[models.Model], int]] = []
    if isinstance(card, Lead):
        owners.append((Lead, card.pk))
        if card.contact_id:
            owners.append((Contact, card.contact_id))
    else:
        contact_ids = list(
            card.contact_links.order_by("-is_primary", "sort", "pk").values_list(
                "contact_id", flat=True
            )
        )
        owners += [(Contact, pk) for pk in contact_ids]
    for model, pk in owners:
        value = (
            Communication.objects.filter(
                card_type=ContentType.objects.get_for_model(model),
                card_id=pk,
                kind=CommunicationKind.EMAIL,
            )
            .order_by("sort", "pk")
            .values_list("value", flat=True)
            .first()
        )
        if value:
            return value
    return None


@dataclass(frozen=True)
class EmailRequest:
    to: str
    subject: str
    body: str
    message_id: str


class SendEmail(ExternalAction):
    """Sent with no database transaction open (``ExternalAction``): a slow SMTP server holds
    neither SQLite's write lock nor the card's row lock. The ``Message-ID`` is made from the run
    id, the same on every attempt: a worker that dies after sending but before recording the
    e-mail leaves the run to be taken over and sent again, and the receiving side sees the
    same message."""

    code = "send_email"
    label = _lazy("Send an e-mail to the client")
    params_schema = {
        "subject": {"type": "template", "label": _lazy("Subject"), "required": True},
        "body": {"type": "template", "label": _lazy("Text"), "required": True},
    }
    effect_key = "email"
    already_done = _lazy("The e-mail was already sent.")

    def prepare(self, run, card, params) -> EmailRequest:
        address = client_email(card)
        if not address:
            raise ActionSkipped(_("The client has no e-mail address."))
        context = template_context(card)
        return EmailRequest(
            to=address,
            subject=render(params["subject"], context).replace("\n", " "),
            body=render(params["body"], context),
            message_id=f"<robot-run-{run.pk}@voronka>",
        )

    def send_seconds(self, request) -> float:
        # Each step of the SMTP conversation (connect, TLS, login, the letter) may take up to
        # the timeout.
        return 4 * float(getattr(settings, "EMAIL_TIMEOUT", None) or 15) + 1

    def effect_details(self, request) -> dict[str, Any]:
        return {"to": request.to}

    def send(self, run, request):
        EmailMessage(
            subject=request.subject,
            body=request.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[request.to],
            headers={"Message-ID": request.message_id},
        ).send()
        return Outcome(_("E-mail sent to %(to)s.") % {"to": request.to}, {"to": request.to})

    def record(self, run, card, request, outcome):
        if card is None:
            return
        entry_add(
            actor=None,
            card=card,
            kind=EntryKind.COMMENT,
            text=_("E-mail to %(to)s: %(subject)s")
            % {"to": request.to, "subject": request.subject},
            payload={"robot_run_id": run.pk, "email_to": request.to},
        )


class AssignResponsible(Action):
    code = "assign"
    label = _lazy("Assign the responsible")
    params_schema = {
        "strategy": {
            "type": "choice",
            "label": _lazy("How"),
            "required": True,
            "choices": [
                (ROUND_ROBIN, _lazy("In turn")),
                (LEAST_LOADED, _lazy("The least loaded")),
                (DEPARTMENT, _lazy("The least loaded of a department")),
            ],
        },
        "users": {"type": "employees", "label": _lazy("Employees")},
        "department": {"type": "department", "label": _lazy("Department")},
        "any_time": {
            "type": "boolean",
            "label": _lazy("Also those outside their working hours"),
        },
    }

    def validate(self, robot, params):
        if params["strategy"] in (ROUND_ROBIN, LEAST_LOADED) and not params.get("users"):
            raise ValidationError({"users": _("Choose the employees to assign in turn.")})

    def perform(self, run, card, params):
        choice = choose_responsible(run.robot, card, params)
        details = {"candidates": choice.candidates, "why": choice.why}
        if choice.user is None:
            raise ValidationError(choice.why)
        if choice.user.pk == card.responsible_id:
            return Outcome(
                _("%(name)s stays responsible. %(why)s") % {"name": choice.user, "why": choice.why},
                details,
            )
        if not effect_once(run, "assign", {"user_id": choice.user.pk}):
            return Outcome(_("The responsible was already assigned."), details)
        update = lead_update if isinstance(card, Lead) else deal_update
        key = "lead" if isinstance(card, Lead) else "deal"
        update(actor=None, **{key: card}, data={"responsible_id": choice.user.pk})
        details["picked"] = choice.user.pk
        return Outcome(
            _("Responsible: %(name)s. %(why)s") % {"name": choice.user, "why": choice.why}, details
        )


for _action in (AddComment(), SetFields(), MoveToStage(), SendEmail(), AssignResponsible()):
    register(_action)
