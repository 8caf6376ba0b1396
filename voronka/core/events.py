"""Domain events: small dataclasses published after commit through one explicit registry.

Subscribers (automation, webhooks, notifications) register handlers per event class. A handler
runs only once the transaction that produced the event has committed, so it never sees state
that may still be rolled back.
"""

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    actor_id: int | None
    occurred_at: datetime = field(default_factory=timezone.now)


Handler = Callable[[DomainEvent], None]


class EventRegistry:
    def __init__(self) -> None:
        self._handlers: dict[type[DomainEvent], list[Handler]] = defaultdict(list)

    def subscribe(self, event_type: type[DomainEvent], handler: Handler) -> None:
        if handler not in self._handlers[event_type]:
            self._handlers[event_type].append(handler)

    def unsubscribe(self, event_type: type[DomainEvent], handler: Handler) -> None:
        if handler in self._handlers[event_type]:
            self._handlers[event_type].remove(handler)

    def publish(self, event: DomainEvent) -> None:
        """Deliver ``event`` to its subscribers once the current transaction commits."""
        transaction.on_commit(lambda: self.dispatch(event))

    def dispatch(self, event: DomainEvent) -> None:
        for event_type in type(event).__mro__:
            for handler in list(self._handlers.get(event_type, ())):
                # One failing subscriber must not stop the others from hearing the event.
                try:
                    handler(event)
                except Exception:
                    logger.exception("Handler %r failed for %r", handler, event)


events = EventRegistry()
publish = events.publish
subscribe = events.subscribe
