import pytest

from voronka.core.events import DomainEvent, events


@pytest.fixture
def published():
    """Domain events delivered to subscribers during the test, in order.

    Delivery happens on commit: wrap the calls in ``django_capture_on_commit_callbacks(
    execute=True)`` so the test transaction's on-commit callbacks run.
    """
    received: list[DomainEvent] = []
    events.subscribe(DomainEvent, received.append)
    yield received
    events.unsubscribe(DomainEvent, received.append)
