from celery import shared_task

from voronka.integrations.bitrix24 import delivery
from voronka.integrations.bitrix24.models import EventBinding


@shared_task(name="bitrix24.deliver_event", ignore_result=True)
def deliver_event(binding_id: int, event: str, fields: dict) -> int | None:
    """Post one outgoing Bitrix24 event to its handler (no retry, as Bitrix24 does)."""
    binding = EventBinding.objects.filter(pk=binding_id).first()
    if binding is None:
        return None
    return delivery.deliver(binding, event, fields)
