"""Actions that take time: wait until a condition holds, and remind every few days until a
field is filled. Both keep their run planned between rounds (``ActionWaiting``): the same run
id, visible on the card as waiting, cancelled when the card leaves the stage."""

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from voronka.automation import conditions
from voronka.automation.actions.base import (
    Action,
    ActionSkipped,
    ActionWaiting,
    Outcome,
    action_now,
    effect_once,
    iteration,
    register,
)
from voronka.automation.actions.builtin import _model_of, template_context
from voronka.automation.fields import definitions_of, entity_of_model, field_spec, raw_value
from voronka.automation.templating import render
from voronka.automation.timing import duration
from voronka.customization.validation import definitions_for
from voronka.timeline.models import EntryKind
from voronka.timeline.services import entry_add


def _at(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%d.%m.%Y %H:%M")


def _positive(params, name: str, errors: dict[str, list[str]]) -> None:
    value = params.get(name)
    if value is not None and value < 1:
        errors.setdefault(name, []).append(_("At least 1."))


class WaitUntil(Action):
    """Wait until the robot's condition holds, checking every ``every_minutes``; then the run
    is done and the robots after this one on the stage start (they are held until then). After
    ``timeout_days`` without the condition holding, the run is skipped with the reason — and
    the robots after it start too, as in Bitrix24 when a wait runs out."""

    code = "wait_until"
    label = _lazy("Wait until the rules under “If” hold")
    holds_following = True
    waits_for_condition = True
    params_schema = {
        "every_minutes": {
            "type": "integer",
            "label": _lazy("Check every (minutes)"),
            "required": True,
        },
        "timeout_days": {"type": "integer", "label": _lazy("Give up after (days)")},
    }

    def validate(self, robot, params):
        errors: dict[str, list[str]] = {}
        _positive(params, "every_minutes", errors)
        _positive(params, "timeout_days", errors)
        if not (robot.condition or {}).get("rules"):
            errors.setdefault("every_minutes", []).append(
                _("Set the condition to wait for in the robot's condition.")
            )
        if errors:
            raise ValidationError(errors)

    def perform(self, run, card, params):
        now = action_now()
        held, trace = conditions.evaluate(card, run.robot.condition, definitions_of(card))
        rounds = iteration(run)
        if held:
            return Outcome(
                _("The condition holds: %(why)s") % {"why": trace["text"]}, {"checks": rounds + 1}
            )
        since = (run.trace or {}).get("waiting_since")
        started = datetime.datetime.fromisoformat(since) if since else now
        if params.get("timeout_days"):
            deadline = started + datetime.timedelta(days=params["timeout_days"])
            if now >= deadline:
                raise ActionSkipped(
                    _("Gave up waiting after %(time)s: %(why)s")
                    % {"time": duration(params["timeout_days"], "days"), "why": trace["text"]}
                )
        until = now + datetime.timedelta(minutes=params["every_minutes"])
        raise ActionWaiting(
            until,
            _("%(why)s; next check at %(at)s.") % {"why": trace["text"], "at": _at(until)},
        )


REMIND_TASK = "task"
REMIND_COMMENT = "comment"
DEFAULT_TIMES = 10


class RepeatReminder(Action):
    """Every ``every_days`` days create a task for the responsible (or write a comment) with
    the templated ``text``, until ``field`` is filled; at most ``max_times`` reminders. The
    first reminder goes out when the robot runs (its timing sets when)."""

    code = "repeat_reminder"
    label = _lazy("Remind until a field is filled")
    params_schema = {
        "field": {"type": "field", "label": _lazy("Until this field is filled"), "required": True},
        "text": {"type": "template", "label": _lazy("Reminder"), "required": True},
        "every_days": {"type": "integer", "label": _lazy("Every (days)"), "required": True},
        "remind_with": {
            "type": "choice",
            "label": _lazy("Remind with"),
            "choices": [
                (REMIND_TASK, _lazy("a task for the responsible")),
                (REMIND_COMMENT, _lazy("a comment in the timeline")),
            ],
        },
        "max_times": {"type": "integer", "label": _lazy("At most (times, 10 if empty)")},
    }

    def validate(self, robot, params):
        errors: dict[str, list[str]] = {}
        _positive(params, "every_days", errors)
        _positive(params, "max_times", errors)
        model = _model_of(robot)
        spec = field_spec(model, str(params["field"]), definitions_for(entity_of_model(model)))
        if spec is None:
            errors.setdefault("field", []).append(_("Unknown field."))
        if errors:
            raise ValidationError(errors)

    def perform(self, run, card, params):
        spec = field_spec(type(card), params["field"], definitions_of(card))
        if spec is None:
            raise ActionSkipped(_("The field “%(field)s” no longer exists.") % params)
        label = capfirst(spec.label)
        sent = iteration(run)
        if raw_value(card, spec) is not None:
            return Outcome(
                _("“%(field)s” is filled; reminders sent: %(n)s.") % {"field": label, "n": sent},
                {"reminders": sent},
            )
        limit = params.get("max_times") or DEFAULT_TIMES
        if sent >= limit:
            return Outcome(
                _("Stopped after %(n)s reminders; “%(field)s” is still empty.")
                % {"n": sent, "field": label},
                {"reminders": sent},
            )
        text = render(params["text"], template_context(card)) or label
        self._remind(run, card, params.get("remind_with") or REMIND_TASK, text, sent)
        if sent + 1 >= limit:
            return Outcome(
                _("Reminder %(n)s sent; it was the last one.") % {"n": sent + 1},
                {"reminders": sent + 1},
            )
        until = action_now() + datetime.timedelta(days=params["every_days"])
        raise ActionWaiting(
            until,
            _("“%(field)s” is empty; reminder %(n)s sent, the next on %(at)s.")
            % {"field": label, "n": sent + 1, "at": _at(until)},
        )

    @staticmethod
    def _remind(run, card, mode: str, text: str, number: int) -> None:
        if mode == REMIND_COMMENT:
            if effect_once(run, f"reminder:{number}"):
                entry_add(
                    actor=None,
                    card=card,
                    kind=EntryKind.COMMENT,
                    text=text,
                    payload={"robot_run_id": run.pk, "robot": run.robot.name},
                )
            return
        from voronka.tasks.services import task_create

        # The task of each round is keyed by the run and the round: a retry finds it.
        task_create(
            actor=None,
            title=text[:255],
            responsible=card.responsible,
            card=card,
            robot_run_id=f"{run.pk}:{number}",
        )


def register_flow_actions() -> None:
    register(WaitUntil())
    register(RepeatReminder())
