from celery import shared_task

from voronka.core.services import heartbeat_record


@shared_task(name="core.worker_heartbeat", ignore_result=True)
def worker_heartbeat() -> None:
    """Sent by the scheduler every minute and run by a worker: proves both are alive."""
    heartbeat_record(name="worker")
