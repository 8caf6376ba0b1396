from celery import shared_task

from voronka.contacts.services.client_value import client_segments_assign


@shared_task(name="contacts.assign_client_segments", ignore_result=True)
def assign_client_segments() -> None:
    """Nightly: rank the clients by LTV into the A/B/C segments."""
    client_segments_assign()
