from celery import shared_task

from voronka.automation.triggers.services import triggers_due as check_due


@shared_task(name="automation.triggers_due", ignore_result=True)
def triggers_due() -> int:
    """Move the cards whose date a trigger waits for has been reached; every minute."""
    return check_due()
