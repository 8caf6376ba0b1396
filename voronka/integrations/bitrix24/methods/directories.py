"""Stages, sources and pipelines as Bitrix24 directories: ``crm.status.*``,
``crm.category.*`` and the older ``crm.dealcategory.*``."""

from voronka.contacts.models import CompanyType
from voronka.customization.models import Source
from voronka.customization.services import source_create, source_update
from voronka.integrations.bitrix24 import entities as E
from voronka.integrations.bitrix24.params import as_map, to_bool, to_int
from voronka.integrations.bitrix24.registry import CLASSIC, OTHER, NotFound, field_names, method
from voronka.integrations.bitrix24.responses import B24Error, Page
from voronka.integrations.bitrix24.values import classic
from voronka.sales.models import Pipeline, PipelineEntity, Stage, StageKind
from voronka.sales.services.catalogues import pipeline_update
from voronka.sales.services.pipelines import (
    pipeline_create,
    pipeline_delete,
    stage_create,
    stage_delete,
    stage_update,
)

# crm.status ids are global in Bitrix24: stages keep their id, the other directories are
# numbered from these offsets.
SOURCE_IDS = 1_000_000
TYPE_IDS = 2_000_000
SEMANTICS = {StageKind.OPEN: None, StageKind.WON: "S", StageKind.LOST: "F"}
EXTRA = {StageKind.OPEN: "process", StageKind.WON: "success", StageKind.LOST: "failure"}


def _status_row(
    entity_id: str, status_id: str, name: str, sort: int, pk, *, stage=None, category=None
) -> dict:
    row = {
        "ID": str(pk),
        "ENTITY_ID": entity_id,
        "STATUS_ID": status_id,
        "NAME": name,
        "NAME_INIT": name,
        "SORT": str(sort),
        "SYSTEM": "N",
        "CATEGORY_ID": None if category is None else str(category),
        "COLOR": stage.color.upper() if stage is not None else None,
        "SEMANTICS": SEMANTICS[stage.kind] if stage is not None else None,
    }
    if stage is not None:
        row["EXTRA"] = {"SEMANTICS": EXTRA[stage.kind], "COLOR": stage.color.upper()}
    return row


def _stage_entity_id(pipeline: Pipeline) -> str:
    if pipeline.entity == PipelineEntity.LEAD:
        return "STATUS"
    category = E.category_id(pipeline)
    return "DEAL_STAGE" if category == 0 else f"DEAL_STAGE_{category}"


def _stages(pipeline: Pipeline) -> list[dict]:
    entity_id = _stage_entity_id(pipeline)
    category = None if pipeline.entity == PipelineEntity.LEAD else E.category_id(pipeline)
    ordered = sorted(
        pipeline.stages.all(),
        key=lambda s: (
            {StageKind.OPEN: 0, StageKind.WON: 1, StageKind.LOST: 2}[s.kind],
            s.sort,
            s.pk,
        ),
    )
    return [
        _status_row(entity_id, E.stage_code(s), s.name, s.sort, s.pk, stage=s, category=category)
        for s in ordered
    ]


def directory(entity_id: str) -> list[dict]:
    entity_id = entity_id.upper()
    if entity_id == "STATUS":
        return _stages(E.default_pipeline(PipelineEntity.LEAD))
    if entity_id == "DEAL_STAGE":
        return _stages(E.default_pipeline(PipelineEntity.DEAL))
    if entity_id.startswith("DEAL_STAGE_"):
        pipeline = E.pipeline_by_category(entity_id.removeprefix("DEAL_STAGE_"))
        return _stages(pipeline) if pipeline is not None else []
    if entity_id == "SOURCE":
        return [
            _status_row("SOURCE", s.code.upper(), s.name, s.sort, SOURCE_IDS + s.pk)
            for s in Source.objects.filter(is_active=True).order_by("sort", "name", "pk")
        ]
    if entity_id == "COMPANY_TYPE":
        return [
            _status_row("COMPANY_TYPE", value.upper(), str(label), (i + 1) * 10, TYPE_IDS + i + 1)
            for i, (value, label) in enumerate(CompanyType.choices)
        ]
    return []


def _entity_ids() -> list[str]:
    ids = ["STATUS", "SOURCE", "COMPANY_TYPE", "DEAL_STAGE"]
    ids += [
        f"DEAL_STAGE_{p.pk}"
        for p in Pipeline.objects.filter(entity=PipelineEntity.DEAL, is_default=False)
    ]
    return ids


@method("crm.status.list", scope="crm", family=CLASSIC)
def status_list(ctx, params):
    filters = {str(k).upper(): v for k, v in as_map(params.get("filter")).items()}
    entity_ids = [str(filters["ENTITY_ID"])] if "ENTITY_ID" in filters else _entity_ids()
    rows = [row for entity_id in entity_ids for row in directory(entity_id)]
    for key in ("STATUS_ID", "ID", "CATEGORY_ID"):
        if key in filters:
            rows = [r for r in rows if str(r[key]) == str(filters[key])]
    return Page(rows, total=len(rows))


@method("crm.status.entity.items", scope="crm", family=CLASSIC)
def status_entity_items(ctx, params):
    entity_id = str(params.get("entityid") or "")
    if not entity_id:
        raise B24Error("", "The parameter entityId is not defined or invalid.", 400)
    return [
        {"NAME": r["NAME"], "SORT": int(r["SORT"]), "STATUS_ID": r["STATUS_ID"]}
        for r in directory(entity_id)
    ]


@method("crm.status.entity.types", scope="crm", family=CLASSIC)
def status_entity_types(ctx, params):
    types = [
        {
            "ID": "STATUS",
            "NAME": "Lead stages",
            "SEMANTIC_INFO": _semantic_info("STATUS"),
            "PREFIX": "",
            "ENTITY_TYPE_ID": E.LEAD,
        },
        {"ID": "SOURCE", "NAME": "Sources"},
        {"ID": "COMPANY_TYPE", "NAME": "Company types"},
    ]
    for pipeline in Pipeline.objects.filter(entity=PipelineEntity.DEAL).order_by("sort", "pk"):
        category = E.category_id(pipeline)
        types.append(
            {
                "ID": _stage_entity_id(pipeline),
                "NAME": f"{pipeline.name} deal stages",
                "SEMANTIC_INFO": _semantic_info(_stage_entity_id(pipeline)),
                "PREFIX": "" if category == 0 else f"C{category}",
                "ENTITY_TYPE_ID": E.DEAL,
                "CATEGORY_ID": category,
            }
        )
    return types


def _semantic_info(entity_id: str) -> dict:
    rows = directory(entity_id)
    success = [r for r in rows if r["SEMANTICS"] == "S"]
    failure = [r for r in rows if r["SEMANTICS"] == "F"]
    return {
        "START_FIELD": rows[0]["STATUS_ID"] if rows else "",
        "FINAL_SUCCESS_FIELD": success[0]["STATUS_ID"] if success else "",
        "FINAL_UNSUCCESS_FIELD": failure[0]["STATUS_ID"] if failure else "",
        "FINAL_SORT": int(success[0]["SORT"]) if success else 0,
    }


# --- pipelines ----------------------------------------------------------------------------


def _category(pipeline: Pipeline) -> dict:
    return {
        "id": E.category_id(pipeline),
        "name": pipeline.name,
        "sort": pipeline.sort,
        "entityTypeId": E.DEAL,
        "isDefault": "Y" if pipeline.is_default else "N",
        "originId": "",
        "originatorId": "",
    }


def _deal_pipelines():
    E.default_pipeline(PipelineEntity.DEAL)
    return Pipeline.objects.filter(entity=PipelineEntity.DEAL).order_by("-is_default", "sort", "pk")


def _entity_type(params) -> None:
    if to_int(params.get("entitytypeid")) != E.DEAL:
        raise B24Error("ENTITY_TYPE_NOT_SUPPORTED", "Entity type is not supported", 400)


@method("crm.category.list", scope="crm", family=OTHER)
def category_list(ctx, params):
    _entity_type(params)
    rows = [_category(p) for p in _deal_pipelines()]
    return Page({"categories": rows}, total=len(rows))


@method("crm.category.get", scope="crm", family=OTHER)
def category_get(ctx, params):
    _entity_type(params)
    pipeline = E.pipeline_by_category(params.get("id"))
    if pipeline is None:
        raise NotFound("Category not found")
    return {"category": _category(pipeline)}


def _dealcategory(pipeline: Pipeline) -> dict:
    return {
        "ID": str(E.category_id(pipeline)),
        "CREATED_DATE": classic(pipeline.created_at, "datetime"),
        "NAME": pipeline.name,
        "IS_LOCKED": "N",
        "SORT": str(pipeline.sort),
    }


@method("crm.dealcategory.list", scope="crm", family=CLASSIC)
def dealcategory_list(ctx, params):
    rows = [_dealcategory(p) for p in _deal_pipelines() if not p.is_default]
    return Page(rows, total=len(rows))


@method("crm.dealcategory.get", scope="crm", family=CLASSIC)
def dealcategory_get(ctx, params):
    pipeline = E.pipeline_by_category(params.get("id"))
    if pipeline is None or pipeline.is_default:
        raise NotFound("Not found")
    return _dealcategory(pipeline)


@method("crm.dealcategory.default.get", scope="crm", family=CLASSIC)
def dealcategory_default_get(ctx, params):
    pipeline = E.default_pipeline(PipelineEntity.DEAL)
    return {"ID": 0, "NAME": pipeline.name}


@method("crm.dealcategory.status", scope="crm", family=CLASSIC)
def dealcategory_status(ctx, params):
    category = to_int(params.get("id")) or 0
    return "DEAL_STAGE" if category == 0 else f"DEAL_STAGE_{category}"


@method("crm.dealcategory.stage.list", scope="crm", family=CLASSIC)
def dealcategory_stage_list(ctx, params):
    pipeline = E.pipeline_by_category(params.get("id") or 0)
    if pipeline is None:
        raise NotFound("Not found")
    rows = _stages(pipeline)
    return Page(rows, total=len(rows))


@method("crm.dealcategory.fields", scope="crm", family=CLASSIC)
def dealcategory_fields(ctx, params):
    def field(kind, read_only=False):
        return {
            "type": kind,
            "isRequired": False,
            "isReadOnly": read_only,
            "isImmutable": False,
            "isMultiple": False,
            "isDynamic": False,
            "title": "",
        }

    return {
        "ID": field("integer", True),
        "CREATED_DATE": field("date", True),
        "NAME": field("string"),
        "IS_LOCKED": field("char", True),
        "SORT": field("integer"),
    }


# --- writes (tier T2) ---------------------------------------------------------------------

KINDS_BY_SEMANTICS = {"S": StageKind.WON, "F": StageKind.LOST}


def _pipeline_of_directory(entity_id: str) -> Pipeline | None:
    entity_id = entity_id.upper()
    if entity_id == "STATUS":
        return E.default_pipeline(PipelineEntity.LEAD)
    if entity_id == "DEAL_STAGE":
        return E.default_pipeline(PipelineEntity.DEAL)
    if entity_id.startswith("DEAL_STAGE_"):
        return E.pipeline_by_category(entity_id.removeprefix("DEAL_STAGE_"))
    return None


def _status_fields(params) -> dict:
    return {str(k).upper(): v for k, v in as_map(params.get("fields")).items()}


def _status_object(params):
    number = to_int(params.get("id")) or 0
    if 0 < number < SOURCE_IDS:
        stage = Stage.objects.select_related("pipeline").filter(pk=number).first()
        if stage is not None:
            return stage
    if SOURCE_IDS < number < TYPE_IDS:
        source = Source.objects.filter(pk=number - SOURCE_IDS).first()
        if source is not None:
            return source
    raise B24Error("ERROR_CORE", "Invalid identifier.", 400)


def _stage_data(fields: dict, *, creating: bool) -> dict:
    data = {}
    if "NAME" in fields:
        data["name"] = str(fields["NAME"] or "")
    if to_int(fields.get("SORT")) is not None:
        data["sort"] = to_int(fields["SORT"])
    if fields.get("COLOR"):
        data["color"] = str(fields["COLOR"])
    if creating:
        code = str(fields.get("STATUS_ID") or "")
        data["code"] = code.split(":", 1)[-1].lower()
        data["kind"] = KINDS_BY_SEMANTICS.get(
            str(fields.get("SEMANTICS") or "").upper(), StageKind.OPEN
        )
    return data


@method("crm.status.add", scope="crm", family=OTHER)
def status_add(ctx, params):
    fields = _status_fields(params)
    entity_id = str(fields.get("ENTITY_ID") or "")
    if not entity_id or not fields.get("STATUS_ID") or not fields.get("NAME"):
        raise B24Error("ERROR_CORE", "ENTITY_ID, STATUS_ID and NAME are required.", 400)
    names = {"name": "NAME", "code": "STATUS_ID", "sort": "SORT", "color": "COLOR"}
    with field_names(names):
        if entity_id.upper() == "SOURCE":
            source = source_create(
                actor=ctx.user,
                data={
                    "code": str(fields["STATUS_ID"]).lower(),
                    "name": str(fields["NAME"]),
                    **({"sort": to_int(fields["SORT"])} if to_int(fields.get("SORT")) else {}),
                },
            )
            return SOURCE_IDS + source.pk
        pipeline = _pipeline_of_directory(entity_id)
        if pipeline is None:
            raise B24Error("ERROR_CORE", "Invalid entity.", 400)
        return stage_create(
            actor=ctx.user, pipeline=pipeline, data=_stage_data(fields, creating=True)
        ).pk


@method("crm.status.update", scope="crm", family=OTHER)
def status_update(ctx, params):
    target = _status_object(params)
    fields = _status_fields(params)
    with field_names({"name": "NAME", "sort": "SORT", "color": "COLOR"}):
        if isinstance(target, Source):
            data = {k: v for k, v in _stage_data(fields, creating=False).items() if k != "color"}
            source_update(actor=ctx.user, source=target, data=data)
        else:
            stage_update(actor=ctx.user, stage=target, data=_stage_data(fields, creating=False))
    return True


@method("crm.status.delete", scope="crm", family=OTHER)
def status_delete(ctx, params):
    target = _status_object(params)
    if isinstance(target, Source):
        source_update(actor=ctx.user, source=target, data={"is_active": False})
    else:
        stage_delete(actor=ctx.user, stage=target)
    return True


@method("crm.category.add", scope="crm", family=OTHER)
def category_add(ctx, params):
    _entity_type(params)
    fields = {str(k).lower(): v for k, v in as_map(params.get("fields")).items()}
    data = {"entity": PipelineEntity.DEAL, "name": str(fields.get("name") or "")}
    if to_int(fields.get("sort")) is not None:
        data["sort"] = to_int(fields["sort"])
    with field_names({"name": "name", "sort": "sort"}):
        pipeline = pipeline_create(actor=ctx.user, data=data)
    return {"category": _category(pipeline)}


@method("crm.dealcategory.add", scope="crm", family=CLASSIC)
def dealcategory_add(ctx, params):
    fields = {str(k).upper(): v for k, v in as_map(params.get("fields")).items()}
    data = {"entity": PipelineEntity.DEAL, "name": str(fields.get("NAME") or "")}
    if to_int(fields.get("SORT")) is not None:
        data["sort"] = to_int(fields["SORT"])
    with field_names({"name": "NAME", "sort": "SORT"}):
        return pipeline_create(actor=ctx.user, data=data).pk


def _found_category(params) -> Pipeline:
    pipeline = E.pipeline_by_category(params.get("id"))
    if pipeline is None:
        raise NotFound("Category not found")
    return pipeline


def _pipeline_data(fields: dict, names: dict[str, str]) -> dict:
    """Service data from ``name``/``sort``/``isDefault`` as spelled in ``names``."""
    data = {}
    if names["name"] in fields:
        data["name"] = str(fields[names["name"]] or "")
    if names["sort"] in fields:
        sort = to_int(fields[names["sort"]])
        data["sort"] = sort if sort is not None and sort >= 0 else fields[names["sort"]]
    if names.get("is_default") in fields and to_bool(fields[names["is_default"]]):
        data["is_default"] = True
    return data


CATEGORY_NAMES = {"name": "name", "sort": "sort", "is_default": "isdefault"}
DEALCATEGORY_NAMES = {"name": "NAME", "sort": "SORT"}


@method("crm.category.update", scope="crm", family=OTHER)
def category_update(ctx, params):
    _entity_type(params)
    pipeline = _found_category(params)
    fields = {str(k).lower(): v for k, v in as_map(params.get("fields")).items()}
    with field_names({"name": "name", "sort": "sort", "is_default": "isDefault"}):
        pipeline = pipeline_update(
            actor=ctx.user, pipeline=pipeline, data=_pipeline_data(fields, CATEGORY_NAMES)
        )
    return {"category": _category(pipeline)}


@method("crm.category.delete", scope="crm", family=OTHER)
def category_delete(ctx, params):
    _entity_type(params)
    pipeline_delete(actor=ctx.user, pipeline=_found_category(params))
    return None


@method("crm.category.fields", scope="crm", family=OTHER)
def category_fields(ctx, params):
    _entity_type(params)

    def field(kind, title, *, required=False, read_only=False):
        return {
            "type": kind,
            "isRequired": required,
            "isReadOnly": read_only,
            "isImmutable": False,
            "isMultiple": False,
            "isDynamic": False,
            "title": title,
        }

    return {
        "fields": {
            "id": field("integer", "ID", read_only=True),
            "name": field("string", "Name", required=True),
            "sort": field("integer", "Sort"),
            "entityTypeId": field("integer", "Entity type", read_only=True),
            "isDefault": field("boolean", "Default"),
            "originId": field("string", "Origin ID", read_only=True),
            "originatorId": field("string", "Originator ID", read_only=True),
        }
    }


def _found_dealcategory(params) -> Pipeline:
    pipeline = E.pipeline_by_category(params.get("id"))
    # The classic methods know only the pipelines besides the general one.
    if pipeline is None or pipeline.is_default:
        raise NotFound("Not found")
    return pipeline


@method("crm.dealcategory.update", scope="crm", family=CLASSIC)
def dealcategory_update(ctx, params):
    pipeline = _found_dealcategory(params)
    fields = {str(k).upper(): v for k, v in as_map(params.get("fields")).items()}
    with field_names(DEALCATEGORY_NAMES):
        pipeline_update(
            actor=ctx.user, pipeline=pipeline, data=_pipeline_data(fields, DEALCATEGORY_NAMES)
        )
    return True


@method("crm.dealcategory.delete", scope="crm", family=CLASSIC)
def dealcategory_delete(ctx, params):
    pipeline_delete(actor=ctx.user, pipeline=_found_dealcategory(params))
    return True


@method("crm.status.get", scope="crm", family=OTHER)
def status_get(ctx, params):
    target = _status_object(params)
    if isinstance(target, Source):
        rows = directory("SOURCE")
        wanted = str(SOURCE_IDS + target.pk)
    else:
        rows = directory(_stage_entity_id(target.pipeline))
        wanted = str(target.pk)
    found = next((row for row in rows if row["ID"] == wanted), None)
    if found is None:
        raise B24Error("ERROR_CORE", "Invalid identifier.", 400)
    return found


@method("crm.status.fields", scope="crm", family=OTHER)
def status_fields(ctx, params):
    def field(kind, title, *, required=False, read_only=False, immutable=False):
        return {
            "type": kind,
            "isRequired": required,
            "isReadOnly": read_only,
            "isImmutable": immutable,
            "isMultiple": False,
            "isDynamic": False,
            "title": title,
        }

    return {
        "ID": field("integer", "ID", read_only=True),
        "ENTITY_ID": field("string", "Directory", required=True, immutable=True),
        "STATUS_ID": field("string", "Code", required=True, immutable=True),
        "NAME": field("string", "Name", required=True),
        "NAME_INIT": field("string", "Initial name", read_only=True),
        "SORT": field("integer", "Sort"),
        "SYSTEM": field("char", "System", read_only=True),
        "CATEGORY_ID": field("integer", "Pipeline", read_only=True),
        "COLOR": field("string", "Colour"),
        "SEMANTICS": field("string", "Semantics", immutable=True),
    }
