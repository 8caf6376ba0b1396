"""Imports of contacts, companies, leads and deals: upload, mapping, preview, the run, the
report of rejected rows.

Every card is written by the card services with the importing employee as the actor, so an
imported card obeys the rules of one entered by hand: rights, required fields, custom fields,
history, events. Rows go in batches, each in one transaction together with the job's counters,
so a job interrupted anywhere goes on from ``processed`` without writing a row twice. A row
that fails is reported alone; the good rows of its batch stay.
"""

import datetime
import inspect
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import IO, Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.db import DatabaseError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from voronka.access.models import Action
from voronka.access.predicates import can, visible_to
from voronka.access.services import audit_record
from voronka.contacts.duplicates.finder import Match, find_duplicates
from voronka.contacts.duplicates.policy import policies_cached, policy_for
from voronka.contacts.models import (
    Communication,
    CommunicationKind,
    Contact,
    DuplicateMode,
)
from voronka.contacts.services import (
    company_create,
    company_update,
    contact_create,
    contact_link_company,
    contact_update,
)
from voronka.contacts.services.batches import ContactInput, contacts_create_many
from voronka.core.normalization import normalize_email, normalize_phone
from voronka.imports.mapping import Target, guess_mapping, mapping_errors, targets_for
from voronka.imports.models import (
    DuplicateAction,
    FileFormat,
    ImportEntity,
    ImportJob,
    ImportRejection,
    ImportStatus,
    ImportTemplate,
)
from voronka.imports.parsing import ImportFileError, TableInfo, inspect_table, iter_rows
from voronka.imports.rows import CompanyFinder, RowInput, RowReader
from voronka.sales.services import deal_create, deal_update, lead_create, lead_update

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
PREVIEW_ROWS = 20
# Entities with duplicate control (``voronka.contacts.duplicates``); deals have none.
DUPLICATE_ENTITIES = (ImportEntity.CONTACT, ImportEntity.COMPANY, ImportEntity.LEAD)


class ImportTakenOver(Exception):
    """Another worker is running the same job; this one stops."""


class Outcome(models.TextChoices):
    CREATED = "created", gettext_lazy("will be created")
    UPDATED = "updated", gettext_lazy("will update the existing card")
    SKIPPED = "skipped", gettext_lazy("will be skipped as a duplicate")
    REJECTED = "rejected", gettext_lazy("will not be imported")


@dataclass
class RowResult:
    number: int
    values: list[str]
    outcome: str
    reasons: list[str] = field(default_factory=list)
    card: models.Model | None = None


# ---- Rights --------------------------------------------------------------------------------


def may_import(user, entity: str) -> bool:
    """Whether ``user`` may import cards of ``entity`` (the "import" right in some scope)."""
    return can(user, Action.IMPORT, entity)


def _require_import(user, entity: str) -> None:
    if not may_import(user, entity):
        raise PermissionDenied


# ---- Upload and mapping --------------------------------------------------------------------


def import_job_create(*, actor, entity: str, upload: IO[bytes], name: str) -> ImportJob:
    """Check an uploaded file and keep it as a new job with the guessed (or the saved
    template's) mapping. ImportFileError names the problem of a bad file; nothing is stored
    then. PermissionDenied without the import right."""
    _require_import(actor, entity)
    info = inspect_table(upload, name, getattr(upload, "size", None))
    targets = targets_for(entity)
    template = template_for(owner=actor, entity=entity, headers=info.headers)
    mapping = list(template.mapping) if template else guess_mapping(entity, info.headers, targets)
    upload.seek(0)
    job = ImportJob(
        entity=entity,
        original_name=name[:255],
        file_format=info.file_format,
        encoding=info.encoding,
        delimiter=info.delimiter,
        headers=info.headers,
        mapping=mapping,
        total=info.total,
        created_by=actor,
    )
    extension = "xlsx" if info.file_format == FileFormat.XLSX else "csv"
    # A random name: the file holds personal data and is nobody's business but the job's.
    job.file.save(f"{uuid.uuid4().hex}.{extension}", File(upload), save=False)
    job.save()
    return job


def template_for(*, owner, entity: str, headers: list[str]) -> ImportTemplate | None:
    """The owner's latest template made for exactly these column titles."""
    for template in ImportTemplate.objects.filter(owner=owner, entity=entity).order_by("-pk"):
        if template.headers == headers:
            return template
    return None


def import_job_set_mapping(
    *,
    actor,
    job: ImportJob,
    mapping: list[str],
    duplicate_action: str,
    template_name: str = "",
    targets: list[Target] | None = None,
) -> ImportJob:
    """Choose the field of each column and what happens to duplicates; with
    ``template_name`` the mapping is also saved as the actor's template of that name."""
    _require_import(actor, job.entity)
    _require_editable(job)
    targets = targets if targets is not None else targets_for(job.entity)
    mapping = [str(code or "") for code in mapping][: len(job.headers)]
    mapping += [""] * (len(job.headers) - len(mapping))
    errors = mapping_errors(job.entity, mapping, targets)
    if duplicate_action not in DuplicateAction.values:
        errors.append(_("Choose what to do with duplicates."))
    if errors:
        raise ValidationError({"mapping": errors})
    with transaction.atomic():
        job.mapping = mapping
        job.duplicate_action = duplicate_action
        job.status = ImportStatus.MAPPED
        job.save(update_fields=["mapping", "duplicate_action", "status"])
        name = template_name.strip()[:200]
        if name:
            ImportTemplate.objects.update_or_create(
                owner=actor,
                entity=job.entity,
                name=name,
                defaults={"headers": job.headers, "mapping": mapping},
            )
    return job


def _require_editable(job: ImportJob) -> None:
    if job.status not in (ImportStatus.UPLOADED, ImportStatus.MAPPED):
        raise ValidationError(_("This import has already started; upload the file again."))


def import_start(*, actor, job: ImportJob, request=None) -> ImportJob:
    """Queue the job for a worker (after the transaction commits) and write the import to
    the audit log."""
    from voronka.imports.tasks import import_run_task

    _require_import(actor, job.entity)
    if job.status != ImportStatus.MAPPED:
        raise ValidationError(_("Choose the columns' fields first."))
    with transaction.atomic():
        job.status = ImportStatus.QUEUED
        job.heartbeat_at = timezone.now()
        job.save(update_fields=["status", "heartbeat_at"])
        audit_record(
            action="import",
            actor=actor,
            request=request,
            obj=job,
            details={
                "entity": job.entity,
                "rows": job.total,
                "duplicates": job.duplicate_action,
                "file": job.original_name,
            },
        )
        transaction.on_commit(lambda: import_run_task.delay(job.pk))
    return job


# ---- Reading the file ----------------------------------------------------------------------


def _info(job: ImportJob) -> TableInfo:
    encoding = job.encoding
    if encoding == "utf-8":
        encoding = "utf-8-sig"
    return TableInfo(job.file_format, encoding, job.delimiter, job.headers, job.total)


def job_rows(job: ImportJob, stream: IO[bytes], start: int = 0) -> Iterator[tuple[int, list[str]]]:
    """The data rows of the job's file from the ``start``-th on."""
    return islice(iter_rows(stream, _info(job)), start, None)


# ---- Processing rows -----------------------------------------------------------------------


def _messages(error: ValidationError | PermissionDenied) -> list[str]:
    if isinstance(error, PermissionDenied):
        return [_("You may not create or change this card (access rights).")]
    if hasattr(error, "error_dict"):
        return [message for messages in error.message_dict.values() for message in messages]
    return list(error.messages)


def _accepts(service, name: str) -> bool:
    return name in inspect.signature(service).parameters


class Importer:
    """Processes rows of one job: reads them, looks for duplicates, calls the services.
    ``process`` runs inside the caller's transaction and returns one result per row."""

    def __init__(self, job: ImportJob) -> None:
        self.job = job
        self.entity = job.entity
        self.actor = job.created_by
        self.reader = RowReader(job.entity, job.mapping)
        self.companies = CompanyFinder(self.actor)
        self.action = job.duplicate_action
        self._blocks: bool | None = None

    # Duplicates -------------------------------------------------------------------------

    def blocks_duplicates(self) -> bool:
        if self._blocks is None:
            self._blocks = (
                self.entity in DUPLICATE_ENTITIES
                and policy_for(self.entity).mode == DuplicateMode.BLOCK
            )
        return self._blocks

    def find_match(self, row: RowInput) -> Match | None:
        if self.entity not in DUPLICATE_ENTITIES:
            return None
        for match in find_duplicates(self.entity, row.duplicate_data()):
            if match.entity == self.entity:
                return match
        return None

    def describe(self, match: Match) -> str:
        visible = visible_to(self.actor, type(match.card)._default_manager.filter(pk=match.card_id))
        if visible.exists():
            card = f"“{match.card}” (#{match.card_id})"
        else:
            card = _("a card you do not see")
        return _("A duplicate of %(card)s: the same %(rule)s %(value)s.") % {
            "card": card,
            "rule": _rule_label(match.rule),
            "value": match.value,
        }

    # Writing ----------------------------------------------------------------------------

    def process(
        self, rows: list[tuple[int, list[str]]], *, batched: bool = True
    ) -> list[RowResult]:
        inputs = [self.reader.read(number, values) for number, values in rows]
        if batched and self.entity == ImportEntity.CONTACT:
            return self._process_contacts(inputs)
        return [self._process_one(row) for row in inputs]

    def _resolve_company(self, row: RowInput) -> None:
        if row.company_title and not row.errors:
            try:
                company = self.companies.get(row.company_title)
            except ValueError as error:
                row.errors.append(str(error))
                return
            if self.entity == ImportEntity.DEAL:
                row.data["company"] = company
            else:
                row.data["_company"] = company

    def _process_one(self, row: RowInput) -> RowResult:
        self._resolve_company(row)
        if row.errors:
            return RowResult(row.number, row.values, Outcome.REJECTED, row.errors)
        try:
            match = self.find_match(row)
            if match is None:
                return self._created(row, self._create(row))
            return self._duplicate(row, match)
        except (ValidationError, PermissionDenied) as error:
            return RowResult(row.number, row.values, Outcome.REJECTED, _messages(error))
        except DatabaseError as error:
            logger.warning("Import row %s refused by the database: %s", row.number, error)
            return RowResult(
                row.number,
                row.values,
                Outcome.REJECTED,
                [_("The database refused the row: %(error)s") % {"error": error}],
            )

    def _created(self, row: RowInput, card: models.Model) -> RowResult:
        return RowResult(row.number, row.values, Outcome.CREATED, card=card)

    def _duplicate(self, row: RowInput, match: Match) -> RowResult:
        reason = self.describe(match)
        if self.action == DuplicateAction.SKIP:
            return RowResult(row.number, row.values, Outcome.SKIPPED, [reason])
        if self.action == DuplicateAction.UPDATE:
            if not can(self.actor, Action.UPDATE, match.card):
                return RowResult(
                    row.number,
                    row.values,
                    Outcome.REJECTED,
                    [reason, _("You may not change that card.")],
                )
            card = self._update(row, match.card)
            return RowResult(row.number, row.values, Outcome.UPDATED, [reason], card)
        if self.blocks_duplicates():
            return RowResult(
                row.number,
                row.values,
                Outcome.REJECTED,
                [reason, _("The duplicate settings forbid creating such a card.")],
            )
        return self._created(row, self._create(row, duplicate=True))

    def _service_args(self, row: RowInput) -> dict[str, Any]:
        data = {key: value for key, value in row.data.items() if not key.startswith("_")}
        return {"actor": self.actor, "data": data}

    def _create(self, row: RowInput, *, duplicate: bool = False) -> models.Model:
        kwargs = self._service_args(row)
        if self.entity == ImportEntity.CONTACT:
            service = contact_create
            kwargs["communications"] = row.communications
            company = row.data.get("_company")
            kwargs["company_links"] = [{"company": company}] if company else []
        elif self.entity == ImportEntity.COMPANY:
            service = company_create
            kwargs["communications"] = row.communications
            kwargs["addresses"] = row.addresses
        elif self.entity == ImportEntity.LEAD:
            service = lead_create
            kwargs["communications"] = row.communications
        else:
            service = deal_create
        if duplicate and _accepts(service, "on_duplicate"):
            # The duplicate is knowingly created; the service records it as one.
            kwargs["on_duplicate"] = "record"
        return service(**kwargs)

    def _update(self, row: RowInput, card: models.Model) -> models.Model:
        kwargs = self._service_args(row)
        data = kwargs["data"]
        for key in ("stage", "pipeline"):
            data.pop(key, None)  # only the move services change a stage
        if self.entity != ImportEntity.DEAL:
            kwargs["communications"] = _merged_communications(card, row.communications)
        if self.entity == ImportEntity.CONTACT:
            card = contact_update(contact=card, **kwargs)
            company = row.data.get("_company")
            if company is not None:
                contact_link_company(actor=self.actor, contact=card, company=company)
            return card
        if self.entity == ImportEntity.COMPANY:
            if row.addresses and not card.addresses.exists():
                kwargs["addresses"] = row.addresses
            return company_update(company=card, **kwargs)
        if self.entity == ImportEntity.LEAD:
            return lead_update(lead=card, **kwargs)
        return deal_update(deal=card, **kwargs)

    # The batched way for contacts ---------------------------------------------------------

    def _keys(self, row: RowInput) -> set[tuple[str, str]]:
        keys = set()
        for item in row.communications:
            if item["kind"] == CommunicationKind.PHONE:
                value = normalize_phone(item["value"])
            elif item["kind"] == CommunicationKind.EMAIL:
                value = normalize_email(item["value"])
            else:
                continue
            if value:
                keys.add((item["kind"], value))
        return keys

    def _known_keys(self, keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which of the phones and e-mails some contact already has (one query)."""
        if not keys:
            return set()
        condition = models.Q()
        for kind in (CommunicationKind.PHONE, CommunicationKind.EMAIL):
            values = sorted(value for key_kind, value in keys if key_kind == kind)
            if values:
                condition |= models.Q(kind=kind, value_normalized__in=values)
        return set(
            Communication.objects.filter(
                condition, card_type=ContentType.objects.get_for_model(Contact)
            ).values_list("kind", "value_normalized")
        )

    def _process_contacts(self, rows: list[RowInput]) -> list[RowResult]:
        """Rows without a possible duplicate go to ``contacts_create_many`` together; a row
        sharing a phone or an e-mail with an existing contact or an earlier row of the file
        goes through the duplicate check and the single-card services."""
        row_keys = [self._keys(row) for row in rows]
        known = self._known_keys(set().union(*row_keys)) if row_keys else set()
        results: dict[int, RowResult] = {}
        pending: list[tuple[int, RowInput]] = []
        written: set[tuple[str, str]] = set()

        def flush() -> None:
            if not pending:
                return
            items = [
                ContactInput(
                    data=self._service_args(row)["data"],
                    communications=row.communications,
                    company_links=[{"company": row.data["_company"]}]
                    if row.data.get("_company")
                    else [],
                )
                for _index, row in pending
            ]
            outcomes = contacts_create_many(actor=self.actor, items=items)
            for (index, row), outcome in zip(pending, outcomes, strict=True):
                if isinstance(outcome, Exception):
                    results[index] = RowResult(
                        row.number, row.values, Outcome.REJECTED, _messages(outcome)
                    )
                else:
                    results[index] = self._created(row, outcome)
            pending.clear()

        for index, (row, keys) in enumerate(zip(rows, row_keys, strict=True)):
            self._resolve_company(row)
            if row.errors:
                results[index] = RowResult(row.number, row.values, Outcome.REJECTED, row.errors)
                continue
            if keys & (known | written):
                flush()
                results[index] = self._process_checked(row)
            else:
                pending.append((index, row))
            written |= keys
        flush()
        return [results[index] for index in range(len(rows))]

    def _process_checked(self, row: RowInput) -> RowResult:
        try:
            match = self.find_match(row)
            if match is None:
                return self._created(row, self._create(row))
            return self._duplicate(row, match)
        except (ValidationError, PermissionDenied) as error:
            return RowResult(row.number, row.values, Outcome.REJECTED, _messages(error))


def _rule_label(rule: str) -> str:
    from voronka.contacts.models import DuplicateRule

    labels = {
        DuplicateRule.PHONE: _("phone"),
        DuplicateRule.EMAIL: _("e-mail"),
        DuplicateRule.INN: _("INN"),
        DuplicateRule.INN_KPP: _("INN and KPP"),
        DuplicateRule.COMPANY_NAME: _("company name"),
        DuplicateRule.PERSON: _("name and phone"),
    }
    return str(labels.get(rule, rule))


def _merged_communications(card: models.Model, new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The card's phones, e-mails… followed by the row's (the service keeps one of each)."""
    existing = Communication.objects.filter(
        card_type=ContentType.objects.get_for_model(card), card_id=card.pk
    ).order_by("kind", "sort", "pk")
    return [
        *({"kind": c.kind, "value": c.value, "value_type": c.value_type} for c in existing),
        *new,
    ]


# ---- Preview -------------------------------------------------------------------------------


def import_preview(job: ImportJob, limit: int = PREVIEW_ROWS) -> list[RowResult]:
    """The first ``limit`` rows as the job would import them — by the very code of the run,
    in a transaction that is rolled back."""
    with job.file.open("rb") as stream:
        rows = list(islice(job_rows(job, stream), limit))
    with policies_cached(), transaction.atomic():
        results = Importer(job).process(rows)
        transaction.set_rollback(True)
    for result in results:
        result.card = None
    return results


# ---- The run -------------------------------------------------------------------------------


def _save_batch(job: ImportJob, results: list[RowResult]) -> None:
    """Counters and rejected rows of one batch, in the batch's transaction."""
    rejections = []
    for result in results:
        if result.outcome == Outcome.CREATED:
            job.created += 1
        elif result.outcome == Outcome.UPDATED:
            job.updated += 1
        elif result.outcome == Outcome.SKIPPED:
            job.skipped += 1
        else:
            job.rejected += 1
        if result.outcome in (Outcome.SKIPPED, Outcome.REJECTED):
            rejections.append(
                ImportRejection(
                    job=job,
                    row_number=result.number,
                    values=result.values,
                    reasons=[str(reason) for reason in result.reasons],
                    skipped=result.outcome == Outcome.SKIPPED,
                )
            )
    ImportRejection.objects.bulk_create(rejections)
    before = job.processed
    job.processed += len(results)
    job.heartbeat_at = timezone.now()
    # Only the worker that read ``before`` may move the counters on: a second worker running
    # the same job (a redelivered task) finds them moved and its batch rolls back.
    moved = ImportJob.objects.filter(pk=job.pk, processed=before).update(
        processed=job.processed,
        created=job.created,
        updated=job.updated,
        skipped=job.skipped,
        rejected=job.rejected,
        heartbeat_at=job.heartbeat_at,
    )
    if not moved:
        raise ImportTakenOver


def _run_batch(job: ImportJob, importer: Importer, rows: list[tuple[int, list[str]]]) -> None:
    counters = (job.processed, job.created, job.updated, job.skipped, job.rejected)
    try:
        with transaction.atomic():
            _save_batch(job, importer.process(rows))
        return
    except DatabaseError:
        logger.warning("Import %s: a batch failed as a whole; its rows go one by one", job.pk)
    # Row by row: each row in the savepoint of its service, the refused ones reported.
    job.processed, job.created, job.updated, job.skipped, job.rejected = counters
    importer.companies.forget()
    with transaction.atomic():
        _save_batch(job, importer.process(rows, batched=False))


def import_run(job: ImportJob, *, batch_size: int = BATCH_SIZE) -> ImportJob:
    """Import the job's rows (or the rest of them, after ``job.processed``) and return the
    finished job. Stable entry point for the background task and the benchmarks.

    Rows go in batches of ``batch_size``: each batch's cards, rejected rows and counters commit
    together, so progress is visible after every batch and an interrupted job resumes where
    it stopped. An unexpected error marks the job failed with the reason; the batches already
    committed stay."""
    job = ImportJob.objects.select_related("created_by").get(pk=job.pk)
    if job.is_finished:
        return job
    if job.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING, ImportStatus.MAPPED):
        raise ValidationError(_("Choose the columns' fields first."))
    if not may_import(job.created_by, job.entity):
        return _fail(
            job, _("%(user)s may no longer import these cards.") % {"user": job.created_by}
        )
    job.status = ImportStatus.RUNNING
    job.started_at = job.started_at or timezone.now()
    job.heartbeat_at = timezone.now()
    job.save(update_fields=["status", "started_at", "heartbeat_at"])
    importer = Importer(job)
    try:
        with policies_cached(), job.file.open("rb") as stream:
            rows = job_rows(job, stream, start=job.processed)
            while batch := list(islice(rows, batch_size)):
                _run_batch(job, importer, batch)
    except ImportTakenOver:
        logger.warning("Import %s is run by another worker; this one stops", job.pk)
        return ImportJob.objects.get(pk=job.pk)
    except ImportFileError as error:
        return _fail(job, error.message)
    except Exception as error:  # a job must end "failed", never stay running
        logger.exception("Import %s failed", job.pk)
        return _fail(
            job, _("The import stopped on an unexpected error: %(error)s") % {"error": error}
        )
    job.status = ImportStatus.DONE
    job.total = job.processed
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "total", "finished_at"])
    # The rows live on in the cards and the report; the uploaded copy is not kept.
    job.file.delete(save=False)
    return job


def imports_forget_abandoned(*, older_than: datetime.timedelta) -> int:
    """Delete the jobs (and their files) uploaded longer than ``older_than`` ago and never
    started; return how many."""
    limit = timezone.now() - older_than
    abandoned = ImportJob.objects.filter(
        status__in=[ImportStatus.UPLOADED, ImportStatus.MAPPED], created_at__lt=limit
    )
    count = 0
    for job in abandoned:
        job.file.delete(save=False)
        job.delete()
        count += 1
    return count


def _fail(job: ImportJob, reason: str) -> ImportJob:
    job.status = ImportStatus.FAILED
    job.error = str(reason)
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "finished_at"])
    return job


# ---- The report ----------------------------------------------------------------------------


def rejection_rows(job: ImportJob) -> Iterator[list[Any]]:
    """The report's rows: the file's row number, its values and the reasons."""
    rejections = job.rejections.order_by("row_number").values_list(
        "row_number", "values", "reasons"
    )
    for number, values, reasons in rejections.iterator(chunk_size=2000):
        yield [number, *values, "; ".join(reasons)]


def rejection_header(job: ImportJob) -> list[str]:
    return [str(_("Row")), *job.headers, str(_("Reason"))]
