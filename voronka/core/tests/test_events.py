from dataclasses import FrozenInstanceError, dataclass

import pytest
from django.db import transaction

from voronka.core.events import DomainEvent, EventRegistry


@dataclass(frozen=True, kw_only=True)
class SomethingHappened(DomainEvent):
    card_id: int


@dataclass(frozen=True, kw_only=True)
class SomethingSpecialHappened(SomethingHappened):
    pass


@pytest.fixture
def registry():
    return EventRegistry()


class Oops(RuntimeError):
    pass


@pytest.mark.django_db(transaction=True)
def test_handlers_run_only_after_commit(registry):
    received = []
    registry.subscribe(SomethingHappened, received.append)

    with transaction.atomic():
        registry.publish(SomethingHappened(actor_id=None, card_id=1))
        assert received == []

    assert [event.card_id for event in received] == [1]


@pytest.mark.django_db(transaction=True)
def test_handlers_do_not_run_after_rollback(registry):
    received = []
    registry.subscribe(SomethingHappened, received.append)

    with pytest.raises(Oops), transaction.atomic():
        registry.publish(SomethingHappened(actor_id=None, card_id=1))
        raise Oops

    assert received == []


@pytest.mark.django_db(transaction=True)
def test_rolled_back_savepoint_drops_its_events_but_keeps_the_outer_ones(registry):
    received = []
    registry.subscribe(SomethingHappened, received.append)

    with transaction.atomic():
        registry.publish(SomethingHappened(actor_id=None, card_id=1))
        with pytest.raises(Oops), transaction.atomic():
            registry.publish(SomethingHappened(actor_id=None, card_id=2))
            raise Oops

    assert [event.card_id for event in received] == [1]


def test_a_failing_handler_does_not_stop_the_others(registry, caplog):
    received = []

    def failing(event):
        raise Oops("handler bug")

    registry.subscribe(SomethingHappened, failing)
    registry.subscribe(SomethingHappened, received.append)

    registry.dispatch(SomethingHappened(actor_id=None, card_id=1))

    assert [event.card_id for event in received] == [1]
    assert "failed" in caplog.text


def test_handlers_of_a_base_class_hear_subclass_events(registry):
    everything, special = [], []
    registry.subscribe(DomainEvent, everything.append)
    registry.subscribe(SomethingSpecialHappened, special.append)

    registry.dispatch(SomethingHappened(actor_id=None, card_id=1))
    registry.dispatch(SomethingSpecialHappened(actor_id=None, card_id=2))

    assert [event.card_id for event in everything] == [1, 2]
    assert [event.card_id for event in special] == [2]


def test_subscribing_twice_delivers_once_and_unsubscribe_stops_delivery(registry):
    received = []
    registry.subscribe(SomethingHappened, received.append)
    registry.subscribe(SomethingHappened, received.append)
    registry.dispatch(SomethingHappened(actor_id=None, card_id=1))
    registry.unsubscribe(SomethingHappened, received.append)
    registry.dispatch(SomethingHappened(actor_id=None, card_id=2))

    assert [event.card_id for event in received] == [1]


def test_events_are_immutable_and_timestamped():
    event = SomethingHappened(actor_id=5, card_id=1)
    assert event.occurred_at.tzinfo is not None
    with pytest.raises(FrozenInstanceError):
        event.card_id = 2  # type: ignore[misc]


@pytest.mark.django_db(transaction=True)
def test_in_transaction_handlers_run_at_once_and_their_failure_aborts_the_write(registry):
    received = []

    def refuse(event):
        received.append(event.card_id)
        raise Oops

    def record(event):
        received.append(event.card_id)

    registry.subscribe(SomethingHappened, record, in_transaction=True)
    with transaction.atomic():
        registry.publish(SomethingHappened(actor_id=None, card_id=1))
        assert received == [1]

    registry.unsubscribe(SomethingHappened, record)
    registry.subscribe(SomethingHappened, refuse, in_transaction=True)
    with pytest.raises(Oops), transaction.atomic():
        registry.publish(SomethingHappened(actor_id=None, card_id=2))
    assert received == [1, 2]
