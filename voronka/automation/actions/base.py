"""The action registry, parameter schemas and the run-keyed effect guard."""

import contextvars
import datetime
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.automation.models import Robot, RobotRun, RunEffect
from voronka.automation.templating import compile_template


@dataclass
class Outcome:
    """What an action did, in one line for people, and its details for the trace."""

    text: str
    details: dict[str, Any] = field(default_factory=dict)


class ActionSkipped(Exception):
    """The action has nothing to do for this card (no e-mail address…): the run is skipped
    with this reason rather than failed."""


class ActionFailed(Exception):
    """The action cannot succeed by trying again (the receiving server refused the request):
    the run fails at once with this reason, without the runner's retries."""


class ActionWaiting(Exception):
    """The action is not finished: run it again at ``until``. The run goes back to planned
    with the same id (its attempts start over) and ``iteration(run)`` grows by one, so effects
    of each round are keyed ``<key>:<iteration>``. Effects made before raising are kept."""

    def __init__(self, until, reason: str) -> None:
        super().__init__(reason)
        self.until = until
        self.reason = reason


# The moment the runner executes the run at: actions that compare times (a waiting timeout)
# read it here rather than the wall clock, so the runner's ``now`` holds for them too.
_action_now: contextvars.ContextVar[datetime.datetime | None] = contextvars.ContextVar(
    "automation_action_now", default=None
)


def action_now() -> datetime.datetime:
    return _action_now.get() or timezone.now()


def set_action_now(moment: datetime.datetime) -> contextvars.Token:
    return _action_now.set(moment)


def reset_action_now(token: contextvars.Token) -> None:
    _action_now.reset(token)


def iteration(run: RobotRun) -> int:
    """How many times the run has already waited: 0 on its first execution."""
    return int((run.trace or {}).get("iteration", 0))


class Action:
    code: ClassVar[str]
    label: ClassVar[Any]
    # Each parameter: {"type": text|template|integer|boolean|choice|stage|employees|
    # department|field_values|field|fields|pipeline|pipelines, "label": ..., "required": bool,
    # "choices": [...]}. ``field``/``fields`` are card field codes,
    # ``pipeline``/``pipelines`` deal pipeline ids.
    params_schema: ClassVar[dict[str, dict[str, Any]]] = {}
    # A robot whose action holds the robots after it: those of its stage with a greater sort
    # are planned only when its run has finished (a "wait" robot).
    holds_following: ClassVar[bool] = False
    # The robot's own condition is what the action waits for, not a reason to skip the run.
    waits_for_condition: ClassVar[bool] = False
    # Talks to another server: the runner sends it outside any transaction (``ExternalAction``).
    external: ClassVar[bool] = False

    def validate(self, robot: Robot, params: dict[str, Any]) -> None:
        """Checks beyond the schema (a stage of the robot's pipeline…); raise ValidationError."""

    def perform(self, run: RobotRun, card: models.Model, params: dict[str, Any]) -> Outcome:
        raise NotImplementedError  # abstract: every registered action does its own work


class ExternalAction(Action):
    """An action that talks to another server (a webhook, an SMTP server). The runner never
    holds the database while it waits for that server:

    1. with no write transaction open it reads the run and the card, checks the stage, the
       robot and the condition, and calls ``prepare`` — the request built from the card;
    2. with no transaction open, still holding the run's lease (extended to cover
       ``send_seconds``), it calls ``send``;
    3. in one short transaction it locks the card and the run, checks the run is still its
       own, records the effect ``effect_key`` (``effect_once``), calls ``record`` and finishes
       the run.

    A worker that dies between 2 and 3 leaves the effect unrecorded: the run is taken over and
    sent again. ``send`` therefore marks the request with something derived from the run id
    (an ``Idempotency-Key``, a ``Message-ID``) that stays the same on every attempt, so the
    receiver can drop the repeat.
    """

    external = True
    # The key under which the effect is recorded (``effect_once``), one per run.
    effect_key: ClassVar[str]
    # The answer of a run whose effect is recorded already: it is not sent again.
    already_done: ClassVar[Any]

    def prepare(self, run: RobotRun, card: models.Model, params: dict[str, Any]) -> Any:
        """Everything ``send`` needs, read from the card: no writes, no network. May raise
        ActionSkipped, ActionFailed or ValidationError as ``perform`` does."""
        raise NotImplementedError

    def send(self, run: RobotRun, request: Any) -> Outcome:
        """The call to the other server, with no transaction open. An ordinary exception is
        retried with the runner's back-off; ActionFailed fails the run at once."""
        raise NotImplementedError

    def send_seconds(self, request: Any) -> float:
        """The longest ``send`` may take; the run's lease is extended to cover it."""
        return 60.0

    def effect_details(self, request: Any) -> dict[str, Any]:
        return {}

    def record(self, run: RobotRun, card: models.Model | None, request: Any, outcome: Outcome):
        """Writes that go with a successful send (a feed entry), in the finishing
        transaction; ``card`` is None when it was deleted meanwhile."""

    def perform(self, run: RobotRun, card: models.Model, params: dict[str, Any]) -> Outcome:
        """All three steps in the caller's transaction, for callers other than the runner."""
        request = self.prepare(run, card, params)
        if not effect_once(run, self.effect_key, self.effect_details(request)):
            return Outcome(str(self.already_done))
        outcome = self.send(run, request)
        self.record(run, card, request, outcome)
        return outcome


_registry: dict[str, Action] = {}


def register(action: Action) -> Action:
    _registry[action.code] = action
    return action


def get_action(code: str) -> Action | None:
    return _registry.get(code)


def all_actions() -> list[Action]:
    return list(_registry.values())


def _check_type(kind: str, value: Any, spec: dict[str, Any]) -> str | None:
    if kind in ("text", "template"):
        if not isinstance(value, str):
            return _("enter text.")
        if kind == "template":
            try:
                compile_template(value)
            except ValidationError as error:
                return " ".join(error.messages)
    elif kind in ("integer", "stage", "department", "pipeline"):
        if isinstance(value, bool) or not isinstance(value, int):
            return _("choose a value.")
    elif kind == "boolean":
        if not isinstance(value, bool):
            return _("choose yes or no.")
    elif kind == "choice":
        if value not in [choice for choice, _label in spec.get("choices", ())]:
            return _("choose one of the options.")
    elif kind in ("employees", "pipelines"):
        if not isinstance(value, list) or not all(
            isinstance(item, int) and not isinstance(item, bool) for item in value
        ):
            return _("choose employees.") if kind == "employees" else _("choose pipelines.")
    elif kind == "field":
        if not isinstance(value, str):
            return _("choose a field.")
    elif kind == "fields":
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            return _("choose fields.")
    elif kind == "field_values" and not isinstance(value, list):
        return _("give a list of fields and values.")
    return None


def validate_params(action: Action, robot: Robot, params: Any) -> dict[str, Any]:
    """Check ``params`` against the action's schema and its own rules; ValidationError with
    each problem under the parameter's name."""
    if not isinstance(params, dict):
        raise ValidationError({"params": _("Parameters are an object.")})
    errors: dict[str, list[str]] = {}
    for name in params:
        if name not in action.params_schema:
            errors.setdefault(name, []).append(_("Unknown parameter."))
    for name, spec in action.params_schema.items():
        value = params.get(name)
        if value in (None, "", []):
            if spec.get("required"):
                errors.setdefault(name, []).append(_("This parameter is required."))
            continue
        problem = _check_type(spec["type"], value, spec)
        if problem:
            errors.setdefault(name, []).append(problem)
    if errors:
        raise ValidationError(errors)
    action.validate(robot, params)
    return params


def effect_once(run: RobotRun, key: str, details: dict[str, Any] | None = None) -> bool:
    """Record that ``run`` performs the effect ``key``; False when it already did (a retried
    run). Call inside the transaction that performs the effect."""
    try:
        with transaction.atomic():
            RunEffect.objects.create(run=run, key=key, details=details or {})
    except IntegrityError:
        return False
    return True
