import os
import socket
import uuid

from celery import shared_task

from voronka.automation.services import run_due_runs


def worker_name(prefix: str = "celery") -> str:
    return f"{prefix}:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@shared_task(name="automation.run_due", ignore_result=True)
def run_due() -> int:
    """Drain the due robot runs. Sent by the scheduler every few seconds and on commit of a
    change that created an immediate run; a short time budget leaves the worker to others."""
    return run_due_runs(worker_id=worker_name(), max_seconds=50)
