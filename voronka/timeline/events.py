"""What happens on a card's feed, for automation, webhooks and notifications.

``card_type`` is the card model's name (``lead``, ``deal``, ``contact``, ``company``);
``activity_kind`` is one of ``ActivityKind`` (call, meeting, e-mail, to-do).
"""

from dataclasses import dataclass

from voronka.core.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class ActivityEvent(DomainEvent):
    """Base class: subscribe to it to hear every activity event."""

    activity_id: int
    activity_kind: str
    card_type: str
    card_id: int


@dataclass(frozen=True, kw_only=True)
class ActivityCreated(ActivityEvent):
    """A call, meeting, e-mail or to-do was logged (planned) on a card."""


@dataclass(frozen=True, kw_only=True)
class ActivityCompleted(ActivityEvent):
    """An activity of a card was marked done with its result."""


@dataclass(frozen=True, kw_only=True)
class CommentAdded(DomainEvent):
    """A comment was written on a card's feed."""

    entry_id: int
    card_type: str
    card_id: int
