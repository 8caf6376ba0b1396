import pytest

from voronka.core.events import events
from voronka.tasks.events import TaskEvent


@pytest.fixture
def published():
    """Task events delivered to subscribers during the test, in order (wrap the calls in
    ``django_capture_on_commit_callbacks(execute=True)``)."""
    received: list[TaskEvent] = []
    events.subscribe(TaskEvent, received.append)
    yield received
    events.unsubscribe(TaskEvent, received.append)
