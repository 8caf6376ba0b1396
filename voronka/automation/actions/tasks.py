"""Creating a task from a robot, through the tasks app's service. The task is keyed by the run
id there (``robot_run_id`` is unique), so a retried run finds the task it already created."""

import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from voronka.automation.actions.base import Action, ActionSkipped, Outcome, register
from voronka.automation.actions.builtin import template_context
from voronka.automation.templating import render
from voronka.automation.timing import UNITS, next_working_moment

ROLE_CARD = "card"
ROLE_HEAD = "head"
ROLE_CHOSEN = "chosen"


class CreateTask(Action):
    """A task on the card for its responsible, their head (a control task: "check that the
    client got the offer") or a chosen employee; with ``unless_open`` not when that person has
    the same task open on the card already."""

    code = "create_task"
    label = _lazy("Create a task")
    params_schema = {
        "title": {"type": "template", "label": _lazy("Title"), "required": True},
        "description": {"type": "template", "label": _lazy("Description")},
        "responsible_role": {
            "type": "choice",
            "label": _lazy("For"),
            "choices": [
                (ROLE_CARD, _lazy("the card's responsible")),
                (ROLE_HEAD, _lazy("the head of the card's responsible")),
                (ROLE_CHOSEN, _lazy("the chosen employee")),
            ],
        },
        # Empty: the card's responsible (or the role above).
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
        "unless_open": {
            "type": "boolean",
            "label": _lazy("Not if the same task is open"),
        },
    }

    def validate(self, robot, params):
        if params.get("responsible_role") == ROLE_CHOSEN and not params.get("responsible"):
            raise ValidationError({"responsible": _("Choose the employee.")})

    @staticmethod
    def responsible_for(card, params):
        """The task's responsible by the role the robot names; ActionSkipped when there is
        nobody (no head above the card's responsible, an employee who left)."""
        role = params.get("responsible_role") or (
            ROLE_CHOSEN if params.get("responsible") else ROLE_CARD
        )
        if role == ROLE_HEAD:
            from voronka.staff.selectors import head_of

            head = head_of(card.responsible)
            if head is None or not head.is_active:
                raise ActionSkipped(
                    _("%(name)s has no head to give the task to.") % {"name": card.responsible}
                )
            return head
        if role == ROLE_CHOSEN:
            chosen = (
                get_user_model().objects.filter(pk=params["responsible"], is_active=True).first()
            )
            if chosen is None:
                raise ActionSkipped(_("The chosen responsible is no longer active."))
            return chosen
        return card.responsible

    def perform(self, run, card, params):
        from voronka.tasks.services import task_create, task_of_run

        responsible = self.responsible_for(card, params)
        context = template_context(card)
        title = render(params["title"], context)[:255]
        if params.get("unless_open") and task_of_run(run.pk) is None:
            open_task = self.open_task(card, responsible, title)
            if open_task is not None:
                raise ActionSkipped(
                    _("%(name)s already has the open task “%(title)s” (No. %(id)s) here.")
                    % {"name": responsible, "title": title, "id": open_task.pk}
                )
        deadline = None
        if params.get("deadline_amount"):
            unit = UNITS[params.get("deadline_unit") or "days"]
            deadline = timezone.now() + datetime.timedelta(**{unit: params["deadline_amount"]})
            if params.get("working_hours"):
                deadline = next_working_moment(deadline)
        task = task_create(
            actor=None,
            title=title,
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

    @staticmethod
    def open_task(card, responsible, title):
        from django.contrib.contenttypes.models import ContentType

        from voronka.tasks.models import OPEN_STATUSES, Task

        return Task.objects.filter(
            card_type=ContentType.objects.get_for_model(card),
            card_id=card.pk,
            responsible=responsible,
            title=title,
            status__in=OPEN_STATUSES,
        ).first()


def register_task_action() -> None:
    register(CreateTask())
