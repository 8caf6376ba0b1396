"""Creating a task from a robot, through the tasks app's service. The task is keyed by the run
id there (``robot_run_id`` is unique), so a retried run finds the task it already created."""

import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from voronka.automation.actions.base import Action, ActionSkipped, Outcome, register
from voronka.automation.actions.builtin import template_context
from voronka.automation.templating import render
from voronka.automation.timing import UNITS, next_working_moment


class CreateTask(Action):
    code = "create_task"
    label = _lazy("Create a task")
    params_schema = {
        "title": {"type": "template", "label": _lazy("Title"), "required": True},
        "description": {"type": "template", "label": _lazy("Description")},
        # Empty: the card's responsible.
        "responsible": {"type": "integer", "label": _lazy("Responsible")},
        "deadline_amount": {"type": "integer", "label": _lazy("Deadline in")},
        "deadline_unit": {
            "type": "choice",
            "label": _lazy("Unit"),
            "choices": [
                ("minutes", _lazy("minutes")),
                ("hours", _lazy("hours")),
                ("days", _lazy("days")),
            ],
        },
        "working_hours": {"type": "boolean", "label": _lazy("Deadline in working hours")},
        "requires_control": {"type": "boolean", "label": _lazy("Check the result")},
    }

    def perform(self, run, card, params):
        from voronka.tasks.services import task_create

        responsible = card.responsible
        if params.get("responsible"):
            responsible = (
                get_user_model().objects.filter(pk=params["responsible"], is_active=True).first()
            )
            if responsible is None:
                raise ActionSkipped(_("The chosen responsible is no longer active."))
        deadline = None
        if params.get("deadline_amount"):
            unit = UNITS[params.get("deadline_unit") or "days"]
            deadline = timezone.now() + datetime.timedelta(**{unit: params["deadline_amount"]})
            if params.get("working_hours"):
                deadline = next_working_moment(deadline)
        context = template_context(card)
        task = task_create(
            actor=None,
            title=render(params["title"], context)[:255],
            description=render(params.get("description") or "", context),
            responsible=responsible,
            deadline=deadline,
            requires_control=bool(params.get("requires_control")),
            card=card,
            robot_run_id=run.pk,
        )
        return Outcome(
            _("Task “%(title)s” for %(name)s.") % {"title": task.title, "name": responsible},
            {"task_id": task.pk},
        )


def register_task_action() -> None:
    register(CreateTask())
