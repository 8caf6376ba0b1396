"""Import pages: upload → columns → preview → progress → report of rejected rows.

Every page needs the "import" right on the job's cards; a job is seen by the employee who
uploaded it (and administrators) only — anyone else gets 404, as for a missing one.
"""

from itertools import islice

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from voronka.core.export import csv_response, xlsx_response
from voronka.imports.forms import MappingForm, UploadForm
from voronka.imports.mapping import targets_for
from voronka.imports.models import ImportEntity, ImportJob, ImportStatus
from voronka.imports.parsing import ImportFileError
from voronka.imports.services import (
    Outcome,
    import_job_create,
    import_job_set_mapping,
    import_preview,
    import_start,
    job_rows,
    may_import,
    rejection_header,
    rejection_rows,
)

SAMPLE_ROWS = 3
RECENT_JOBS = 20
LIST_URLS = {
    ImportEntity.CONTACT: "contacts:contact_list",
    ImportEntity.COMPANY: "contacts:company_list",
    ImportEntity.LEAD: "sales:lead_list",
    ImportEntity.DEAL: "sales:deal_list",
}


def _entity_or_404(entity: str) -> str:
    if entity not in ImportEntity.values:
        raise Http404
    return entity


def _require_import(user, entity: str) -> None:
    if not may_import(user, entity):
        raise PermissionDenied


def job_or_404(user, pk: int) -> ImportJob:
    """The user's own job (any job for a superuser); 404 for anyone else's."""
    jobs = ImportJob.objects.select_related("created_by")
    if not user.is_superuser:
        jobs = jobs.filter(created_by=user)
    job = jobs.filter(pk=pk).first()
    if job is None:
        raise Http404
    _require_import(user, job.entity)
    return job


class ImportListView(View):
    """The employee's recent imports and where to start a new one."""

    def get(self, request):
        entities = [
            (code, label) for code, label in ImportEntity.choices if may_import(request.user, code)
        ]
        if not entities:
            raise PermissionDenied
        jobs = ImportJob.objects.filter(created_by=request.user).order_by("-created_at", "-pk")
        return render(
            request,
            "imports/list.html",
            {"entities": entities, "jobs": list(jobs[:RECENT_JOBS])},
        )


class ImportUploadView(View):
    def get(self, request, entity: str):
        entity = _entity_or_404(entity)
        _require_import(request.user, entity)
        return self.render(request, entity, UploadForm())

    def post(self, request, entity: str):
        entity = _entity_or_404(entity)
        _require_import(request.user, entity)
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = import_job_create(
                    actor=request.user, entity=entity, upload=upload, name=upload.name
                )
            except ImportFileError as error:
                form.add_error("file", error.message)
            else:
                return redirect("imports:mapping", pk=job.pk)
        return self.render(request, entity, form, status=422)

    def render(self, request, entity: str, form, status: int = 200):
        return render(
            request,
            "imports/upload.html",
            {"entity": entity, "entity_label": ImportEntity(entity).label, "form": form},
            status=status,
        )


def _samples(job: ImportJob) -> list[list[str]]:
    """A few values of each column, shown next to its choice."""
    with job.file.open("rb") as stream:
        rows = [values for _number, values in islice(job_rows(job, stream), SAMPLE_ROWS)]
    return [[row[index] for row in rows if row[index]] for index in range(len(job.headers))]


class ImportMappingView(View):
    def get(self, request, pk: int):
        job = job_or_404(request.user, pk)
        if job.status not in (ImportStatus.UPLOADED, ImportStatus.MAPPED):
            return redirect("imports:progress", pk=job.pk)
        targets = targets_for(job.entity)
        initial = {f"column_{index}": code for index, code in enumerate(job.mapping)}
        initial["duplicate_action"] = job.duplicate_action
        form = MappingForm(
            initial=initial, headers=job.headers, targets=targets, samples=_samples(job)
        )
        return self.render(request, job, form)

    def post(self, request, pk: int):
        job = job_or_404(request.user, pk)
        if job.status not in (ImportStatus.UPLOADED, ImportStatus.MAPPED):
            return redirect("imports:progress", pk=job.pk)
        targets = targets_for(job.entity)
        form = MappingForm(
            request.POST, headers=job.headers, targets=targets, samples=_samples(job)
        )
        if form.is_valid():
            try:
                import_job_set_mapping(
                    actor=request.user,
                    job=job,
                    mapping=form.mapping(),
                    duplicate_action=form.cleaned_data["duplicate_action"],
                    template_name=form.cleaned_data["template_name"],
                    targets=targets,
                )
            except ValidationError as error:
                for message in error.messages:
                    form.add_error(None, message)
            else:
                return redirect("imports:preview", pk=job.pk)
        return self.render(request, job, form, status=422)

    def render(self, request, job, form, status: int = 200):
        return render(request, "imports/mapping.html", {"job": job, "form": form}, status=status)


class ImportPreviewView(View):
    def get(self, request, pk: int):
        job = job_or_404(request.user, pk)
        if job.status != ImportStatus.MAPPED:
            if job.status == ImportStatus.UPLOADED:
                return redirect("imports:mapping", pk=job.pk)
            return redirect("imports:progress", pk=job.pk)
        labels = {target.code: target.label for target in targets_for(job.entity)}
        columns = [
            (header, labels.get(code, ""))
            for header, code in zip(job.headers, job.mapping, strict=False)
        ]
        results = import_preview(job)
        counts = {outcome: 0 for outcome in Outcome.values}
        for result in results:
            counts[result.outcome] += 1
        return render(
            request,
            "imports/preview.html",
            {
                "job": job,
                "columns": columns,
                "results": results,
                "counts": counts,
                "outcomes": Outcome,
            },
        )


class ImportStartView(View):
    def post(self, request, pk: int):
        job = job_or_404(request.user, pk)
        try:
            import_start(actor=request.user, job=job, request=request)
        except ValidationError:
            return redirect("imports:mapping", pk=job.pk)
        return redirect("imports:progress", pk=job.pk)


class ImportProgressView(View):
    """The progress page; htmx asks for its bar every second until the job ends."""

    def get(self, request, pk: int):
        job = job_or_404(request.user, pk)
        context = {"job": job, "created_url": self.created_url(job)}
        if request.htmx:
            return render(request, "imports/partials/_progress.html", context)
        return render(request, "imports/progress.html", context)

    def created_url(self, job: ImportJob) -> str:
        """The list of the job's cards: those created on the job's days."""
        if not job.created:
            return ""
        start = timezone.localdate(job.started_at or job.created_at)
        end = timezone.localdate(job.finished_at or timezone.now())
        return (
            f"{reverse(LIST_URLS[job.entity])}?created_after={start.isoformat()}"
            f"&created_before={end.isoformat()}"
        )


class ImportReportView(View):
    """The rejected and skipped rows with their original columns and the reason."""

    def get(self, request, pk: int, file_format: str):
        if file_format not in ("csv", "xlsx"):
            raise Http404
        job = job_or_404(request.user, pk)
        filename = f"import-{job.pk}-rejected.{file_format}"
        header = rejection_header(job)
        if file_format == "csv":
            return csv_response(filename, header, rejection_rows(job))
        return xlsx_response(filename, header, rejection_rows(job), title=str(_("Rejected rows")))
