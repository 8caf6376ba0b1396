"""Domain events: small dataclasses published after commit through one explicit registry.

Subscribers (automation, webhooks, notifications) register handlers per event class. A handler
runs only once the transaction that produced the event has committed, so it never sees state
that may still be rolled back.

A handler registered with ``in_transaction=True`` runs instead at once, inside the transaction
that publishes the event: what it writes (a robot run, an outbox row) commits or rolls back
together with the change itself, so a crash between the two can never lose it. Such handlers
must be quick and must not talk to the outside world; an exception in one aborts the write.
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
        self._in_transaction: dict[type[DomainEvent], list[Handler]] = defaultdict(list)

    def subscribe(
        self, event_type: type[DomainEvent], handler: Handler, *, in_transaction: bool = False
    ) -> None:
        handlers = (self._in_transaction if in_transaction else self._handlers)[event_type]
        if handler not in handlers:
            handlers.append(handler)

    def unsubscribe(self, event_type: type[DomainEvent], handler: Handler) -> None:
        for registry in (self._handlers, self._in_transaction):
            if handler in registry[event_type]:
                registry[event_type].remove(handler)

    def publish(self, event: DomainEvent) -> None:
        """Run the in-transaction handlers of ``event`` now, then deliver it to the other
        subscribers once the current transaction commits."""
        for event_type in type(event).__mro__:
            for handler in list(self._in_transaction.get(event_type, ())):
                handler(event)
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
