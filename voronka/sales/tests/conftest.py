import pytest

from voronka.core.events import DomainEvent, events
from voronka.sales.models import PipelineEntity
from voronka.sales.services import pipelines_ensure_defaults
from voronka.sales.tests.factories import LossReasonFactory


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


@pytest.fixture
def pipelines(db):
    """The default lead and deal pipelines of a fresh installation."""
    return pipelines_ensure_defaults()


@pytest.fixture
def lead_pipeline(pipelines):
    assert pipelines[0].entity == PipelineEntity.LEAD
    return pipelines[0]


@pytest.fixture
def deal_pipeline(pipelines):
    return pipelines[1]


@pytest.fixture
def loss_reason(db):
    return LossReasonFactory(name="Дорого")
