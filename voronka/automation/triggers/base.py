"""The registry of trigger kinds: the events that move a card.

A kind has a ``code``, a ``label``, a ``params_schema`` in the parameter types of the robots'
actions (so the editor generates its form with the same code and ``validate_params`` checks it)
and ``matches(trigger, card, context)``: whether an event that happened to ``card`` is the one
the trigger waits for. ``context`` carries what the event knows (the task, the changed fields…).
"""

from typing import Any, ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from voronka.automation.models import Trigger

# Parameters every kind has: a trigger moving a card into a failure stage says why it is lost.
COMMON_PARAMS: dict[str, dict[str, Any]] = {
    "loss_reason": {"type": "integer", "label": _("Loss reason (for a failure stage)")},
}


class TriggerKind:
    code: ClassVar[str]
    label: ClassVar[Any]
    # What the editor shows after “⚡”: “when a task of the card is completed”.
    when: ClassVar[Any]
    # Each parameter as for actions: {"type": ..., "label": ..., "required": bool, ...}.
    params_schema: ClassVar[dict[str, dict[str, Any]]] = dict(COMMON_PARAMS)
    # The pipelines the kind applies to: "lead", "deal" or both.
    entities: ClassVar[tuple[str, ...]] = ("lead", "deal")

    def validate(self, trigger: Trigger, params: dict[str, Any]) -> None:
        """Checks beyond the schema; raise ValidationError naming the parameter."""

    def matches(self, trigger: Trigger, card: models.Model, context: dict[str, Any]) -> bool:
        """Whether the event described by ``context`` is the one ``trigger`` waits for."""
        return True

    def why(self, trigger: Trigger, card: models.Model, context: dict[str, Any]) -> str:
        """The event in a few words for the card's feed: “the task “Call” was completed”."""
        return str(context.get("why") or self.label)

    def summary(self, trigger: Trigger, labels: dict[str, str]) -> str:
        """The trigger's parameters in a few words for the editor (may be empty)."""
        return ""


_registry: dict[str, TriggerKind] = {}


def register(kind: TriggerKind) -> TriggerKind:
    _registry[kind.code] = kind
    return kind


def get_kind(code: str) -> TriggerKind | None:
    return _registry.get(code)


def all_kinds() -> list[TriggerKind]:
    return list(_registry.values())


def kinds_for(entity: str) -> list[TriggerKind]:
    return [kind for kind in _registry.values() if entity in kind.entities]
