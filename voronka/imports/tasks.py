"""Background work of imports: the run of a job and the pick-up of stalled ones."""

import datetime

from celery import shared_task
from django.utils import timezone

from voronka.imports.models import ImportJob, ImportStatus

# A queued or running job whose counters have not moved for this long lost its worker.
STALLED_AFTER = datetime.timedelta(minutes=10)
ABANDONED_AFTER = datetime.timedelta(days=2)


@shared_task(name="imports.run", ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def import_run_task(job_id: int) -> None:
    """Run (or resume) the import job ``job_id``; a finished one is left alone."""
    from voronka.imports.services import import_run

    job = ImportJob.objects.filter(pk=job_id).first()
    if job is not None:
        import_run(job)


@shared_task(name="imports.resume_stalled", ignore_result=True)
def import_resume_stalled() -> int:
    """Queue again the jobs whose worker stopped (a restart); each goes on from the rows it
    has processed. Run every few minutes by the scheduler."""
    limit = timezone.now() - STALLED_AFTER
    stalled = list(
        ImportJob.objects.filter(
            status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING], heartbeat_at__lt=limit
        ).values_list("pk", flat=True)
    )
    for job_id in stalled:
        ImportJob.objects.filter(pk=job_id).update(heartbeat_at=timezone.now())
        import_run_task.delay(job_id)
    return len(stalled)


@shared_task(name="imports.forget_abandoned", ignore_result=True)
def import_forget_abandoned() -> int:
    """Remove uploads nobody started within two days (their files hold personal data)."""
    from voronka.imports.services import imports_forget_abandoned

    return imports_forget_abandoned(older_than=ABANDONED_AFTER)
