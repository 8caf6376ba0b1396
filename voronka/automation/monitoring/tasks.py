from celery import shared_task

from voronka.automation.monitoring.services import run_monitoring


@shared_task(name="automation.monitoring", ignore_result=True)
def monitoring() -> int:
    """Check the active monitoring rules; sent by the scheduler every minute."""
    results = run_monitoring()
    return sum(acted or 0 for acted in results.values())
