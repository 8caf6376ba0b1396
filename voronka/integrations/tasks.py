import os
import socket
import uuid

from celery import shared_task

from voronka.integrations.services import deliver_due as deliver_due_deliveries
from voronka.integrations.services import deliveries_purge


def worker_name(prefix: str = "celery") -> str:
    return f"{prefix}:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@shared_task(name="integrations.deliver_due", ignore_result=True)
def deliver_due() -> int:
    """Send the due webhook deliveries. Sent by the scheduler periodically and on commit of a
    change that produced an event somebody subscribed to; a time budget leaves the worker to
    others."""
    return deliver_due_deliveries(worker_id=worker_name(), max_seconds=50)


@shared_task(name="integrations.purge_deliveries", ignore_result=True)
def purge_deliveries() -> int:
    """Keep the delivery log to ``WEBHOOKS_KEEP_DAYS``; sent by the scheduler daily."""
    return deliveries_purge()
