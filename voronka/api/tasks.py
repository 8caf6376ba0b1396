"""Periodic jobs of the API."""

from celery import shared_task

from voronka.api.idempotency import purge_expired


@shared_task(name="api.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    """Forget idempotency keys older than 24 hours."""
    return purge_expired()
