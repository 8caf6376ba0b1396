"""The actions robots perform, in one registry.

An action has a ``code``, a ``label``, a ``params_schema`` (validated when a robot is saved and,
later, read by the editor to build its form) and ``perform(run, card, params) -> Outcome``.
Another app adds its own actions with ``register()`` from its ``AppConfig.ready`` — the task
action of the tasks app is meant to arrive that way.
"""

from voronka.automation.actions.base import (
    Action,
    ActionFailed,
    ActionSkipped,
    ActionWaiting,
    Outcome,
    all_actions,
    effect_once,
    get_action,
    iteration,
    register,
    validate_params,
)

__all__ = [
    "Action",
    "ActionFailed",
    "ActionSkipped",
    "ActionWaiting",
    "Outcome",
    "all_actions",
    "effect_once",
    "get_action",
    "iteration",
    "register",
    "validate_params",
]
