"""Companies (with requisites, bank details, addresses), contacts (with their companies),
leads and deals (with their contacts), and the user fields of each."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils.translation import gettext as _

from voronka.contacts.models import Company, CompanyType, Contact
from voronka.contacts.services.companies import company_create, company_update
from voronka.contacts.services.contacts import (
    contact_create,
    contact_link_company,
    contact_unlink_company,
    contact_update,
)
from voronka.customization.models import CustomField, EntityType, FieldType
from voronka.customization.services import custom_field_create, custom_field_update
from voronka.integrations.bitrix24.importer import mapping as M
from voronka.integrations.bitrix24.importer.base import Importer
from voronka.integrations.bitrix24.importer.client import PortalError, unwrap
from voronka.integrations.bitrix24.importer.directories import deal_stage, stage_of
from voronka.integrations.bitrix24.importer.mapping import Problem, text, to_int
from voronka.sales.models import Deal, Lead, LossReason, Stage, StageKind, StageTransition
from voronka.sales.services.catalogues import loss_reason_create
from voronka.sales.services.deals import deal_create, deal_update
from voronka.sales.services.leads import lead_create, lead_update
from voronka.sales.services.stages import (
    deal_change_pipeline,
    deal_move_to_stage,
    lead_move_to_stage,
)
from voronka.timeline.models import EntryKind, TimelineEntry

MULTIFIELDS = ["PHONE", "EMAIL", "WEB", "IM"]
UTM = ("SOURCE", "MEDIUM", "CAMPAIGN", "CONTENT", "TERM")

# --- user fields --------------------------------------------------------------------------


@dataclass
class FieldSpec:
    name: str  # UF_CRM_…
    type: str  # the portal's type
    multiple: bool
    label: str
    items: dict[str, str] = field(default_factory=dict)  # the portal's option id → label
    definition: CustomField | None = None


def _label(value: Any, fallback: str) -> str:
    if isinstance(value, dict):  # {"ru": "…", "en": "…"} of userfield.list
        value = value.get("ru") or value.get("en") or next(iter(value.values()), "")
    return text(value, 200) or fallback


def _field_specs(imp: Importer, kind: str) -> list[FieldSpec]:
    """The user fields of leads, deals…: ``crm.<kind>.userfield.list`` where the portal offers
    it, otherwise the dynamic entries of ``crm.<kind>.fields``."""
    specs: list[FieldSpec] = []
    try:
        rows = [
            row for page in imp.client.pages_by_offset(f"crm.{kind}.userfield.list") for row in page
        ]
        for row in rows:
            name = text(row.get("FIELD_NAME"))
            if not name.upper().startswith("UF_CRM_"):
                continue
            items = {
                text(item.get("ID")): text(item.get("VALUE"), 200)
                for item in row.get("LIST") or []
                if isinstance(item, dict)
            }
            label = row.get("EDIT_FORM_LABEL") or row.get("LIST_COLUMN_LABEL")
            specs.append(
                FieldSpec(
                    name.upper(),
                    text(row.get("USER_TYPE_ID")),
                    M.flag(row.get("MULTIPLE")),
                    _label(label, name),
                    items,
                )
            )
        return specs
    except PortalError:
        pass
    described = imp.client.call(f"crm.{kind}.fields") or {}
    for name, info in described.items():
        if not str(name).upper().startswith("UF_CRM_") or not isinstance(info, dict):
            continue
        items = {
            text(item.get("ID")): text(item.get("VALUE"), 200)
            for item in info.get("items") or []
            if isinstance(item, dict)
        }
        label = info.get("formLabel") or info.get("listLabel") or info.get("title")
        specs.append(
            FieldSpec(
                str(name).upper(),
                text(info.get("type")),
                bool(info.get("isMultiple")),
                _label(label, str(name)),
                items,
            )
        )
    return specs


def sync_fields(imp: Importer, kind: str) -> list[FieldSpec]:
    """Custom field definitions for the portal's user fields of ``kind`` (created when
    missing, same code as the portal's ``UF_CRM_<CODE>``); their specs for the values."""
    stats = imp.report.stats("fields", _("Custom fields"))
    entity = EntityType(kind)
    specs = _field_specs(imp, kind)
    usable: list[FieldSpec] = []

    def create(payload: dict):
        existing = CustomField.objects.filter(entity=entity, code=payload["code"]).first()
        if existing is None:
            return custom_field_create(actor=None, data=payload)
        if (existing.field_type, existing.multiple) != (payload["field_type"], payload["multiple"]):
            raise Problem(
                _("a field with the code “%(code)s” exists here with another type")
                % {"code": payload["code"]}
            )
        return update(existing, payload)

    def update(definition: CustomField, payload: dict):
        data = {"label": payload["label"]}
        if payload["field_type"] == FieldType.LIST:
            labels = [str(option["label"]) for option in definition.options or []]
            missing = [label for label in payload["options"] if label not in labels]
            if missing:
                data["options"] = labels + missing  # options here stay, the portal's are added
        return custom_field_update(actor=None, definition=definition, data=data)

    with transaction.atomic():
        for spec in specs:
            stats.fetched += 1
            field_type = M.USER_FIELD_TYPES.get(spec.type)
            if field_type is None:
                stats.note(
                    spec.name,
                    _("the type “%(type)s” has no counterpart here; its values are not imported")
                    % {"type": spec.type},
                )
                stats.unchanged += 1
                continue
            payload = {
                "entity": entity.value,
                "code": M.field_code(spec.name),
                "label": spec.label,
                "field_type": field_type,
                "multiple": spec.multiple,
            }
            if field_type == FieldType.LIST:
                payload["options"] = list(dict.fromkeys(v for v in spec.items.values() if v))
            spec.definition = imp.upsert(
                stats,
                "field",
                f"{kind.upper()}:{spec.name}",
                build=lambda payload=payload: payload,
                load=lambda pk: CustomField.objects.filter(pk=pk).first(),
                create=create,
                update=update,
            )
            if spec.definition is not None:
                usable.append(spec)
    imp.field_specs[kind] = usable
    return usable


def _one_value(imp: Importer, spec: FieldSpec, raw: Any) -> Any:
    definition = spec.definition
    kind = definition.field_type
    if raw in (None, "", [], False) and kind != FieldType.BOOLEAN:
        return None
    if kind == FieldType.BOOLEAN:
        return M.flag(raw) if raw not in (None, "") else None
    if kind == FieldType.LIST:
        label = spec.items.get(text(raw), text(raw))
        options = {str(o["label"]): str(o["id"]) for o in definition.options or []}
        return options.get(label)
    if kind == FieldType.EMPLOYEE:
        return imp.mapped("user", raw)
    if kind == FieldType.CRM_LINK:
        link = M.crm_link(raw)
        if link is None:
            return None
        entity, external_id = link
        found = imp.mapped(entity, external_id)
        return {"entity": entity, "id": found} if found else None
    if kind == FieldType.DATE:
        return M.day(raw)
    if kind == FieldType.DATETIME:
        return M.when(raw)
    if isinstance(raw, dict | list):
        return None
    return text(raw)


def custom_values(imp: Importer, kind: str, record: dict) -> dict:
    values: dict[str, Any] = {}
    for spec in imp.field_specs.get(kind, []):
        if spec.name not in record:
            continue
        raw = record.get(spec.name)
        if spec.definition.multiple:
            items = raw if isinstance(raw, list) else ([] if raw in (None, "") else [raw])
            converted = [_one_value(imp, spec, item) for item in items]
            values[spec.definition.code] = [v for v in converted if v is not None]
        else:
            if isinstance(raw, list):
                raw = raw[0] if raw else None
            values[spec.definition.code] = _one_value(imp, spec, raw)
    return values


# --- what every card shares ---------------------------------------------------------------


def _reference(imp: Importer, stats, record_id, entity: str, value: Any) -> int | None:
    """Our id of a linked card; a link to a card that was not imported is left out (noted)."""
    if to_int(value) in (None, 0):
        return None
    found = imp.mapped(entity, value)
    if found is None:
        stats.note(
            record_id,
            _("its %(entity)s #%(id)s was not imported; the link is left out")
            % {"entity": entity, "id": value},
        )
    return found


def _communications(stats, record_id, record: dict) -> list[dict]:
    items, dropped = M.communications(record)
    if dropped:
        stats.note(record_id, _("left out: %(values)s") % {"values": ", ".join(dropped)})
    return items


def _source(imp: Importer, value: Any) -> int | None:
    code = text(value)
    return imp.mapped("source", code) if code else None


def _backdate(
    imp: Importer,
    card,
    created_at: str | None,
    moved_at: str | None = None,
    closed_at: str | None = None,
) -> None:
    """The creation time from the portal on the card, its "created" entry and the first stage
    transition (funnel reports start from it); a lead or deal is in its stage since the
    portal's ``MOVED_TIME``, and one closed there keeps its closing time (reports of what was
    won this month must not count every deal ever won)."""
    if not created_at:
        return
    imp.keep_created_at(type(card), card.pk, created_at)
    TimelineEntry.objects.filter(
        card_type=ContentType.objects.get_for_model(card),
        card_id=card.pk,
        kind=EntryKind.CREATED,
    ).update(created_at=created_at)
    if isinstance(card, Lead | Deal):
        owner = {"lead": card} if isinstance(card, Lead) else {"deal": card}
        StageTransition.objects.filter(**owner, from_stage__isnull=True).update(moved_at=created_at)
        values = {"stage_changed_at": moved_at or created_at}
        if card.closed_at is not None:
            values["closed_at"] = closed_at or moved_at or created_at
        type(card)._base_manager.filter(pk=card.pk).update(**values)


def _pages(imp: Importer, kind: str):
    select = ["*", "UF_*"] + (MULTIFIELDS if kind != "deal" else [])
    return imp.client.pages_by_id(f"crm.{kind}.list", {"select": select})


def _import_pages(imp: Importer, stats, model, *, payload, create, update, page_extras=None):
    """Every page of ``crm.<kind>.list`` in a transaction of its own, each record upserted.

    ``page_extras(rows)`` fetches what the page's records need besides their own fields (ID →
    value, e.g. their links); ``payload(record, extra)`` maps one record to our data."""
    kind = model._meta.model_name
    for rows in _pages(imp, kind):
        extras = page_extras(rows) if page_extras else {}
        load = imp.page_loader(kind, [r["ID"] for r in rows], model.all_objects)
        with transaction.atomic():
            for record in rows:
                stats.fetched += 1
                imp.upsert(
                    stats,
                    kind,
                    record["ID"],
                    build=lambda record=record, extras=extras: payload(
                        record, extras.get(text(record["ID"]))
                    ),
                    load=load,
                    create=create,
                    update=update,
                )


def _per_record(imp: Importer, method: str, rows: list[dict]) -> dict[str, Any]:
    """``method?id=<ID>`` for every record of a page in one batch: ID → result (or None)."""
    found: dict[str, Any] = {}
    if imp.cache.get(f"missing:{method}"):
        return found  # the portal has no such method: the records' own fields are used
    for index, result, error in imp.client.call_many(method, [{"id": r["ID"]} for r in rows]):
        if error and str(error.get("error")) == "ERROR_METHOD_NOT_FOUND":
            imp.cache[f"missing:{method}"] = True
            return {}
        found[text(rows[index]["ID"])] = None if error else result
    return found


def _utm(record: dict) -> dict:
    return {f"utm_{part.lower()}": text(record.get(f"UTM_{part}"), 255) for part in UTM}


# --- companies ----------------------------------------------------------------------------

PRESET_TYPES = {
    1: CompanyType.LEGAL_ENTITY,
    2: CompanyType.SOLE_PROPRIETOR,
    3: CompanyType.INDIVIDUAL,
}
ADDRESS_KINDS = {
    1: "actual",
    4: "registration",
    6: "legal",
    8: "postal",
    9: "other",
    11: "delivery",
}


def _optional_many(imp: Importer, method: str, params_list: list[dict]) -> list[Any] | None:
    """Results of ``method`` for each params, or None when the portal lacks the method."""
    flag_key = f"missing:{method}"
    if imp.cache.get(flag_key) or not params_list:
        return None if imp.cache.get(flag_key) else []
    results: list[Any] = [None] * len(params_list)
    for index, result, error in imp.client.call_many(method, params_list):
        if error:
            if str(error.get("error")) == "ERROR_METHOD_NOT_FOUND":
                imp.cache[flag_key] = True
                return None
            continue
        results[index] = unwrap(result)
    return results


def _company_extras(imp: Importer, rows: list[dict]) -> dict[str, dict]:
    """Requisites, bank details and addresses of a page of companies, as far as the portal
    offers them: ID → {"requisite", "bank_accounts", "addresses"} (None: not offered)."""
    extras: dict[str, dict] = {text(r["ID"]): {} for r in rows}
    requisites = _optional_many(
        imp,
        "crm.requisite.list",
        [{"filter": {"ENTITY_TYPE_ID": 4, "ENTITY_ID": r["ID"]}} for r in rows],
    )
    if requisites is None:
        return extras
    chosen: dict[str, dict] = {}
    for row, found in zip(rows, requisites, strict=True):
        active = [r for r in found or [] if M.flag(r.get("ACTIVE", "Y"))]
        extras[text(row["ID"])] = {"requisite": active[0] if active else None}
        if active:
            chosen[text(row["ID"])] = active[0]
    ids = list(chosen)
    banks = _optional_many(
        imp,
        "crm.requisite.bankdetail.list",
        [{"filter": {"ENTITY_ID": chosen[i]["ID"]}} for i in ids],
    )
    addresses = _optional_many(
        imp,
        "crm.address.list",
        [{"filter": {"ENTITY_TYPE_ID": 8, "ENTITY_ID": chosen[i]["ID"]}} for i in ids],
    )
    for position, company_id in enumerate(ids):
        if banks is not None:
            extras[company_id]["bank_accounts"] = [
                {
                    "bank_name": text(b.get("RQ_BANK_NAME"), 255),
                    "bic": text(b.get("RQ_BIK") or b.get("RQ_BIC")),
                    "account_number": text(b.get("RQ_ACC_NUM")),
                    "correspondent_account": text(b.get("RQ_COR_ACC_NUM")),
                }
                for b in banks[position] or []
                if M.flag(b.get("ACTIVE", "Y"))
            ]
        if addresses is not None:
            extras[company_id]["addresses"] = [
                {
                    "kind": ADDRESS_KINDS.get(to_int(a.get("TYPE_ID")) or 0, "other"),
                    "postal_code": text(a.get("POSTAL_CODE"), 12),
                    "country": text(a.get("COUNTRY"), 100),
                    "region": text(a.get("REGION") or a.get("PROVINCE"), 200),
                    "city": text(a.get("CITY"), 200),
                    "street_address": ", ".join(
                        p for p in (text(a.get("ADDRESS_1")), text(a.get("ADDRESS_2"))) if p
                    )[:500],
                }
                for a in addresses[position] or []
            ]
    return extras


def _industries(imp: Importer) -> dict[str, str]:
    """The portal's industry codes (``IT``, ``MANUFACTURING``…) → their names."""
    if "industries" not in imp.cache:
        try:
            rows = unwrap(imp.client.call("crm.status.list", {"filter": {"ENTITY_ID": "INDUSTRY"}}))
        except PortalError:
            rows = []
        imp.cache["industries"] = {
            text(row.get("STATUS_ID")): text(row.get("NAME")) for row in rows if row.get("NAME")
        }
    return imp.cache["industries"]


def _company_payload(imp: Importer, stats, record: dict, extra: dict) -> dict:
    record_id = record.get("ID")
    industries = imp.cache.get("industries") or {}
    requisite = extra.get("requisite") or {}
    company_type = PRESET_TYPES.get(to_int(requisite.get("PRESET_ID")) or 0)
    if company_type is None:
        own = text(record.get("COMPANY_TYPE")).lower()
        company_type = own if own in CompanyType.values else CompanyType.LEGAL_ENTITY
    title = text(record.get("TITLE"), 255) or text(requisite.get("RQ_COMPANY_NAME"), 255)
    data = {
        "title": title,
        "company_type": company_type,
        "full_name": text(requisite.get("RQ_COMPANY_FULL_NAME"), 500),
        "short_name": text(requisite.get("RQ_COMPANY_NAME"), 255),
        "inn": text(requisite.get("RQ_INN"), 12),
        "kpp": text(requisite.get("RQ_KPP"), 9),
        "ogrn": text(requisite.get("RQ_OGRN") or requisite.get("RQ_OGRNIP"), 15),
        "director": text(requisite.get("RQ_DIRECTOR"), 255),
        "industry": industries.get(text(record.get("INDUSTRY")), text(record.get("INDUSTRY")))[
            :200
        ],
        "employees_count": to_int(record.get("EMPLOYEES")),
        "source_id": _source(imp, record.get("SOURCE_ID")),
        "responsible_id": imp.responsible_id(record.get("ASSIGNED_BY_ID"), stats, record_id),
        "comment": text(record.get("COMMENTS")),
        "custom_fields": custom_values(imp, "company", record),
    }
    if data["employees_count"] is not None and data["employees_count"] < 0:
        data["employees_count"] = None
    return {
        "id": record_id,
        "data": data,
        "communications": _communications(stats, record_id, record),
        "addresses": extra.get("addresses"),
        "bank_accounts": extra.get("bank_accounts"),
        "created_at": M.when(record.get("DATE_CREATE")),
    }


def import_companies(imp: Importer) -> None:
    stats = imp.report.stats("companies", _("Companies"))
    sync_fields(imp, "company")
    _industries(imp)

    def create(payload: dict):
        company = company_create(
            actor=None,
            data=imp.for_new_card(payload["data"], stats, payload["id"]),
            communications=payload["communications"],
            addresses=payload["addresses"],
            bank_accounts=payload["bank_accounts"],
        )
        _backdate(imp, company, payload["created_at"])
        return company

    def update(company: Company, payload: dict):
        return company_update(
            actor=None,
            company=company,
            data=payload["data"],
            communications=payload["communications"],
            addresses=payload["addresses"],
            bank_accounts=payload["bank_accounts"],
        )

    _import_pages(
        imp,
        stats,
        Company,
        page_extras=lambda rows: _company_extras(imp, rows),
        payload=lambda record, extras: _company_payload(imp, stats, record, extras or {}),
        create=create,
        update=update,
    )


# --- contacts -----------------------------------------------------------------------------


def _contact_companies(imp: Importer, stats, record: dict, links: Any) -> list[list]:
    """``[[our company id, is primary], …]`` of the contact's companies."""
    record_id = record.get("ID")
    if links is None:  # the portal did not list them: the primary company of the record
        ids = record.get("COMPANY_IDS") or (
            [record.get("COMPANY_ID")] if record.get("COMPANY_ID") else []
        )
        links = [{"COMPANY_ID": i, "IS_PRIMARY": "Y" if n == 0 else "N"} for n, i in enumerate(ids)]
    result: list[list] = []
    for link in links:
        if not isinstance(link, dict):
            continue
        found = _reference(imp, stats, record_id, "company", link.get("COMPANY_ID"))
        if found is not None and found not in [r[0] for r in result]:
            result.append([found, M.flag(link.get("IS_PRIMARY"))])
    if result and not any(primary for _id, primary in result):
        result[0][1] = True
    return result


def _contact_payload(imp: Importer, stats, record: dict, links: Any) -> dict:
    record_id = record.get("ID")
    return {
        "id": record_id,
        "data": {
            "first_name": text(record.get("NAME"), 150),
            "last_name": text(record.get("LAST_NAME"), 150),
            "middle_name": text(record.get("SECOND_NAME"), 150),
            "honorific": M.honorific(record.get("HONORIFIC")),
            "birthday": M.day(record.get("BIRTHDATE")),
            "position": text(record.get("POST"), 200),
            "address": text(record.get("ADDRESS")),
            "source_id": _source(imp, record.get("SOURCE_ID")),
            "source_description": text(record.get("SOURCE_DESCRIPTION"), 500),
            "responsible_id": imp.responsible_id(record.get("ASSIGNED_BY_ID"), stats, record_id),
            "comment": text(record.get("COMMENTS")),
            "custom_fields": custom_values(imp, "contact", record),
        },
        "communications": _communications(stats, record_id, record),
        "companies": _contact_companies(imp, stats, record, links),
        "created_at": M.when(record.get("DATE_CREATE")),
    }


def import_contacts(imp: Importer) -> None:
    stats = imp.report.stats("contacts", _("Contacts"))
    sync_fields(imp, "contact")

    def companies(payload: dict) -> list[tuple[Company, bool]]:
        found = Company.objects.in_bulk([pk for pk, _primary in payload["companies"]])
        return [(found[pk], primary) for pk, primary in payload["companies"] if pk in found]

    def create(payload: dict):
        contact = contact_create(
            actor=None,
            data=imp.for_new_card(payload["data"], stats, payload["id"]),
            communications=payload["communications"],
            company_links=[{"company": c, "is_primary": p} for c, p in companies(payload)],
        )
        _backdate(imp, contact, payload["created_at"])
        return contact

    def update(contact: Contact, payload: dict):
        contact = contact_update(
            actor=None,
            contact=contact,
            data=payload["data"],
            communications=payload["communications"],
        )
        wanted = companies(payload)
        current = {link.company_id: link for link in contact.company_links.all()}
        for company, primary in wanted:
            link = current.get(company.pk)
            if link is None or (primary and not link.is_primary):
                contact_link_company(
                    actor=None, contact=contact, company=company, is_primary=primary
                )
        keep = {company.pk for company, _primary in wanted}
        for company in Company.all_objects.filter(pk__in=set(current) - keep):
            contact_unlink_company(actor=None, contact=contact, company=company)
        return contact

    _import_pages(
        imp,
        stats,
        Contact,
        page_extras=lambda rows: _per_record(imp, "crm.contact.company.items.get", rows),
        payload=lambda record, links: _contact_payload(imp, stats, record, links),
        create=create,
        update=update,
    )


# --- leads and deals ----------------------------------------------------------------------


def loss_reason(imp: Importer, name: str) -> LossReason:
    """The loss reason named after the portal's failure stage (created once)."""
    if name not in imp.loss_reasons:
        reason = LossReason.objects.filter(name=name, is_active=True).first()
        imp.loss_reasons[name] = reason or loss_reason_create(actor=None, data={"name": name})
    return imp.loss_reasons[name]


def _loss(stage: Stage, record: dict, stage_name: str) -> dict:
    if stage.kind != StageKind.LOST:
        return {}
    return {"loss_reason": stage_name, "loss_comment": text(record.get("STATUS_DESCRIPTION"))}


def _stage_name(stage: Stage, status_id: Any) -> str:
    return (stage.name or text(status_id))[:200]


def _lead_payload(imp: Importer, stats, record: dict) -> dict:
    record_id = record.get("ID")
    stage = stage_of(imp, "STATUS", record.get("STATUS_ID"))
    if stage is None:
        raise Problem(
            _("its status “%(status)s” was not imported")
            % {"status": text(record.get("STATUS_ID"))}
        )
    data = {
        "title": text(record.get("TITLE"), 255),
        "first_name": text(record.get("NAME"), 150),
        "last_name": text(record.get("LAST_NAME"), 150),
        "middle_name": text(record.get("SECOND_NAME"), 150),
        "company_title": text(record.get("COMPANY_TITLE"), 255),
        "position": text(record.get("POST"), 200),
        "address": text(record.get("ADDRESS")),
        "comment": text(record.get("COMMENTS")),
        "source_id": _source(imp, record.get("SOURCE_ID")),
        "source_description": text(record.get("SOURCE_DESCRIPTION"), 500),
        "currency": M.currency(record.get("CURRENCY_ID"), imp.default_currency()),
        "amount": M.money(record.get("OPPORTUNITY")),
        "responsible_id": imp.responsible_id(record.get("ASSIGNED_BY_ID"), stats, record_id),
        "contact_id": _reference(imp, stats, record_id, "contact", record.get("CONTACT_ID")),
        "company_id": _reference(imp, stats, record_id, "company", record.get("COMPANY_ID")),
        **_utm(record),
        "custom_fields": custom_values(imp, "lead", record),
    }
    return {
        "id": record_id,
        "data": data,
        "stage": stage.pk,
        **_loss(stage, record, _stage_name(stage, record.get("STATUS_ID"))),
        "communications": _communications(stats, record_id, record),
        "created_at": M.when(record.get("DATE_CREATE")),
        "moved_at": M.when(record.get("MOVED_TIME")),
        "closed_at": M.when(record.get("DATE_CLOSED")),
    }


def _without_amount(card, data: dict) -> dict:
    """While product rows set a card's amount, the amount is not written by hand."""
    if card.amount_from_products:
        return {k: v for k, v in data.items() if k != "amount"}
    return data


def import_leads(imp: Importer) -> None:
    stats = imp.report.stats("leads", _("Leads"))
    sync_fields(imp, "lead")

    def loss_of(payload: dict) -> dict:
        if not payload.get("loss_reason"):
            return {}
        return {
            "loss_reason": loss_reason(imp, payload["loss_reason"]),
            "loss_comment": payload["loss_comment"],
        }

    def create(payload: dict):
        lead = lead_create(
            actor=None,
            data={
                **imp.for_new_card(payload["data"], stats, payload["id"]),
                "stage_id": payload["stage"],
                **loss_of(payload),
            },
            communications=payload["communications"],
        )
        _backdate(imp, lead, payload["created_at"], payload["moved_at"], payload["closed_at"])
        return lead

    def update(lead: Lead, payload: dict):
        lead = lead_update(
            actor=None,
            lead=lead,
            data=_without_amount(lead, payload["data"]),
            communications=payload["communications"],
        )
        if lead.stage_id != payload["stage"]:
            lead = lead_move_to_stage(
                actor=None,
                lead=lead,
                stage=Stage.objects.get(pk=payload["stage"]),
                **loss_of(payload),
            )
        return lead

    _import_pages(
        imp,
        stats,
        Lead,
        payload=lambda record, _extras: _lead_payload(imp, stats, record),
        create=create,
        update=update,
    )


def _deal_contacts(imp: Importer, stats, record: dict, links: Any) -> list[list]:
    record_id = record.get("ID")
    if links is None:
        links = (
            [{"CONTACT_ID": record.get("CONTACT_ID"), "IS_PRIMARY": "Y"}]
            if to_int(record.get("CONTACT_ID"))
            else []
        )
    ordered = sorted(
        (link for link in links if isinstance(link, dict)),
        key=lambda link: to_int(link.get("SORT")) or 0,
    )
    result: list[list] = []
    for link in ordered:
        found = _reference(imp, stats, record_id, "contact", link.get("CONTACT_ID"))
        if found is not None and found not in [r[0] for r in result]:
            result.append([found, M.flag(link.get("IS_PRIMARY"))])
    if result and not any(primary for _id, primary in result):
        result[0][1] = True
    return result


def _deal_payload(imp: Importer, stats, record: dict, links: Any) -> dict:
    record_id = record.get("ID")
    stage = deal_stage(imp, record)
    probability = to_int(record.get("PROBABILITY"))
    data = {
        "title": text(record.get("TITLE"), 255) or _("Deal %(id)s") % {"id": record_id},
        "amount": M.money(record.get("OPPORTUNITY")),
        "currency": M.currency(record.get("CURRENCY_ID"), imp.default_currency()),
        "probability": probability if probability is not None and 0 <= probability <= 100 else None,
        "company_id": _reference(imp, stats, record_id, "company", record.get("COMPANY_ID")),
        "begins_on": M.day(record.get("BEGINDATE")),
        "closes_on": M.day(record.get("CLOSEDATE")),
        "comment": text(record.get("COMMENTS")),
        "source_id": _source(imp, record.get("SOURCE_ID")),
        "source_description": text(record.get("SOURCE_DESCRIPTION"), 500),
        "responsible_id": imp.responsible_id(record.get("ASSIGNED_BY_ID"), stats, record_id),
        **_utm(record),
        "custom_fields": custom_values(imp, "deal", record),
    }
    return {
        "id": record_id,
        "data": data,
        "pipeline": stage.pipeline_id,
        "stage": stage.pk,
        **_loss(stage, record, _stage_name(stage, record.get("STAGE_ID"))),
        "lead": imp.mapped("lead", record.get("LEAD_ID")),
        "contacts": _deal_contacts(imp, stats, record, links),
        "created_at": M.when(record.get("DATE_CREATE")),
        "moved_at": M.when(record.get("MOVED_TIME")),
        # A closed deal's CLOSEDATE is the day it closed.
        "closed_at": M.when(record.get("CLOSEDATE")),
    }


def import_deals(imp: Importer) -> None:
    stats = imp.report.stats("deals", _("Deals"))
    sync_fields(imp, "deal")

    def contacts(payload: dict) -> list[dict]:
        found = Contact.objects.in_bulk([pk for pk, _primary in payload["contacts"]])
        return [
            {"contact": found[pk], "is_primary": primary}
            for pk, primary in payload["contacts"]
            if pk in found
        ]

    def loss_of(payload: dict) -> dict:
        if not payload.get("loss_reason"):
            return {}
        return {
            "loss_reason": loss_reason(imp, payload["loss_reason"]),
            "loss_comment": payload["loss_comment"],
        }

    def create(payload: dict):
        data = {
            **imp.for_new_card(payload["data"], stats, payload["id"]),
            "pipeline_id": payload["pipeline"],
            "stage_id": payload["stage"],
            "lead_id": payload["lead"],
            **loss_of(payload),
        }
        deal = deal_create(actor=None, data=data, contacts=contacts(payload))
        _backdate(imp, deal, payload["created_at"], payload["moved_at"], payload["closed_at"])
        return deal

    def update(deal: Deal, payload: dict):
        deal = deal_update(
            actor=None,
            deal=deal,
            data=_without_amount(deal, payload["data"]),
            contacts=contacts(payload),
        )
        stage = Stage.objects.select_related("pipeline").get(pk=payload["stage"])
        if deal.pipeline_id != payload["pipeline"]:
            return deal_change_pipeline(
                actor=None, deal=deal, pipeline=stage.pipeline, stage=stage, **loss_of(payload)
            )
        if deal.stage_id != stage.pk:
            return deal_move_to_stage(actor=None, deal=deal, stage=stage, **loss_of(payload))
        return deal

    _import_pages(
        imp,
        stats,
        Deal,
        page_extras=lambda rows: _per_record(imp, "crm.deal.contact.items.get", rows),
        payload=lambda record, links: _deal_payload(imp, stats, record, links),
        create=create,
        update=update,
    )
