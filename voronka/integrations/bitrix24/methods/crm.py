"""``crm.{lead,deal,contact,company}.*`` (classic) and ``crm.item.*`` (entityTypeId 1–4)."""

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from voronka.access.predicates import visible_to
from voronka.contacts.models import Company, Contact
from voronka.contacts.services.companies import company_create, company_delete, company_update
from voronka.contacts.services.contacts import (
    contact_create,
    contact_delete,
    contact_link_company,
    contact_unlink_company,
    contact_update,
)
from voronka.integrations.bitrix24 import entities as E
from voronka.integrations.bitrix24.params import as_list, as_map, is_empty, to_bool, to_int
from voronka.integrations.bitrix24.registry import CLASSIC, ITEM, NotFound, field_names, method
from voronka.integrations.bitrix24.responses import PAGE_SIZE, B24Error, Page
from voronka.integrations.bitrix24.values import parse_when
from voronka.sales.models import PipelineEntity
from voronka.sales.services.deals import deal_create, deal_delete, deal_update
from voronka.sales.services.leads import lead_create, lead_delete, lead_update
from voronka.sales.services.stages import (
    deal_change_pipeline,
    deal_move_to_stage,
    lead_move_to_stage,
)

# --- parameters ---------------------------------------------------------------------------


def object_id(params: dict, *, item: bool = False) -> int:
    number = to_int(params.get("id"))
    if number is None or number <= 0:
        if item:
            raise B24Error("INVALID_ARG_VALUE", "Parameter 'id' is not defined or invalid.", 400)
        raise B24Error("", "ID is not defined or invalid.", 400)
    return number


def fields_param(params: dict, *, item: bool = False) -> dict:
    fields = params.get("fields")
    if fields is None or fields == "":
        fields = {}
    if not isinstance(fields, dict):
        if item:
            raise B24Error("INVALID_ARG_VALUE", "Parameter 'fields' must be array.", 400)
        raise B24Error("", "Parameter 'fields' must be array.", 400)
    return fields


def start_param(params: dict) -> int | None:
    """The page offset; None for ``start=-1`` (no count)."""
    start = to_int(params.get("start"))
    if start is None or start == 0:
        return 0
    return None if start < 0 else start


def paginate(queryset, start: int | None, render) -> Page:
    if start is None:
        rows = [render(obj) for obj in queryset[:PAGE_SIZE]]
        return Page(rows, total=0)
    total = queryset.count()
    rows = [render(obj) for obj in queryset[start : start + PAGE_SIZE]]
    following = start + PAGE_SIZE
    return Page(rows, total=total, next=following if following < total else None)


def kind_of_item(params: dict) -> E.Kind:
    type_id = to_int(params.get("entitytypeid"))
    if type_id not in E.KINDS:
        raise B24Error("NOT_FOUND", "Smart process not found", 400)
    return E.KINDS[type_id]


def visible(ctx, kind: E.Kind, action: str = "read"):
    return visible_to(ctx.user, kind.model.objects.all(), action=action)


def load(ctx, kind: E.Kind, pk: int):
    obj = E.prepare(kind, visible(ctx, kind)).filter(pk=pk).first()
    if obj is None:
        raise NotFound(_("Not found"))
    return obj


# --- from Bitrix24 fields to service data -------------------------------------------------


class Incoming:
    """What a client sent, split into service arguments."""

    def __init__(self):
        self.data: dict[str, Any] = {}
        self.custom: dict[str, Any] = {}
        self.multifields: dict[str, list] = {}
        self.stage: Any = None
        self.pipeline: Any = None
        self.contact_ids: list[int] | None = None
        self.company_ids: list[int] | None = None


def _ids(value: Any) -> list[int]:
    return [n for n in (to_int(v) for v in as_list(value)) if n]


def _link_id(value: Any) -> int | None:
    number = to_int(value)
    return number if number else None


def incoming(kind: E.Kind, fields: dict, *, item: bool) -> Incoming:
    got = Incoming()
    ufs = {E.uf_name(d): d for d in E.definitions(kind)}
    ufs.update({E.uf_item_name(d): d for d in ufs.values()})
    errors: dict[str, list[str]] = {}
    for raw_key, value in fields.items():
        key = str(raw_key)
        if item and key == "fm":
            for entry in as_list(value):
                entry = as_map(entry)
                type_id = str(entry.get("typeId") or entry.get("TYPE_ID") or "").upper()
                if type_id in E.MULTIFIELD_KINDS:
                    got.multifields.setdefault(type_id, []).append(
                        {
                            "ID": entry.get("id") or entry.get("ID"),
                            "VALUE": entry.get("value", entry.get("VALUE")),
                            "VALUE_TYPE": entry.get("valueType") or entry.get("VALUE_TYPE"),
                            "DELETE": entry.get("delete") or entry.get("DELETE"),
                        }
                    )
            continue
        definition = ufs.get(key) or ufs.get(key.upper())
        if definition is not None:
            if definition.multiple:
                value = [v for v in as_list(value) if not is_empty(v)]
            elif is_empty(value):
                value = None
            got.custom[definition.code] = value
            continue
        f = (kind.by_item.get(key) if item else None) or kind.by_name.get(key.upper())
        if f is None or not f.write:
            continue
        if f.type == "crm_multifield":
            got.multifields[f.name] = [as_map(v) for v in as_list(value)]
        elif f.name in ("STATUS_ID", "STAGE_ID"):
            got.stage = None if is_empty(value) else str(value)
        elif f.name == "CATEGORY_ID":
            got.pipeline = value
        elif f.name == "SOURCE_ID":
            if is_empty(value):
                got.data["source"] = None
            else:
                source = E.find_source(value)
                if source is None:
                    errors[f.name] = [_("Unknown source “%(code)s”.") % {"code": value}]
                else:
                    got.data["source"] = source
        elif f.name == "ASSIGNED_BY_ID":
            number = _link_id(value)
            if number:
                got.data["responsible_id"] = number
        elif f.name in ("CONTACT_ID", "CONTACT_IDS") and kind.type_id == E.DEAL:
            got.contact_ids = _ids(value) if f.name == "CONTACT_IDS" else _ids([value])
        elif f.name in ("COMPANY_ID", "COMPANY_IDS") and kind.type_id == E.CONTACT:
            got.company_ids = _ids(value) if f.name == "COMPANY_IDS" else _ids([value])
        elif f.type in ("crm_company", "crm_contact"):
            got.data[f"{f.attr}_id"] = _link_id(value)
        elif f.name == "COMPANY_TYPE":
            got.data["company_type"] = str(value or "").lower()
        elif f.type == "date":
            try:
                got.data[f.attr] = parse_when(value, date_only=True)
            except ValueError:
                errors[f.name] = [_("Enter a date such as 2026-11-23.")]
        elif f.type in ("integer",):
            got.data[f.attr] = None if is_empty(value) else value
        elif f.type == "double":
            got.data[f.attr] = 0 if is_empty(value) else str(value)
        elif f.type == "crm_currency":
            if not is_empty(value):
                got.data[f.attr] = str(value).upper()
        else:
            got.data[f.attr] = "" if is_empty(value) else str(value)
    if errors:
        raise ValidationError(errors)
    if got.custom:
        got.data["custom_fields"] = got.custom
    return got


VALUE_TYPE_DEFAULT = "work"


def _value_type(value: Any) -> str:
    text = str(value or "").strip().upper()
    if not text:
        return VALUE_TYPE_DEFAULT
    return E.VALUE_TYPES_IN.get(text, "other")


def communications(obj, multifields: dict[str, list]) -> list[dict] | None:
    """The card's whole list of communications after the Bitrix24 edits: items without ID
    add, with ID edit, with ``DELETE=Y`` or an empty value remove; others stay."""
    if not multifields:
        return None
    rows: list[dict] = []
    existing = list(obj.communications.all()) if obj is not None else []
    by_id = {}
    for c in existing:
        entry = {"kind": c.kind, "value": c.value, "value_type": c.value_type}
        rows.append(entry)
        by_id[c.pk] = (c.kind, entry)
    for name, items in multifields.items():
        kind = E.MULTIFIELD_KINDS[name]
        for raw in items:
            entry_id = to_int(raw.get("ID"))
            value = raw.get("VALUE")
            delete = to_bool(raw.get("DELETE")) or (entry_id and is_empty(value))
            if entry_id and entry_id in by_id and by_id[entry_id][0] == kind:
                entry = by_id[entry_id][1]
                if delete:
                    rows.remove(entry)
                else:
                    entry["value"] = str(value)
                    if raw.get("VALUE_TYPE"):
                        entry["value_type"] = _value_type(raw.get("VALUE_TYPE"))
            elif not delete and not is_empty(value):
                rows.append(
                    {
                        "kind": kind,
                        "value": str(value),
                        "value_type": _value_type(raw.get("VALUE_TYPE")),
                    }
                )
    return rows


def _stage(kind: E.Kind, code: Any, pipeline=None):
    entity = PipelineEntity.LEAD if kind.type_id == E.LEAD else PipelineEntity.DEAL
    stage = E.find_stage(entity, code, pipeline)
    if stage is None:
        raise ValidationError({"stage": _("Unknown stage “%(code)s”.") % {"code": code}})
    if pipeline is not None and stage.pipeline_id != pipeline.pk:
        raise ValidationError(
            {"stage": _("The stage “%(code)s” belongs to another pipeline.") % {"code": code}}
        )
    return stage


def _contacts(user, ids: list[int]) -> list[Contact]:
    found = {c.pk: c for c in Contact.objects.filter(pk__in=ids)}
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise ValidationError({"contacts": _("No contacts %(ids)s.") % {"ids": ", ".join(missing)}})
    return [found[i] for i in ids]


def _companies(ids: list[int]) -> list[Company]:
    found = {c.pk: c for c in Company.objects.filter(pk__in=ids)}
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise ValidationError(
            {"company_links": _("No companies %(ids)s.") % {"ids": ", ".join(missing)}}
        )
    return [found[i] for i in ids]


def create(ctx, kind: E.Kind, fields: dict, *, item: bool):
    names = E.error_names(kind)
    names.update(
        {"contacts": "CONTACT_IDS", "company_links": "COMPANY_IDS", "communications": "PHONE/EMAIL"}
    )
    with field_names(names):
        got = incoming(kind, fields, item=item)
        comms = communications(None, got.multifields)
        user = ctx.user
        if kind.type_id == E.LEAD:
            if got.stage is not None:
                got.data["stage"] = _stage(kind, got.stage)
            return lead_create(actor=user, data=got.data, communications=comms)
        if kind.type_id == E.DEAL:
            pipeline = E.pipeline_by_category(got.pipeline) if not is_empty(got.pipeline) else None
            if not is_empty(got.pipeline) and pipeline is None:
                raise ValidationError({"pipeline": _("Unknown pipeline.")})
            if got.stage is not None:
                stage = _stage(kind, got.stage, pipeline)
                got.data["stage"] = stage
                pipeline = pipeline or stage.pipeline
            if pipeline is not None:
                got.data["pipeline"] = pipeline
            contacts = _contacts(user, got.contact_ids) if got.contact_ids else None
            return deal_create(actor=user, data=got.data, contacts=contacts)
        if kind.type_id == E.CONTACT:
            links = None
            if got.company_ids:
                links = [
                    {"company": company, "is_primary": position == 0}
                    for position, company in enumerate(_companies(got.company_ids))
                ]
            return contact_create(
                actor=user, data=got.data, communications=comms, company_links=links
            )
        return company_create(actor=user, data=got.data, communications=comms)


def update(ctx, kind: E.Kind, obj, fields: dict, *, item: bool):
    names = E.error_names(kind)
    names.update(
        {"contacts": "CONTACT_IDS", "company_links": "COMPANY_IDS", "communications": "PHONE/EMAIL"}
    )
    user = ctx.user
    with field_names(names):
        got = incoming(kind, fields, item=item)
        comms = communications(obj, got.multifields)
        if kind.type_id == E.LEAD:
            obj = lead_update(actor=user, lead=obj, data=got.data, communications=comms)
            if got.stage is not None:
                stage = _stage(kind, got.stage, obj.stage.pipeline)
                if stage.pk != obj.stage_id:
                    obj = lead_move_to_stage(actor=user, lead=obj, stage=stage)
            return obj
        if kind.type_id == E.DEAL:
            contacts = _contacts(user, got.contact_ids) if got.contact_ids is not None else None
            obj = deal_update(actor=user, deal=obj, data=got.data, contacts=contacts)
            # Classic methods never move a deal to another pipeline; crm.item.update does.
            pipeline = (
                E.pipeline_by_category(got.pipeline)
                if item and not is_empty(got.pipeline)
                else None
            )
            if pipeline is not None and pipeline.pk != obj.pipeline_id:
                stage = _stage(kind, got.stage, pipeline) if got.stage else None
                return deal_change_pipeline(actor=user, deal=obj, pipeline=pipeline, stage=stage)
            if got.stage is not None:
                stage = _stage(kind, got.stage, obj.pipeline)
                if stage.pk != obj.stage_id:
                    obj = deal_move_to_stage(actor=user, deal=obj, stage=stage)
            return obj
        if kind.type_id == E.CONTACT:
            obj = contact_update(actor=user, contact=obj, data=got.data, communications=comms)
            if got.company_ids is not None:
                wanted = _companies(got.company_ids)
                current = {link.company_id for link in obj.company_links.all()}
                for position, company in enumerate(wanted):
                    if company.pk not in current:
                        contact_link_company(
                            actor=user,
                            contact=obj,
                            company=company,
                            is_primary=position == 0 and not current,
                        )
                for company in Company.objects.filter(pk__in=current - {c.pk for c in wanted}):
                    contact_unlink_company(actor=user, contact=obj, company=company)
            return obj
        return company_update(actor=user, company=obj, data=got.data, communications=comms)


DELETERS = {
    E.LEAD: lambda user, obj: lead_delete(actor=user, lead=obj),
    E.DEAL: lambda user, obj: deal_delete(actor=user, deal=obj),
    E.CONTACT: lambda user, obj: contact_delete(actor=user, contact=obj),
    E.COMPANY: lambda user, obj: company_delete(actor=user, company=obj),
}


def render(ctx, kind: E.Kind, obj, *, item: bool, select=None, original_uf=False) -> dict:
    fields, ufs, fm = E.selection(kind, select, item=item)
    if select is None or is_empty(select):
        if not item:
            fields = fields + [f for f in kind.fields if f.type == "crm_multifield"]
        fm = item
    return E.row(
        kind,
        obj,
        fields,
        ufs,
        item=item,
        fm=fm,
        hidden=E.hidden(ctx.user, kind),
        original_uf=original_uf,
    )


def reload(ctx, kind: E.Kind, obj):
    return E.prepare(kind, kind.model.objects.all()).get(pk=obj.pk)


def original_uf_names(params: dict) -> bool:
    """``useOriginalUfNames=Y``: ``crm.item.*`` names user fields ``UF_CRM_…``."""
    return to_bool(params.get("useoriginalufnames"))


def listing(ctx, kind: E.Kind, params: dict, *, item: bool) -> Page:
    fields, ufs, fm = E.selection(kind, params.get("select"), item=item)
    hidden = E.hidden(ctx.user, kind)
    original_uf = item and original_uf_names(params)
    queryset = visible(ctx, kind).filter(E.build_filter(kind, params.get("filter")))
    queryset = E.prepare(kind, queryset).order_by(*E.build_order(kind, params.get("order")))
    return paginate(
        queryset,
        start_param(params),
        lambda obj: E.row(
            kind, obj, fields, ufs, item=item, fm=fm, hidden=hidden, original_uf=original_uf
        ),
    )


# --- classic methods ----------------------------------------------------------------------


def _register_classic(kind: E.Kind) -> None:
    prefix = f"crm.{kind.name.lower()}"

    @method(f"{prefix}.fields", scope="crm", family=CLASSIC)
    def fields(ctx, params):
        return E.describe_fields(kind)

    @method(f"{prefix}.add", scope="crm", family=CLASSIC)
    def add(ctx, params):
        return create(ctx, kind, fields_param(params), item=False).pk

    @method(f"{prefix}.get", scope="crm", family=CLASSIC)
    def get(ctx, params):
        return render(ctx, kind, load(ctx, kind, object_id(params)), item=False)

    @method(f"{prefix}.list", scope="crm", family=CLASSIC)
    def list_(ctx, params):
        return listing(ctx, kind, params, item=False)

    @method(f"{prefix}.update", scope="crm", family=CLASSIC)
    def update_(ctx, params):
        obj = load(ctx, kind, object_id(params))
        update(ctx, kind, obj, fields_param(params), item=False)
        return True

    @method(f"{prefix}.delete", scope="crm", family=CLASSIC)
    def delete(ctx, params):
        DELETERS[kind.type_id](ctx.user, load(ctx, kind, object_id(params)))
        return True


for _kind in E.KINDS.values():
    _register_classic(_kind)


# --- crm.item.* ---------------------------------------------------------------------------


@method("crm.item.fields", scope="crm", family=ITEM)
def item_fields(ctx, params):
    kind = kind_of_item(params)
    return {"fields": E.describe_fields(kind, item=True, original_uf=original_uf_names(params))}


@method("crm.item.add", scope="crm", family=ITEM)
def item_add(ctx, params):
    kind = kind_of_item(params)
    obj = create(ctx, kind, fields_param(params, item=True), item=True)
    return {
        "item": render(
            ctx, kind, reload(ctx, kind, obj), item=True, original_uf=original_uf_names(params)
        )
    }


@method("crm.item.get", scope="crm", family=ITEM)
def item_get(ctx, params):
    kind = kind_of_item(params)
    obj = load(ctx, kind, object_id(params, item=True))
    return {"item": render(ctx, kind, obj, item=True, original_uf=original_uf_names(params))}


@method("crm.item.list", scope="crm", family=ITEM)
def item_list(ctx, params):
    kind = kind_of_item(params)
    page = listing(ctx, kind, params, item=True)
    page.rows = {"items": page.rows}
    return page


@method("crm.item.update", scope="crm", family=ITEM)
def item_update(ctx, params):
    kind = kind_of_item(params)
    obj = load(ctx, kind, object_id(params, item=True))
    update(ctx, kind, obj, fields_param(params, item=True), item=True)
    return {
        "item": render(
            ctx, kind, reload(ctx, kind, obj), item=True, original_uf=original_uf_names(params)
        )
    }


@method("crm.item.delete", scope="crm", family=ITEM)
def item_delete(ctx, params):
    kind = kind_of_item(params)
    DELETERS[kind.type_id](ctx.user, load(ctx, kind, object_id(params, item=True)))
    return []


# --- deal contacts ------------------------------------------------------------------------


def _deal(ctx, params):
    return load(ctx, E.KINDS[E.DEAL], object_id(params))


@method("crm.deal.contact.items.get", scope="crm", family=CLASSIC)
def deal_contact_items_get(ctx, params):
    deal = _deal(ctx, params)
    return [
        {
            "CONTACT_ID": link.contact_id,
            "SORT": link.sort or (position + 1) * 10,
            "ROLE_ID": 0,
            "IS_PRIMARY": "Y" if link.is_primary else "N",
        }
        for position, link in enumerate(deal.contact_links.all())
    ]


def _set_deal_contacts(ctx, deal, items: list[dict]) -> None:
    ordered = sorted(
        enumerate(items), key=lambda pair: to_int(pair[1].get("SORT")) or (pair[0] + 1) * 10
    )
    ids = [to_int(item.get("CONTACT_ID")) for _, item in ordered]
    if any(not i for i in ids):
        raise ValidationError({"contacts": _("CONTACT_ID is not defined.")})
    contacts = _contacts(ctx.user, ids)
    primary = [to_bool(item.get("IS_PRIMARY")) for _, item in ordered]
    links = [
        {"contact": contact, "is_primary": is_primary}
        for contact, is_primary in zip(contacts, primary, strict=True)
    ]
    if links and not any(link["is_primary"] for link in links):
        links[0]["is_primary"] = True
    with field_names({"contacts": "CONTACT_ID"}):
        deal_update(actor=ctx.user, deal=deal, data={}, contacts=links)


@method("crm.deal.contact.items.set", scope="crm", family=CLASSIC)
def deal_contact_items_set(ctx, params):
    deal = _deal(ctx, params)
    _set_deal_contacts(ctx, deal, [as_map(i) for i in as_list(params.get("items"))])
    return True


@method("crm.deal.contact.items.delete", scope="crm", family=CLASSIC)
def deal_contact_items_delete(ctx, params):
    deal = _deal(ctx, params)
    deal_update(actor=ctx.user, deal=deal, data={}, contacts=[])
    return True


@method("crm.deal.contact.add", scope="crm", family=CLASSIC)
def deal_contact_add(ctx, params):
    deal = _deal(ctx, params)
    fields = fields_param(params)
    contact_id = to_int(fields.get("CONTACT_ID"))
    current = [
        {"CONTACT_ID": link.contact_id, "IS_PRIMARY": link.is_primary, "SORT": link.sort}
        for link in deal.contact_links.all()
    ]
    if any(item["CONTACT_ID"] == contact_id for item in current):
        return False
    if to_bool(fields.get("IS_PRIMARY")):
        for item in current:
            item["IS_PRIMARY"] = False
    current.append(
        {
            "CONTACT_ID": contact_id,
            "IS_PRIMARY": to_bool(fields.get("IS_PRIMARY")),
            "SORT": to_int(fields.get("SORT")) or (len(current) + 1) * 10,
        }
    )
    _set_deal_contacts(ctx, deal, current)
    return True


@method("crm.deal.contact.delete", scope="crm", family=CLASSIC)
def deal_contact_delete(ctx, params):
    deal = _deal(ctx, params)
    contact_id = to_int(fields_param(params).get("CONTACT_ID"))
    current = [
        {"CONTACT_ID": link.contact_id, "IS_PRIMARY": link.is_primary, "SORT": link.sort}
        for link in deal.contact_links.all()
        if link.contact_id != contact_id
    ]
    _set_deal_contacts(ctx, deal, current)
    return True
