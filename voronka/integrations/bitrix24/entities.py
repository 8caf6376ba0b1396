"""Field mapping tables of leads, deals, contacts and companies (Bitrix24 name ↔ ours), and
what is built from them: ``*.fields``, rows of get/list, filters and orders, service data."""

import contextlib
import contextvars
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from voronka.access.models import Entity
from voronka.access.predicates import hidden_fields
from voronka.contacts.models import Communication, CommunicationKind, Company, Contact
from voronka.contacts.services.communications import normalize_communication
from voronka.customization.models import CustomField, FieldType, Source
from voronka.integrations.bitrix24.params import as_list, as_map, is_empty, to_bool, to_int
from voronka.integrations.bitrix24.values import classic, native, parse_when
from voronka.sales.models import Deal, Lead, Pipeline, PipelineEntity, Stage, StageKind

# entityTypeId of crm.item.* and OWNER_TYPE_ID of activities.
LEAD, DEAL, CONTACT, COMPANY = 1, 2, 3, 4
TYPE_NAMES = {LEAD: "LEAD", DEAL: "DEAL", CONTACT: "CONTACT", COMPANY: "COMPANY"}


@dataclass(frozen=True)
class F:
    """One field: its classic name, ``crm.item`` name, type, how to read it, which service
    data key writes it (None: read-only) and how to filter on it."""

    name: str
    item: str
    type: str
    read: Callable[[Any], Any] | None = None
    attr: str | None = None  # our field, for field rules and service data
    write: bool = False
    lookup: str | None = None  # ORM path for filters and orders
    required: bool = False
    multiple: bool = False
    status_type: str | None = None
    title: str = ""


def _attr(name: str) -> Callable[[Any], Any]:
    return lambda obj: getattr(obj, name)


def _id_of(name: str) -> Callable[[Any], Any]:
    return lambda obj: getattr(obj, f"{name}_id")


def _camel(name: str) -> str:
    head, *rest = name.lower().split("_")
    return head + "".join(part.capitalize() for part in rest)


def text(name, attr, *, title="", required=False, item=None) -> F:
    return F(
        name, item or _camel(name), "string", _attr(attr), attr, True, attr, required, title=title
    )


def ro(name, kind, read, *, item=None, lookup=None, attr=None) -> F:
    return F(name, item or _camel(name), kind, read, attr, False, lookup)


MULTIFIELD_KINDS = {
    "PHONE": CommunicationKind.PHONE,
    "EMAIL": CommunicationKind.EMAIL,
    "WEB": CommunicationKind.WEB,
    "IM": CommunicationKind.MESSENGER,
}
KIND_NAMES = {kind: name for name, kind in MULTIFIELD_KINDS.items()}
VALUE_TYPES_IN = {
    "WORK": "work",
    "MOBILE": "mobile",
    "HOME": "home",
    "TELEGRAM": "telegram",
    "WHATSAPP": "whatsapp",
    "VIBER": "viber",
    "VK": "vk",
}


def _source_code(obj) -> str | None:
    source = obj.source
    return source.code.upper() if source is not None else None


def _has(kind: str) -> Callable[[Any], bool]:
    return lambda obj: any(c.kind == kind for c in obj.communications.all())


def _utm(prefix: str = "UTM_") -> list[F]:
    return [
        text(f"{prefix}{part}", f"utm_{part.lower()}", item=f"utm{part.capitalize()}")
        for part in ("SOURCE", "MEDIUM", "CAMPAIGN", "CONTENT", "TERM")
    ]


def _common_tail(with_amount: bool) -> list[F]:
    fields = [
        F(
            "ASSIGNED_BY_ID",
            "assignedById",
            "user",
            _id_of("responsible"),
            "responsible",
            True,
            "responsible_id",
        ),
        ro("CREATED_BY_ID", "user", _id_of("created_by"), item="createdBy", lookup="created_by_id"),
        ro("MODIFY_BY_ID", "user", lambda obj: None, item="updatedBy"),
        ro("DATE_CREATE", "datetime", _attr("created_at"), item="createdTime", lookup="created_at"),
        ro("DATE_MODIFY", "datetime", _attr("updated_at"), item="updatedTime", lookup="updated_at"),
        ro("OPENED", "char", lambda obj: True),
        F(
            "SOURCE_ID",
            "sourceId",
            "crm_status",
            _source_code,
            "source",
            True,
            "source__code",
            status_type="SOURCE",
        ),
    ]
    if with_amount:
        fields += [
            F(
                "CURRENCY_ID",
                "currencyId",
                "crm_currency",
                _attr("currency"),
                "currency",
                True,
                "currency",
            ),
            F("OPPORTUNITY", "opportunity", "double", _attr("amount"), "amount", True, "amount"),
            ro("IS_MANUAL_OPPORTUNITY", "char", lambda obj: not obj.amount_from_products),
        ]
    return fields


def _multifields() -> list[F]:
    return [
        F(name, name.lower(), "crm_multifield", None, "communications", True, None, multiple=True)
        for name in MULTIFIELD_KINDS
    ]


def _lead_status(obj) -> str | None:
    return stage_code(obj.stage)


def _semantic(obj) -> str:
    return {StageKind.OPEN: "P", StageKind.WON: "S", StageKind.LOST: "F"}[obj.stage.kind]


LEAD_FIELDS = [
    ro("ID", "integer", _attr("pk"), item="id", lookup="pk"),
    text("TITLE", "title"),
    text("NAME", "first_name"),
    text("SECOND_NAME", "middle_name"),
    text("LAST_NAME", "last_name"),
    text("COMPANY_TITLE", "company_title"),
    text("POST", "position"),
    text("ADDRESS", "address"),
    text("COMMENTS", "comment"),
    F(
        "STATUS_ID",
        "stageId",
        "crm_status",
        _lead_status,
        "stage",
        True,
        "stage",
        status_type="STATUS",
    ),
    ro("STATUS_SEMANTIC_ID", "string", _semantic),
    ro("STATUS_DESCRIPTION", "string", _attr("loss_comment")),
    text("SOURCE_DESCRIPTION", "source_description"),
    F("COMPANY_ID", "companyId", "crm_company", _id_of("company"), "company", True, "company_id"),
    F("CONTACT_ID", "contactId", "crm_contact", _id_of("contact"), "contact", True, "contact_id"),
    ro("DATE_CLOSED", "datetime", _attr("closed_at"), item="closedate", lookup="closed_at"),
    ro("IS_RETURN_CUSTOMER", "char", lambda obj: obj.contact_id or obj.company_id),
    ro("HAS_PHONE", "char", _has(CommunicationKind.PHONE)),
    ro("HAS_EMAIL", "char", _has(CommunicationKind.EMAIL)),
    *_common_tail(with_amount=True),
    *_utm(),
    *_multifields(),
]


def _deal_category(obj) -> int:
    return category_id(obj.pipeline)


def _primary_contact(obj) -> int | None:
    links = getattr(obj, "b24_contact_links", None)
    if links is None:
        links = list(obj.contact_links.all())
    primary = [link for link in links if link.is_primary] or links
    return primary[0].contact_id if primary else None


DEAL_FIELDS = [
    ro("ID", "integer", _attr("pk"), item="id", lookup="pk"),
    text("TITLE", "title"),
    F("CATEGORY_ID", "categoryId", "crm_category", _deal_category, "pipeline", True, "pipeline"),
    F(
        "STAGE_ID",
        "stageId",
        "crm_status",
        lambda obj: stage_code(obj.stage),
        "stage",
        True,
        "stage",
        status_type="DEAL_STAGE",
    ),
    ro("STAGE_SEMANTIC_ID", "string", _semantic),
    ro("CLOSED", "char", lambda obj: obj.stage.kind != StageKind.OPEN),
    F(
        "PROBABILITY",
        "probability",
        "integer",
        _attr("probability"),
        "probability",
        True,
        "probability",
    ),
    F("COMPANY_ID", "companyId", "crm_company", _id_of("company"), "company", True, "company_id"),
    F(
        "CONTACT_ID",
        "contactId",
        "crm_contact",
        _primary_contact,
        "contacts",
        True,
        "contact_links__contact_id",
    ),
    F("CONTACT_IDS", "contactIds", "crm_contact", None, "contacts", True, None, multiple=True),
    F("BEGINDATE", "begindate", "date", _attr("begins_on"), "begins_on", True, "begins_on"),
    F("CLOSEDATE", "closedate", "date", _attr("closes_on"), "closes_on", True, "closes_on"),
    text("COMMENTS", "comment"),
    text("SOURCE_DESCRIPTION", "source_description"),
    ro("LEAD_ID", "crm_lead", _id_of("lead"), lookup="lead_id"),
    ro("IS_NEW", "char", lambda obj: obj.stage.kind == StageKind.OPEN and obj.stage.sort <= 10),
    *_common_tail(with_amount=True),
    *_utm(),
]


def _primary_company(obj) -> int | None:
    links = getattr(obj, "b24_company_links", None)
    if links is None:
        links = list(obj.company_links.all())
    primary = [link for link in links if link.is_primary] or links
    return primary[0].company_id if primary else None


CONTACT_FIELDS = [
    ro("ID", "integer", _attr("pk"), item="id", lookup="pk"),
    text("NAME", "first_name"),
    text("SECOND_NAME", "middle_name"),
    text("LAST_NAME", "last_name"),
    text("HONORIFIC", "honorific"),
    F("BIRTHDATE", "birthdate", "date", _attr("birthday"), "birthday", True, "birthday"),
    text("POST", "position"),
    text("ADDRESS", "address"),
    text("COMMENTS", "comment"),
    text("SOURCE_DESCRIPTION", "source_description"),
    F(
        "COMPANY_ID",
        "companyId",
        "crm_company",
        _primary_company,
        "companies",
        True,
        "company_links__company_id",
    ),
    F("COMPANY_IDS", "companyIds", "crm_company", None, "companies", True, None, multiple=True),
    ro("TYPE_ID", "crm_status", lambda obj: None),
    ro("EXPORT", "char", lambda obj: True),
    ro("HAS_PHONE", "char", _has(CommunicationKind.PHONE)),
    ro("HAS_EMAIL", "char", _has(CommunicationKind.EMAIL)),
    *_common_tail(with_amount=False),
    *_multifields(),
]

COMPANY_FIELDS = [
    ro("ID", "integer", _attr("pk"), item="id", lookup="pk"),
    text("TITLE", "title", required=True),
    F(
        "COMPANY_TYPE",
        "companyType",
        "crm_status",
        lambda obj: obj.company_type.upper(),
        "company_type",
        True,
        "company_type",
        status_type="COMPANY_TYPE",
    ),
    text("INDUSTRY", "industry"),
    F(
        "EMPLOYEES",
        "employees",
        "integer",
        _attr("employees_count"),
        "employees_count",
        True,
        "employees_count",
    ),
    text("COMMENTS", "comment"),
    ro("IS_MY_COMPANY", "char", lambda obj: False),
    ro("HAS_PHONE", "char", _has(CommunicationKind.PHONE)),
    ro("HAS_EMAIL", "char", _has(CommunicationKind.EMAIL)),
    *_common_tail(with_amount=False),
    *_multifields(),
]


@dataclass(frozen=True)
class Kind:
    type_id: int
    name: str  # LEAD, DEAL…
    entity: str  # access entity / custom field entity
    model: type
    fields: list[F]

    @property
    def by_name(self) -> dict[str, F]:
        return {f.name: f for f in self.fields}

    @property
    def by_item(self) -> dict[str, F]:
        return {f.item: f for f in self.fields}


KINDS = {
    LEAD: Kind(LEAD, "LEAD", Entity.LEAD, Lead, LEAD_FIELDS),
    DEAL: Kind(DEAL, "DEAL", Entity.DEAL, Deal, DEAL_FIELDS),
    CONTACT: Kind(CONTACT, "CONTACT", Entity.CONTACT, Contact, CONTACT_FIELDS),
    COMPANY: Kind(COMPANY, "COMPANY", Entity.COMPANY, Company, COMPANY_FIELDS),
}
KIND_BY_NAME = {kind.name.lower(): kind for kind in KINDS.values()}


def error_names(kind: Kind) -> dict[str, str]:
    """Our field name → the Bitrix24 name, for error messages."""
    names = {f.attr: f.name for f in kind.fields if f.attr and f.write}
    names.update({"responsible": "ASSIGNED_BY_ID", "stage": "STAGE_ID", "source": "SOURCE_ID"})
    if kind.type_id == LEAD:
        names["stage"] = "STATUS_ID"
    for definition in definitions(kind):
        names[definition.code] = uf_name(definition)
    return names


# --- stages, pipelines, sources ---------------------------------------------------------

STAGE_ALIASES = {
    "IN_PROCESS": "in_progress",
    "PROCESSED": "in_progress",
    "LOSE": "lost",
    "APOLOGY": "lost",
    "PREPAYMENT_INVOICE": "invoice",
    "FINAL_INVOICE": "invoice",
}


def default_pipeline(entity: str) -> Pipeline:
    from voronka.sales.services.pipelines import default_pipeline as ensure

    return ensure(entity)


def category_id(pipeline: Pipeline) -> int:
    """Bitrix24 numbers the general pipeline 0; the others keep their id."""
    return 0 if pipeline.is_default else pipeline.pk


def stage_code(stage: Stage) -> str:
    pipeline = stage.pipeline
    code = stage.code.upper()
    if pipeline.entity == PipelineEntity.DEAL and not pipeline.is_default:
        return f"C{pipeline.pk}:{code}"
    return code


def pipeline_by_category(value: Any) -> Pipeline | None:
    number = to_int(value)
    if number is None:
        return None
    if number == 0:
        return default_pipeline(PipelineEntity.DEAL)
    return Pipeline.objects.filter(entity=PipelineEntity.DEAL, pk=number).first()


def find_stage(entity: str, code: Any, pipeline: Pipeline | None = None) -> Stage | None:
    text_code = str(code or "").strip()
    if not text_code:
        return None
    match = re.fullmatch(r"C(\d+):(.+)", text_code, flags=re.IGNORECASE)
    if match and entity == PipelineEntity.DEAL:
        pipeline = Pipeline.objects.filter(entity=entity, pk=int(match.group(1))).first()
        text_code = match.group(2)
        if pipeline is None:
            return None
    pipeline = pipeline or default_pipeline(entity)
    stages = {s.code.lower(): s for s in pipeline.stages.all()}
    found = stages.get(text_code.lower())
    if found is None and text_code.upper() in STAGE_ALIASES:
        found = stages.get(STAGE_ALIASES[text_code.upper()])
    return found


def find_source(code: Any) -> Source | None:
    return Source.objects.filter(code__iexact=str(code).strip()).first()


# --- custom fields ----------------------------------------------------------------------

UF_TYPES = {
    FieldType.STRING: "string",
    FieldType.TEXT: "string",
    FieldType.INTEGER: "integer",
    FieldType.DECIMAL: "double",
    FieldType.MONEY: "money",
    FieldType.DATE: "date",
    FieldType.DATETIME: "datetime",
    FieldType.BOOLEAN: "boolean",
    FieldType.LIST: "enumeration",
    FieldType.EMPLOYEE: "employee",
    FieldType.CRM_LINK: "crm",
    FieldType.URL: "url",
}


# Custom field definitions read once per request (a batch of 50 lists asks 50 times).
_definitions: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "b24_definitions", default=None
)


@contextlib.contextmanager
def request_cache():
    token = _definitions.set({})
    try:
        yield
    finally:
        _definitions.reset(token)


def definitions(kind: Kind) -> list[CustomField]:
    cache = _definitions.get()
    if cache is not None and kind.entity in cache:
        return cache[kind.entity]
    found = list(
        CustomField.objects.filter(entity=kind.entity, is_active=True).order_by("sort", "pk")
    )
    if cache is not None:
        cache[kind.entity] = found
    return found


def forget_definitions(kind: Kind) -> None:
    """Read the definitions again after a user field was added, changed or deleted (a batch
    may use the new field in its next command)."""
    cache = _definitions.get()
    if cache is not None:
        cache.pop(kind.entity, None)


def uf_name(definition: CustomField) -> str:
    return f"UF_CRM_{definition.code.upper()}"


def uf_item_name(definition: CustomField) -> str:
    return "ufCrm" + "".join(part.capitalize() for part in definition.code.split("_"))


def uf_value(definition: CustomField, value: Any) -> Any:
    if value is None:
        return [] if definition.multiple else None
    if definition.field_type == FieldType.BOOLEAN and not definition.multiple:
        return "1" if value else "0"
    return value


# --- *.fields -----------------------------------------------------------------------------


def describe_fields(kind: Kind, *, item: bool = False, original_uf: bool = False) -> dict:
    result: dict[str, dict] = {}
    for f in kind.fields:
        description = {
            "type": f.type,
            "isRequired": f.required,
            "isReadOnly": not f.write,
            "isImmutable": f.name == "CATEGORY_ID",
            "isMultiple": f.multiple,
            "isDynamic": False,
            "title": f.title or f.name.replace("_", " ").title(),
        }
        if f.status_type:
            description["statusType"] = f.status_type
        if item:
            description["upperName"] = f.name
        result[f.item if item else f.name] = description
    for definition in definitions(kind):
        description = {
            "type": UF_TYPES.get(definition.field_type, "string"),
            "isRequired": definition.required,
            "isReadOnly": False,
            "isImmutable": False,
            "isMultiple": definition.multiple,
            "isDynamic": True,
            "title": uf_name(definition),
            "listLabel": definition.label,
            "formLabel": definition.label,
            "filterLabel": definition.label,
        }
        if definition.field_type == FieldType.LIST:
            description["items"] = [
                {"ID": str(option.get("id")), "VALUE": option.get("label")}
                for option in definition.options or []
            ]
        if item:
            description["upperName"] = uf_name(definition)
        key = uf_item_name(definition) if item and not original_uf else uf_name(definition)
        result[key] = description
    return result


# --- reading ------------------------------------------------------------------------------


def prepare(kind: Kind, queryset: QuerySet) -> QuerySet:
    """What a page of rows needs, in a fixed number of queries."""
    if kind.type_id in (LEAD, DEAL):
        queryset = queryset.select_related("stage__pipeline", "source")
    else:
        queryset = queryset.select_related("source")
    if kind.type_id in (LEAD, CONTACT, COMPANY):
        queryset = queryset.prefetch_related("communications")
    if kind.type_id == DEAL:
        queryset = queryset.select_related("pipeline").prefetch_related("contact_links")
    if kind.type_id == CONTACT:
        queryset = queryset.prefetch_related("company_links")
    return queryset


def _multifield_rows(obj, name: str, *, item: bool) -> list[dict]:
    kind = MULTIFIELD_KINDS[name]
    rows = []
    for c in obj.communications.all():
        if c.kind != kind:
            continue
        if item:
            rows.append(
                {"id": c.pk, "typeId": name, "valueType": c.value_type.upper(), "value": c.value}
            )
        else:
            rows.append(
                {
                    "ID": str(c.pk),
                    "VALUE_TYPE": c.value_type.upper(),
                    "VALUE": c.value,
                    "TYPE_ID": name,
                }
            )
    return rows


def selection(kind: Kind, select: Any, *, item: bool = False) -> tuple[list[F], list, bool]:
    """The fields, custom fields and whether multifields (``fm``) go into each row."""
    names = [str(n) for n in as_list(select) if not is_empty(n)]
    uf_all = definitions(kind)
    if not names:
        return (
            [f for f in kind.fields if f.type != "crm_multifield" and f.read],
            uf_all,
            False,
        )
    index = kind.by_item if item else kind.by_name
    upper_index = kind.by_name
    chosen: list[F] = []
    ufs: list = []
    fm = False
    for name in names:
        if name == "*":
            chosen += [f for f in kind.fields if f.type != "crm_multifield" and f.read]
            if item:
                fm = True
        elif name.upper() in ("UF_*",) or name == "uf*":
            ufs += uf_all
        elif name in index or name.upper() in upper_index:
            f = index.get(name) or upper_index[name.upper()]
            chosen.append(f)
        elif name.lower() == "fm" and item:
            fm = True
        else:
            for definition in uf_all:
                if name in (uf_name(definition), uf_item_name(definition)):
                    ufs.append(definition)
    id_field = kind.by_name["ID"]
    if id_field not in chosen:
        chosen.insert(0, id_field)
    return list(dict.fromkeys(chosen)), list(dict.fromkeys(ufs)), fm


def row(
    kind: Kind,
    obj,
    fields: list[F],
    ufs: list,
    *,
    item: bool,
    fm: bool,
    hidden=(),
    original_uf: bool = False,
) -> dict:
    """One card as the classic methods print it, or ``crm.item.*`` (``item``); user fields of
    items are named ``ufCrm…`` unless ``original_uf`` (``useOriginalUfNames=Y``)."""
    data: dict[str, Any] = {}
    for f in fields:
        if f.attr and f.attr in hidden:
            continue
        if f.type == "crm_multifield":
            if not item:
                data[f.name] = _multifield_rows(obj, f.name, item=False)
            continue
        if f.read is None:
            continue
        value = f.read(obj)
        data[f.item if item else f.name] = native(value, f.type) if item else classic(value, f.type)
    if item and fm and kind.type_id != DEAL:
        data["fm"] = [
            entry for name in MULTIFIELD_KINDS for entry in _multifield_rows(obj, name, item=True)
        ]
    stored = obj.custom_fields or {}
    for definition in ufs:
        if definition.code in hidden:
            continue
        key = uf_item_name(definition) if item and not original_uf else uf_name(definition)
        data[key] = uf_value(definition, stored.get(definition.code))
    return data


def hidden(user, kind: Kind) -> frozenset[str]:
    return hidden_fields(user, kind.entity)


# --- filters and orders -------------------------------------------------------------------

_OPERATORS = ("!@", "!%=", "!=%", "!%", "!=", "!", "@", ">=", "<=", ">", "<", "=%", "%=", "%", "=")


def _split(key: str) -> tuple[str, str]:
    for operator in _OPERATORS:
        if key.startswith(operator):
            return operator, key[len(operator) :]
    return "", key


def _field_for(kind: Kind, name: str) -> F | None:
    return kind.by_name.get(name.upper()) or kind.by_item.get(name)


def _coerce(kind: Kind, f: F, value: Any) -> Any:
    if isinstance(value, list):
        return [_coerce(kind, f, v) for v in value]
    if f.name in ("STATUS_ID", "STAGE_ID"):
        entity = PipelineEntity.LEAD if kind.type_id == LEAD else PipelineEntity.DEAL
        stage = find_stage(entity, value)
        return stage.pk if stage else -1
    if f.name == "CATEGORY_ID":
        pipeline = pipeline_by_category(value)
        return pipeline.pk if pipeline else -1
    if f.name == "SOURCE_ID":
        return str(value).lower()
    if f.name == "COMPANY_TYPE":
        return str(value).lower()
    if f.type in ("integer", "user", "crm_company", "crm_contact", "crm_lead", "crm_category"):
        number = to_int(value)
        return number if number is not None else -1
    if f.type == "double":
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return Decimal(0)
    if f.type in ("date", "datetime"):
        try:
            return parse_when(value, date_only=f.type == "date")
        except ValueError:
            raise ValidationError({f.name: _("Enter a date such as 2026-11-23.")}) from None
    if f.type == "char":
        return to_bool(value)
    return value


def _like(lookup: str, value: str) -> Q:
    text_value = str(value)
    if text_value.startswith("%") and text_value.endswith("%") and len(text_value) > 1:
        return Q(**{f"{lookup}__icontains": text_value.strip("%")})
    if text_value.endswith("%"):
        return Q(**{f"{lookup}__istartswith": text_value.rstrip("%")})
    if text_value.startswith("%"):
        return Q(**{f"{lookup}__iendswith": text_value.lstrip("%")})
    return Q(**{f"{lookup}__iexact": text_value})


def _communication_q(kind: Kind, name: str, value: Any) -> Q:
    communication_kind = MULTIFIELD_KINDS[name]
    values = value if isinstance(value, list) else [value]
    normalized = [normalize_communication(communication_kind, str(v)) or str(v) for v in values]
    from django.contrib.contenttypes.models import ContentType

    matches = Communication.objects.filter(
        card_type=ContentType.objects.get_for_model(kind.model),
        card_id=OuterRef("pk"),
        kind=communication_kind,
        value_normalized__in=normalized,
    )
    return Q(Exists(matches))


def _condition(kind: Kind, key: str, value: Any) -> Q | None:
    operator, name = _split(str(key))
    if name.upper() in MULTIFIELD_KINDS:
        condition = _communication_q(kind, name.upper(), value)
        return ~condition if operator.startswith("!") else condition
    f = _field_for(kind, name)
    lookup = f.lookup if f else None
    if f is None:
        for definition in definitions(kind):
            if name in (uf_name(definition), uf_item_name(definition)):
                lookup = f"custom_fields__{definition.code}"
                f = F(name, name, "string", lookup=lookup)
        if f is None:
            return None  # unknown fields are ignored, as Bitrix24 does
    if f.name == "CONTACT_ID" and kind.type_id == DEAL:
        lookup = "contact_links__contact_id"
    value = as_list(value) if isinstance(value, dict) else value
    if is_empty(value) and operator not in ("", "=", "!", "!="):
        # A comparison with nothing (an unresolved ``$result`` of a chained batch) matches
        # nothing, so the chain ends with an empty page instead of starting over.
        return Q(pk__in=[])
    value = _coerce(kind, f, value)
    if is_empty(value) and operator in ("", "=", "!", "!="):
        empty = Q(**{f"{lookup}__isnull": True})
        if f.type in ("string",):
            empty |= Q(**{lookup: ""})
        return ~empty if operator.startswith("!") else empty
    if operator in ("", "="):
        if isinstance(value, list):
            return Q(**{f"{lookup}__in": value})
        return Q(**{lookup: value})
    if operator in ("@",):
        return Q(**{f"{lookup}__in": value if isinstance(value, list) else [value]})
    if operator in ("!@",):
        return ~Q(**{f"{lookup}__in": value if isinstance(value, list) else [value]})
    if operator in ("!", "!="):
        if isinstance(value, list):
            return ~Q(**{f"{lookup}__in": value})
        return ~Q(**{lookup: value})
    comparisons = {">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}
    if operator in comparisons:
        return Q(**{f"{lookup}__{comparisons[operator]}": value})
    if operator == "%":
        return Q(**{f"{lookup}__icontains": str(value)})
    if operator in ("=%", "%="):
        return _like(lookup, value)
    if operator == "!%":
        return ~Q(**{f"{lookup}__icontains": str(value)})
    if operator in ("!=%", "!%="):
        return ~_like(lookup, value)
    return None


def build_filter(kind: Kind, raw: Any) -> Q:
    condition = Q()
    for key, value in as_map(raw).items():
        if str(key).upper() == "LOGIC":
            continue
        if str(key).isdigit() and isinstance(value, dict):
            # crm.item.list: nested groups with "logic": "OR".
            logic = str(value.get("logic") or value.get("LOGIC") or "AND").upper()
            parts = [_condition(kind, k, v) for k, v in value.items() if str(k).upper() != "LOGIC"]
            parts = [p for p in parts if p is not None]
            if parts:
                group = parts[0]
                for part in parts[1:]:
                    group = (group | part) if logic == "OR" else (group & part)
                condition &= group
            continue
        part = _condition(kind, str(key), value)
        if part is not None:
            condition &= part
    return condition


def build_order(kind: Kind, raw: Any) -> list[str]:
    order: list[str] = []
    for key, direction in as_map(raw).items():
        f = _field_for(kind, str(key))
        if f is None or not f.lookup:
            continue
        lookup = "pk" if f.lookup == "pk" else f.lookup
        descending = str(direction).strip().upper() == "DESC"
        order.append(f"-{lookup}" if descending else lookup)
    if not any(o.lstrip("-") == "pk" for o in order):
        order.append("pk")
    return order
