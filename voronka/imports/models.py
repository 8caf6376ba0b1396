"""Imports of cards from CSV and XLSX files: the job, its rejected rows and saved mappings."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImportEntity(models.TextChoices):
    CONTACT = "contact", _("Contacts")
    COMPANY = "company", _("Companies")
    LEAD = "lead", _("Leads")
    DEAL = "deal", _("Deals")


class DuplicateAction(models.TextChoices):
    SKIP = "skip", _("Skip the row")
    UPDATE = "update", _("Update the existing card")
    CREATE = "create", _("Create a new card anyway")


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    MAPPED = "mapped", _("Columns chosen")
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class FileFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"


class ImportJob(models.Model):
    """One uploaded file and its way into the CRM.

    ``headers`` are the file's column titles; ``mapping`` holds, for each column by position,
    the code of the field it fills ("" for a column left out). ``processed`` counts the data
    rows handled so far: a job that stopped (a restarted worker) goes on after it."""

    entity = models.CharField(_("cards"), max_length=20, choices=ImportEntity.choices)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(_("format"), max_length=10, choices=FileFormat.choices)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    delimiter = models.CharField(_("delimiter"), max_length=1, blank=True)
    headers = models.JSONField(_("columns"), default=list)
    mapping = models.JSONField(_("mapping"), default=list, blank=True)
    duplicate_action = models.CharField(
        _("when a duplicate is found"),
        max_length=10,
        choices=DuplicateAction.choices,
        default=DuplicateAction.SKIP,
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    total = models.PositiveIntegerField(_("rows"), default=0)
    processed = models.PositiveIntegerField(_("processed"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Moved on every batch; a queued or running job whose heartbeat is old lost its worker.
    heartbeat_at = models.DateTimeField(_("last progress"), default=timezone.now)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["created_by", "-created_at"]),
            models.Index(fields=["status", "heartbeat_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_entity_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)

    @property
    def percent(self) -> int:
        if self.status == ImportStatus.DONE:
            return 100
        if not self.total:
            return 0
        return min(100, self.processed * 100 // self.total)


class ImportRejection(models.Model):
    """A row that was not imported (or was skipped as a duplicate), with the reasons."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="rejections")
    row_number = models.PositiveIntegerField(_("row"))
    values = models.JSONField(_("values"), default=list)
    reasons = models.JSONField(_("reasons"), default=list)
    skipped = models.BooleanField(_("skipped as a duplicate"), default=False)

    class Meta:
        verbose_name = _("rejected row")
        verbose_name_plural = _("rejected rows")
        ordering = ["job", "row_number"]
        indexes = [models.Index(fields=["job", "row_number"])]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.row_number}"


class ImportTemplate(models.Model):
    """A saved column mapping, applied again to a file with the same columns."""

    name = models.CharField(_("name"), max_length=200)
    entity = models.CharField(_("cards"), max_length=20, choices=ImportEntity.choices)
    headers = models.JSONField(_("columns"), default=list)
    mapping = models.JSONField(_("mapping"), default=list)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("import template")
        verbose_name_plural = _("import templates")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "entity", "name"], name="importtemplate_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name
