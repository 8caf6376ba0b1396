"""The action registry, parameter schemas and the run-keyed effect guard."""

from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
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


class Action:
    code: ClassVar[str]
    label: ClassVar[Any]
    # Each parameter: {"type": text|template|integer|boolean|choice|stage|employees|
    # department|field_values, "label": ..., "required": bool, "choices": [...]}.
    params_schema: ClassVar[dict[str, dict[str, Any]]] = {}

    def validate(self, robot: Robot, params: dict[str, Any]) -> None:
        """Checks beyond the schema (a stage of the robot's pipeline…); raise ValidationError."""

    def perform(self, run: RobotRun, card: models.Model, params: dict[str, Any]) -> Outcome:
        raise NotImplementedError


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
    elif kind in ("integer", "stage", "department"):
        if isinstance(value, bool) or not isinstance(value, int):
            return _("choose a value.")
    elif kind == "boolean":
        if not isinstance(value, bool):
            return _("choose yes or no.")
    elif kind == "choice":
        if value not in [choice for choice, _label in spec.get("choices", ())]:
            return _("choose one of the options.")
    elif kind == "employees":
        if not isinstance(value, list) or not all(
            isinstance(item, int) and not isinstance(item, bool) for item in value
        ):
            return _("choose employees.")
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
