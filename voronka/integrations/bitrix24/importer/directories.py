"""Departments, employees, sources, pipelines and stages of a portal."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from voronka.core.normalization import normalize_email, normalize_phone
from voronka.customization.models import Source
from voronka.customization.services import source_create, source_update
from voronka.integrations.bitrix24.importer.base import Importer
from voronka.integrations.bitrix24.importer.client import PortalError, unwrap
from voronka.integrations.bitrix24.importer.mapping import (
    Problem,
    color,
    flag,
    split_stage,
    stage_code,
    stage_kind,
    text,
    to_int,
)
from voronka.sales.models import Pipeline, PipelineEntity, Stage, StageKind
from voronka.sales.services.catalogues import pipeline_update
from voronka.sales.services.pipelines import (
    default_pipeline,
    pipeline_create,
    stage_create,
    stage_update,
)
from voronka.staff.models import Department
from voronka.staff.services import (
    department_create,
    department_update,
    employee_create,
    employee_set_active,
    employee_update,
)

# --- departments --------------------------------------------------------------------------


def _department_rows(imp: Importer) -> list[dict]:
    if imp.department_rows is None:
        rows = [
            row
            # No ``sort``: some portals read every top-level parameter as a filter.
            for page in imp.client.pages_by_offset("department.get")
            for row in page
        ]
        # Parents before their children, whatever order the portal gives.
        by_id = {text(row.get("ID")): row for row in rows}
        ordered: list[dict] = []
        placed: set[str] = set()

        def place(row: dict, trail: set[str]) -> None:
            row_id = text(row.get("ID"))
            if row_id in placed or row_id in trail:
                return
            parent = text(row.get("PARENT"))
            if parent in by_id:
                place(by_id[parent], trail | {row_id})
            placed.add(row_id)
            ordered.append(row)

        for row in rows:
            place(row, set())
        imp.department_rows = ordered
    return imp.department_rows


def _department_payload(imp: Importer, row: dict) -> dict:
    parent_id = text(row.get("PARENT"))
    parent = imp.mapped("department", parent_id) if parent_id else None
    if parent_id and parent is None and parent_id != "0":
        raise Problem(_("its parent department #%(id)s was not imported") % {"id": parent_id})
    return {
        "name": text(row.get("NAME"), 200) or _("Department %(id)s") % {"id": row.get("ID")},
        "parent": parent,
        "sort": to_int(row.get("SORT")) or 100,
        # Employees come after departments: a head appears once they are imported.
        "head": imp.mapped("user", row.get("UF_HEAD")),
    }


def _department_write(imp: Importer, row: dict, stats) -> None:
    def create(payload: dict):
        department = department_create(
            actor=None,
            name=payload["name"],
            parent=Department.objects.filter(pk=payload["parent"]).first(),
        )
        return department_update(
            actor=None,
            department=department,
            data={"sort": payload["sort"], "head": payload["head"]},
        )

    def update(department, payload: dict):
        return department_update(actor=None, department=department, data=payload)

    imp.upsert(
        stats,
        "department",
        row.get("ID"),
        build=lambda: _department_payload(imp, row),
        load=lambda pk: Department.objects.filter(pk=pk).first(),
        create=create,
        update=update,
    )


def import_departments(imp: Importer) -> None:
    stats = imp.report.stats("departments", _("Departments"))
    rows = _department_rows(imp)
    stats.fetched = len(rows)
    with transaction.atomic():
        for row in rows:
            _department_write(imp, row, stats)


def _assign_heads(imp: Importer) -> None:
    """Once employees exist: the heads of departments (not counted again in the report)."""
    stats = imp.report.stats("departments", _("Departments"))
    counts = (stats.created, stats.updated, stats.unchanged)
    rows = _department_rows(imp)  # read from the portal before the transaction starts
    with transaction.atomic():
        for row in rows:
            if imp.mapped("department", row.get("ID")) is not None:
                _department_write(imp, row, stats)
    stats.created, stats.updated, stats.unchanged = counts


# --- employees ----------------------------------------------------------------------------


def _user_rows(imp: Importer) -> list[dict]:
    rows: dict[str, dict] = {}
    for active in (True, False):
        for page in imp.client.pages_by_offset("user.get", {"FILTER": {"ACTIVE": active}}):
            for row in page:
                rows.setdefault(text(row.get("ID")), row)
    return [rows[key] for key in sorted(rows, key=lambda k: to_int(k) or 0)]


def _user_payload(imp: Importer, row: dict) -> dict:
    departments = row.get("UF_DEPARTMENT") or []
    if not isinstance(departments, list):
        departments = [departments]
    department = next(
        (imp.mapped("department", d) for d in departments if imp.mapped("department", d)), None
    )
    phone = ""
    for key in ("WORK_PHONE", "PERSONAL_MOBILE", "PERSONAL_PHONE"):
        phone = normalize_phone(text(row.get(key))) or ""
        if phone:
            break
    email = normalize_email(text(row.get("EMAIL"))) or ""
    first, last = text(row.get("NAME"), 150), text(row.get("LAST_NAME"), 150)
    if not (first or last):
        last = (email or _("Employee %(id)s") % {"id": row.get("ID")})[:150]
    return {
        "first_name": first,
        "last_name": last,
        "middle_name": text(row.get("SECOND_NAME"), 150),
        "email": email,
        "position": text(row.get("WORK_POSITION"), 200),
        "department": department,
        "phone": phone,
        "active": flag(row.get("ACTIVE")),
    }


def _free_username(wanted: str, external_id) -> str:
    User = get_user_model()
    candidates = [wanted] if wanted else []
    candidates += [f"b24-{external_id}", f"b24-{external_id}-{secrets.token_hex(3)}"]
    for candidate in candidates:
        if candidate and not User.objects.filter(username__iexact=candidate).exists():
            return candidate[:150]
    return candidates[-1][:150]


def import_users(imp: Importer) -> None:
    stats = imp.report.stats("users", _("Employees"))
    rows = _user_rows(imp)
    # Extranet and e-mail users of the portal are not employees.
    outsiders = [r for r in rows if text(r.get("USER_TYPE") or "employee") != "employee"]
    if outsiders:
        stats.note(
            ", ".join(text(r.get("ID")) for r in outsiders[:20]),
            _("%(count)d extranet or e-mail users are not employees; not imported")
            % {"count": len(outsiders)},
        )
    outsider_ids = {text(r.get("ID")) for r in outsiders}
    rows = [r for r in rows if text(r.get("ID")) not in outsider_ids]
    stats.fetched = len(rows)
    User = get_user_model()

    def data_of(payload: dict) -> dict:
        return {k: v for k, v in payload.items() if k != "active"}

    def create(payload: dict, external_id):
        # An employee already here with the portal's e-mail is the same person.
        existing = (
            User.objects.filter(email__iexact=payload["email"]).order_by("pk").first()
            if payload["email"]
            else None
        )
        if existing is not None:
            return update(existing, payload)
        employee = employee_create(
            actor=None,
            data={"username": _free_username(payload["email"], external_id), **data_of(payload)},
            # Checked by the password rules, then replaced at once: nobody ever knows it.
            password=secrets.token_urlsafe(32) + "!Aa1",
        )
        # Imported employees sign in only after resetting their password: the service always
        # sets a usable one, so the import takes it away right after creating the employee.
        employee.set_unusable_password()
        employee.save(update_fields=["password"])
        return employee

    def update(employee, payload: dict):
        employee = employee_update(actor=None, employee=employee, data=data_of(payload))
        if payload["active"] and not employee.is_active:
            employee = employee_set_active(actor=None, employee=employee, active=True)
        return employee

    with transaction.atomic():
        for row in rows:
            external_id = row.get("ID")
            user = imp.upsert(
                stats,
                "user",
                external_id,
                build=lambda row=row: _user_payload(imp, row),
                load=lambda pk: User.objects.filter(pk=pk).first(),
                create=lambda payload, external_id=external_id: create(payload, external_id),
                update=update,
            )
            if user is not None and not flag(row.get("ACTIVE")):
                # Kept active until the cards are in, so they keep their responsible.
                imp.deactivate_later.add(user.pk)
    imp.cache.pop("active_users", None)
    _assign_heads(imp)


def deactivate_users(imp: Importer) -> None:
    """The employees inactive on the portal stop here too, after their cards came in."""
    User = get_user_model()
    with transaction.atomic():
        for user in User.objects.filter(pk__in=imp.deactivate_later, is_active=True):
            employee_set_active(actor=None, employee=user, active=False)
    imp.cache.pop("active_users", None)


# --- sources ------------------------------------------------------------------------------


def import_sources(imp: Importer) -> None:
    stats = imp.report.stats("sources", _("Sources"))
    rows = unwrap(imp.client.call("crm.status.list", {"filter": {"ENTITY_ID": "SOURCE"}}))
    stats.fetched = len(rows)

    def create(payload: dict):
        existing = Source.objects.filter(code__iexact=payload["code"]).first()
        if existing is not None:
            return update(existing, payload)
        return source_create(actor=None, data=payload)

    def update(source, payload: dict):
        data = {k: v for k, v in payload.items() if k != "code"}
        return source_update(actor=None, source=source, data={**data, "is_active": True})

    with transaction.atomic():
        for row in rows:
            imp.upsert(
                stats,
                "source",
                row.get("STATUS_ID"),
                build=lambda row=row: {
                    "code": text(row.get("STATUS_ID"), 50).lower(),
                    "name": text(row.get("NAME"), 200) or text(row.get("STATUS_ID")),
                    "sort": to_int(row.get("SORT")) or 100,
                },
                load=lambda pk: Source.objects.filter(pk=pk).first(),
                create=create,
                update=update,
            )


# --- pipelines and stages -----------------------------------------------------------------

# Bitrix24's standard codes → the stage of a fresh Voronka funnel that means the same.
STAGE_ALIASES = {
    "in_process": "in_progress",
    "lose": "lost",
    "prepayment_invoice": "invoice",
}


def stage_directory(category: int) -> str:
    return "DEAL_STAGE" if category == 0 else f"DEAL_STAGE_{category}"


def stage_key(directory: str, status_id) -> str:
    """The id map key of a stage: its directory and status id (``DEAL_STAGE_3:C3:NEW``)."""
    return f"{directory}:{text(status_id)}"


def _deal_categories(imp: Importer) -> list[dict]:
    try:
        rows = unwrap(imp.client.call("crm.category.list", {"entityTypeId": 2}))
        categories = [
            {"id": to_int(r.get("id")) or 0, "name": text(r.get("name")), "sort": r.get("sort")}
            for r in rows
        ]
    except PortalError:
        # Older portals: the deprecated methods, which leave the general pipeline out.
        rows = [row for page in imp.client.pages_by_offset("crm.dealcategory.list") for row in page]
        categories = [
            {"id": to_int(r.get("ID")) or 0, "name": text(r.get("NAME")), "sort": r.get("SORT")}
            for r in rows
        ]
        default = imp.client.call("crm.dealcategory.default.get") or {}
        categories.insert(0, {"id": 0, "name": text(default.get("NAME")), "sort": 0})
    if not any(category["id"] == 0 for category in categories):
        categories.insert(0, {"id": 0, "name": "", "sort": 0})
    return categories


def _stage_payload(row: dict, pipeline: Pipeline) -> dict:
    payload = {
        "pipeline": pipeline.pk,
        "code": stage_code(row.get("STATUS_ID")),
        "name": text(row.get("NAME"), 200) or text(row.get("STATUS_ID")),
        "kind": stage_kind(row),
        "sort": to_int(row.get("SORT")) or 100,
    }
    stage_color = color(row.get("COLOR"))
    if stage_color:
        payload["color"] = stage_color
    return payload


def _claimed(imp: Importer) -> set[int]:
    return {row.object_id for row in imp.idmap.rows("stage").values()}


def _matching_stage(imp: Importer, pipeline: Pipeline, payload: dict) -> Stage | None:
    """A stage of ``pipeline`` no other source stage took, with the same code (or the code of
    the fresh funnel that means the same) and kind."""
    claimed = _claimed(imp)
    stages = {stage.code: stage for stage in pipeline.stages.all() if stage.pk not in claimed}
    for code in (payload["code"], STAGE_ALIASES.get(payload["code"])):
        stage = stages.get(code) if code else None
        if stage is not None and stage.kind == payload["kind"]:
            return stage
    return None


def _stage_changes(stage: Stage, payload: dict) -> dict:
    data = {key: payload[key] for key in ("name", "sort", "color") if key in payload}
    if payload["kind"] != stage.kind:
        data["kind"] = payload["kind"]
    return {key: value for key, value in data.items() if getattr(stage, key) != value}


def _import_stages(imp: Importer, stats, pipeline: Pipeline, directory: str, rows: list) -> None:
    def create(payload: dict):
        stage = _matching_stage(imp, pipeline, payload)
        if stage is not None:
            return update(stage, payload)
        codes = set(pipeline.stages.values_list("code", flat=True))
        code, number = payload["code"], 2
        while code in codes:
            code, number = f"{payload['code'][:45]}_{number}", number + 1
        data = {k: v for k, v in payload.items() if k != "pipeline"}
        return stage_create(actor=None, pipeline=pipeline, data={**data, "code": code})

    def update(stage, payload: dict):
        changes = _stage_changes(stage, payload)
        return stage_update(actor=None, stage=stage, data=changes) if changes else stage

    for row in rows:
        stats.fetched += 1
        imp.upsert(
            stats,
            "stage",
            stage_key(directory, row.get("STATUS_ID")),
            build=lambda row=row: _stage_payload(row, pipeline),
            load=lambda pk: Stage.objects.filter(pk=pk).select_related("pipeline").first(),
            create=create,
            update=update,
        )


def _status_rows(imp: Importer, directories: list[str]) -> dict[str, list]:
    answers = imp.client.call_many(
        "crm.status.list",
        [{"filter": {"ENTITY_ID": d}, "order": {"SORT": "ASC"}} for d in directories],
    )
    found: dict[str, list] = {}
    for index, result, error in answers:
        if error:
            raise PortalError(str(error.get("error") or ""), str(error.get("error_description")))
        found[directories[index]] = unwrap(result)
    return found


def _pipeline_stage_specs(rows: list) -> list[dict] | None:
    """The stages to create a new pipeline with, or None when the portal's set lacks a kind
    (the pipeline then starts with the minimal set and gets the portal's stages added)."""
    specs, codes = [], set()
    for row in rows:
        code = stage_code(row.get("STATUS_ID"))
        if code in codes:
            return None
        codes.add(code)
        spec = {
            "code": code,
            "name": text(row.get("NAME"), 200) or code,
            "kind": stage_kind(row),
            "sort": to_int(row.get("SORT")) or 100,
        }
        if color(row.get("COLOR")):
            spec["color"] = color(row.get("COLOR"))
        specs.append(spec)
    kinds = {spec["kind"] for spec in specs}
    return specs if kinds >= {StageKind.OPEN, StageKind.WON, StageKind.LOST} else None


def import_pipelines(imp: Importer) -> None:
    stats = imp.report.stats("pipelines", _("Pipelines"))
    stage_stats = imp.report.stats("stages", _("Stages"))
    categories = _deal_categories(imp)
    directories = ["STATUS"] + [stage_directory(c["id"]) for c in categories]
    statuses = _status_rows(imp, directories)
    stats.fetched = len(categories)

    def create(payload: dict, category: int):
        if category == 0:
            return update(default_pipeline(PipelineEntity.DEAL), payload)
        rows = statuses.get(stage_directory(category)) or []
        return pipeline_create(
            actor=None,
            data={"entity": PipelineEntity.DEAL, "name": payload["name"], "sort": payload["sort"]},
            stages=_pipeline_stage_specs(rows),
        )

    def update(pipeline: Pipeline, payload: dict):
        data = {k: v for k, v in payload.items() if getattr(pipeline, k) != v and v}
        return pipeline_update(actor=None, pipeline=pipeline, data=data) if data else pipeline

    with transaction.atomic():
        # The lead funnel is the default one here; the portal's lead statuses are its stages.
        lead_pipeline = default_pipeline(PipelineEntity.LEAD)
        _import_stages(imp, stage_stats, lead_pipeline, "STATUS", statuses.get("STATUS") or [])
    for category in categories:
        number = category["id"]
        with transaction.atomic():
            pipeline = imp.upsert(
                stats,
                "pipeline",
                number,
                build=lambda category=category: {
                    "name": category["name"][:200],
                    "sort": to_int(category.get("sort")) or 100,
                },
                load=lambda pk: Pipeline.objects.filter(pk=pk, entity=PipelineEntity.DEAL).first(),
                create=lambda payload, number=number: create(payload, number),
                update=update,
            )
            if pipeline is None:
                continue
            directory = stage_directory(number)
            _import_stages(imp, stage_stats, pipeline, directory, statuses.get(directory) or [])


def stage_of(imp: Importer, directory: str, status_id) -> Stage | None:
    """Our stage of a card's status, through the id map."""
    cache = imp.cache.setdefault("stages", {})
    key = stage_key(directory, status_id)
    if key not in cache:
        pk = imp.mapped("stage", key)
        cache[key] = Stage.objects.filter(pk=pk).select_related("pipeline").first() if pk else None
    return cache[key]


def deal_stage(imp: Importer, record: dict) -> Stage:
    category_from_stage, _code = split_stage(record.get("STAGE_ID"))
    category = category_from_stage or to_int(record.get("CATEGORY_ID")) or 0
    stage = stage_of(imp, stage_directory(category), record.get("STAGE_ID"))
    if stage is None:
        raise Problem(
            _("its stage “%(stage)s” of pipeline %(category)s was not imported")
            % {"stage": text(record.get("STAGE_ID")), "category": category}
        )
    return stage
