"""Notifying employees from a robot: the card's responsible, the head of the responsible's
department or chosen employees get a line in their notifications linking to the card. Each
notification is keyed by the run id, so a retried run never notifies anybody twice."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from voronka.automation.actions.base import Action, ActionSkipped, Outcome, register
from voronka.automation.actions.builtin import template_context
from voronka.automation.templating import render

RESPONSIBLE = "responsible"
HEAD = "head"
EMPLOYEES = "employees"


class Notify(Action):
    code = "notify"
    label = _lazy("Notify employees")
    params_schema = {
        "text": {"type": "template", "label": _lazy("Text"), "required": True},
        "to": {
            "type": "choice",
            "label": _lazy("Whom"),
            "choices": [
                (RESPONSIBLE, _lazy("the card’s responsible")),
                (HEAD, _lazy("the head of the responsible")),
                (EMPLOYEES, _lazy("the chosen employees")),
            ],
        },
        "employees": {"type": "employees", "label": _lazy("Employees")},
    }

    def validate(self, robot, params):
        if params.get("to") == EMPLOYEES and not params.get("employees"):
            raise ValidationError({"employees": _("Choose the employees to notify.")})

    def recipients(self, card, params) -> list:
        to = params.get("to") or RESPONSIBLE
        users = get_user_model().objects.filter(is_active=True)
        if to == EMPLOYEES:
            return list(users.filter(pk__in=params.get("employees") or []).order_by("pk"))
        responsible = card.responsible
        if to == HEAD:
            from voronka.notifications.services import heads_of

            head_id = heads_of([responsible]).get(responsible.pk)
            return list(users.filter(pk=head_id)) if head_id else []
        return [responsible] if responsible.is_active else []

    def perform(self, run, card, params):
        from voronka.notifications.services import notify

        text = render(params["text"], template_context(card))
        if not text:
            raise ActionSkipped(_("The notification came out empty."))
        recipients = self.recipients(card, params)
        if not recipients:
            raise ActionSkipped(_("There is nobody to notify."))
        sent = [
            user
            for user in recipients
            if notify(recipient=user, text=text, card=card, kind="robot", key=f"robot-run:{run.pk}")
        ]
        names = ", ".join(str(user) for user in recipients)
        if not sent:
            return Outcome(_("Already notified: %(names)s.") % {"names": names})
        return Outcome(
            _("Notified %(names)s: %(text)s") % {"names": names, "text": text[:200]},
            {"recipients": [user.pk for user in recipients]},
        )


def register_notify_action() -> None:
    register(Notify())
