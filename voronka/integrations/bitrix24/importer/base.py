"""The import run: the order of the entities, one transaction per page, one savepoint per
record (a bad record is reported and the rest goes on), the id map and the report."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from voronka.core.exceptions import ConflictError
from voronka.integrations.bitrix24.importer.client import (
    Bitrix24Client,
    PortalAuthError,
    PortalError,
)
from voronka.integrations.bitrix24.importer.idmap import IdMap, record_hash
from voronka.integrations.bitrix24.importer.mapping import Problem
from voronka.integrations.bitrix24.importer.report import EntityStats, Report

logger = logging.getLogger(__name__)

# The order matters: each entity refers to the ones before it.
STEPS = (
    "departments",
    "users",
    "sources",
    "pipelines",
    "companies",
    "contacts",
    "leads",
    "deals",
    "productrows",
    "comments",
)

STEP_LABELS = {
    "departments": gettext_lazy("Departments"),
    "users": gettext_lazy("Employees"),
    "sources": gettext_lazy("Sources"),
    "pipelines": gettext_lazy("Pipelines"),
    "companies": gettext_lazy("Companies"),
    "contacts": gettext_lazy("Contacts"),
    "leads": gettext_lazy("Leads"),
    "deals": gettext_lazy("Deals"),
    "productrows": gettext_lazy("Product rows"),
    "comments": gettext_lazy("Timeline comments"),
}


def describe(error: Exception) -> str:
    """One line naming every problem of a failed record."""
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            parts = []
            for key, messages in error.message_dict.items():
                text = " ".join(str(m) for m in messages)
                parts.append(text if key == NON_FIELD_ERRORS else f"{key}: {text}")
            return "; ".join(parts)
        return " ".join(str(m) for m in error.messages)
    if isinstance(error, PermissionDenied):
        return _("no rights to write it")
    if isinstance(error, ConflictError):
        return str(error.message)
    if isinstance(error, Problem | PortalError):
        return str(error)
    return f"{type(error).__name__}: {error}"


class Importer:
    """Moves one portal's CRM into this installation; ``run()`` returns the report."""

    def __init__(
        self,
        client: Bitrix24Client,
        *,
        only: Iterable[str] | None = None,
        dry_run: bool = False,
        responsible: Any = None,
        log: Callable[[str], None] | None = None,
    ):
        self.client = client
        self.only = set(only) if only else set(STEPS)
        self.dry_run = dry_run
        self.idmap = IdMap(client.portal)
        self.report = Report(portal=client.portal, dry_run=dry_run)
        self.log = log or (lambda message: None)
        self._responsible = responsible
        # Filled by the steps for those after them.
        self.department_rows: list[dict] | None = None
        self.deactivate_later: set[int] = set()
        self.field_specs: dict[str, list] = {}
        self.loss_reasons: dict[str, Any] = {}
        self.cache: dict[str, Any] = {}

    # --- the run -----------------------------------------------------------------------

    def run(self) -> Report:
        from voronka.integrations.bitrix24.importer import cards, directories, extras

        functions = {
            "departments": directories.import_departments,
            "users": directories.import_users,
            "sources": directories.import_sources,
            "pipelines": directories.import_pipelines,
            "companies": cards.import_companies,
            "contacts": cards.import_contacts,
            "leads": cards.import_leads,
            "deals": cards.import_deals,
            "productrows": extras.import_product_rows,
            "comments": extras.import_comments,
        }
        # A dry run writes everything in one transaction it rolls back: the services validate
        # each record exactly as in a real run, and nothing stays.
        outer = transaction.atomic() if self.dry_run else contextlib.nullcontext()
        with outer:
            self.client.call("profile")  # a wrong webhook stops here, before anything else
            for step in STEPS:
                if step not in self.only:
                    continue
                self.log(_("Importing %(entity)s…") % {"entity": step})
                try:
                    functions[step](self)
                except PortalAuthError:
                    raise
                except PortalError as error:
                    # The portal refused this entity: report it and go on with the next one.
                    stats = self.report.entities.get(step) or self.report.stats(
                        step, str(STEP_LABELS[step])
                    )
                    stats.stopped = describe(error)
                    self.idmap.forget_cache()
            if "users" in self.only:
                directories.deactivate_users(self)
            if self.dry_run:
                transaction.set_rollback(True)
        return self.report

    # --- records -----------------------------------------------------------------------

    def upsert(
        self,
        stats: EntityStats,
        entity: str,
        external_id: Any,
        *,
        build: Callable[[], dict],
        load: Callable[[int], Any],
        create: Callable[[dict], Any],
        update: Callable[[Any, dict], Any],
    ) -> Any:
        """Create or update the object of one source record in its own savepoint.

        ``build()`` maps the record to a payload of plain values (raising ``Problem`` when it
        cannot); the payload's hash decides: the same as last time → unchanged, no write.
        Returns the object, or None when the record failed (it is in the report)."""
        try:
            # Mapping and comparing only read: an unchanged record costs no savepoint.
            payload = build()
            digest = record_hash(payload)
            row = self.idmap.get(entity, external_id)
            current = load(row.object_id) if row is not None else None
            if current is not None and row.source_hash == digest:
                stats.unchanged += 1
                return current
            if current is not None and getattr(current, "is_deleted", False):
                raise Problem(
                    _("it is in the recycle bin here; restore it to update it from the portal")
                )
            with transaction.atomic():
                obj = create(payload) if current is None else (update(current, payload) or current)
                self.idmap.remember(entity, external_id, obj.pk, digest)
            if current is None:
                stats.created += 1
            else:
                stats.updated += 1
            return obj
        except PortalAuthError:
            raise
        except Exception as error:  # one bad record must never stop the run
            if not isinstance(error, ValidationError | PermissionDenied | Problem | ConflictError):
                logger.warning("Record %s %s failed", entity, external_id, exc_info=error)
            stats.fail(external_id, describe(error))
            return None

    def page_loader(self, entity: str, external_ids: list, queryset) -> Callable[[int], Any]:
        """``load`` for the records of one page: their objects read in one query."""
        ids = [row.object_id for e in external_ids if (row := self.idmap.get(entity, e))]
        found = queryset.in_bulk(ids) if ids else {}
        return found.get

    # --- references --------------------------------------------------------------------

    def responsible_id(self, external_id: Any, stats: EntityStats, record_id: Any) -> int:
        """Our employee of ``ASSIGNED_BY_ID``; the default responsible when the employee is
        not imported (a note says so)."""
        user_id = self.idmap.object_id("user", external_id)
        if user_id is not None:
            return user_id
        fallback = self.default_responsible()
        if fallback is None:
            raise Problem(_("no responsible employee: import users first or pass --responsible"))
        if external_id not in (None, "", "0", 0):
            stats.note(
                record_id,
                _("employee #%(id)s was not imported; responsible: %(user)s")
                % {"id": external_id, "user": fallback},
            )
        return fallback.pk

    def for_new_card(self, data: dict, stats: EntityStats, record_id: Any) -> dict:
        """A new card cannot be given to an employee who no longer works here: it goes to the
        default responsible (a note says so). Cards already here keep theirs."""
        user_id = data.get("responsible_id")
        if user_id is None or user_id in self.active_user_ids():
            return data
        fallback = self.default_responsible()
        if fallback is None:
            return data  # the service names the problem
        stats.note(
            record_id,
            _("its responsible no longer works here; responsible: %(user)s") % {"user": fallback},
        )
        return {**data, "responsible_id": fallback.pk}

    def active_user_ids(self) -> set[int]:
        if "active_users" not in self.cache:
            User = get_user_model()
            self.cache["active_users"] = set(
                User.objects.filter(is_active=True).values_list("pk", flat=True)
            )
        return self.cache["active_users"]

    def default_responsible(self):
        if self._responsible is not None:
            return self._responsible
        User = get_user_model()
        owner = self.idmap.object_id("user", self.client.webhook.user_id)
        found = None
        if owner is not None:
            found = User.objects.filter(pk=owner, is_active=True).first()
        if found is None:
            found = User.objects.filter(is_active=True, is_superuser=True).order_by("pk").first()
        self._responsible = found
        return found

    def default_currency(self) -> str:
        from django.conf import settings

        return settings.DEFAULT_CURRENCY

    def mapped(self, entity: str, external_id: Any) -> int | None:
        return self.idmap.object_id(entity, external_id)

    def keep_created_at(self, model, pk: int, created_at: str | None) -> None:
        """Give an object created just now the creation time it had on the portal.

        The services stamp ``created_at`` with the current time and take no other; the import
        alone may set a past one, right after creating the object, so lists and reports of
        the migrated CRM keep their history."""
        if created_at:
            model._base_manager.filter(pk=pk).update(created_at=created_at)
