"""Export and import of a pipeline's automation as a JSON file, from the robot editor.

Export downloads ``automation-<pipeline>.json`` (reading the settings is enough). Import is a
dialog: upload a file → a preview of what will be created, updated and deleted (or every
problem in the file, each with its place) → confirm; it needs the right to change the
settings. A file that is too large, not JSON or not an automation file is answered with the
reason and status 422, never with an error page.
"""

import json

from django import forms
from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from voronka.automation.transfer import MODES, export_json, import_pipeline, parse_document
from voronka.core.permissions import RightRequiredMixin
from voronka.customization.views import get_or_404, saved_response
from voronka.sales.models import Pipeline

DEFAULT_MAX_BYTES = 1_000_000


def max_bytes() -> int:
    return getattr(settings, "AUTOMATION_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)


def file_name(pipeline: Pipeline) -> str:
    return f"automation-{slugify(pipeline.name, allow_unicode=True) or pipeline.pk}.json"


class ExportView(RightRequiredMixin, View):
    permission_action = "read"

    def get(self, request, pk):
        pipeline = get_or_404(Pipeline.objects.all(), pk)
        response = HttpResponse(
            export_json(pipeline).encode(), content_type="application/json; charset=utf-8"
        )
        response["Content-Disposition"] = content_disposition_header(True, file_name(pipeline))
        return response


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("JSON file"))
    mode = forms.ChoiceField(
        label=gettext_lazy("What to do with the pipeline's current automation"),
        choices=[
            ("replace", gettext_lazy("Replace it: what the file does not name is deleted")),
            ("merge", gettext_lazy("Merge: add and update, delete nothing")),
        ],
        initial="replace",
        widget=forms.RadioSelect,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > max_bytes():
            raise forms.ValidationError(
                _("The file is larger than %(kb)s KB.") % {"kb": max_bytes() // 1000}
            )
        return upload


class ImportView(RightRequiredMixin, View):
    """GET: the upload dialog. POST with a file: the preview. POST with ``confirm``: the
    import of the previewed document, passed back in a hidden field."""

    permission_action = "update"
    template_name = "automation/transfer/_import_dialog.html"

    def render_dialog(self, status=200, **context):
        context = {"pipeline": self.pipeline, "max_kb": max_bytes() // 1000, **context}
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, pk):
        self.pipeline = get_or_404(Pipeline.objects.all(), pk)
        return self.render_dialog(form=UploadForm())

    def post(self, request, pk):
        self.pipeline = get_or_404(Pipeline.objects.all(), pk)
        mode = request.POST.get("mode", "replace")
        if mode not in MODES:
            mode = "replace"
        if request.POST.get("confirm"):
            raw = request.POST.get("document", "")
            if len(raw.encode()) > max_bytes():
                return self.render_dialog(
                    status=422, form=UploadForm(), errors=[_("The document is too large.")]
                )
            data, errors = parse_document(raw)
            if errors:
                return self.render_dialog(status=422, form=UploadForm(), errors=errors)
            report = import_pipeline(
                actor=request.user, pipeline=self.pipeline, data=data, mode=mode
            )
            if not report.ok:
                return self.render_dialog(status=422, form=UploadForm(), errors=report.errors)
            return saved_response(
                _("Imported: %(created)s created, %(updated)s updated, %(deleted)s deleted.")
                % {
                    "created": len(report.created),
                    "updated": len(report.updated),
                    "deleted": len(report.deleted),
                }
            )
        form = UploadForm(data=request.POST, files=request.FILES)
        if not form.is_valid():
            return self.render_dialog(status=422, form=form)
        data, errors = parse_document(form.cleaned_data["file"].read())
        if errors:
            return self.render_dialog(status=422, form=form, errors=errors)
        report = import_pipeline(
            actor=request.user, pipeline=self.pipeline, data=data, mode=mode, dry_run=True
        )
        if not report.ok:
            return self.render_dialog(status=422, form=form, errors=report.errors)
        return self.render_dialog(
            report=report,
            mode=mode,
            document=json.dumps(data, ensure_ascii=False),
        )
