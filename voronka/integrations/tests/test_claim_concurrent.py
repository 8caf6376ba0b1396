"""Two workers draining the same deliveries at once on PostgreSQL: each delivery is posted
exactly once (rows locked with SKIP LOCKED while claimed, then leased)."""

import threading
from collections import Counter

import pytest
from django.db import connection, connections

from voronka.integrations.models import DeliveryStatus, WebhookDelivery
from voronka.integrations.services import deliver_due, deliveries_enqueue
from voronka.integrations.tests.factories import WebhookSubscriptionFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks with SKIP LOCKED need PostgreSQL"
)
def test_two_concurrent_workers_deliver_each_delivery_once(receiver):
    receiver.delay = 0.01
    subscriptions = [WebhookSubscriptionFactory(target_url=receiver.url) for _ in range(2)]
    for number in range(40):
        deliveries_enqueue(
            event_type="deal.created",
            payload={"type": "deal.created", "data": {"id": number}},
            subscriptions=subscriptions,
        )
    done: dict[str, int] = {}
    start = threading.Barrier(2)

    def work(name: str) -> None:
        try:
            start.wait()
            done[name] = deliver_due(worker_id=name, batch=5)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=work, args=(f"w{i}",)) for i in (1, 2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    posted = Counter(request.headers["X-Voronka-Delivery"] for request in receiver.requests)
    assert len(posted) == 80
    assert set(posted.values()) == {1}
    assert sum(done.values()) == 80
    # Both took part.
    assert all(done.get(name) for name in ("w1", "w2")), done
    assert set(WebhookDelivery.objects.values_list("status", "attempts")) == {
        (DeliveryStatus.DELIVERED, 1)
    }
