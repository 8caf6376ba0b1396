"""Company requisites as ``crm.requisite.*`` and bank accounts as
``crm.requisite.bankdetail.list`` (tier T2). A company keeps one set of requisites on its card,
so its requisite has the company's id."""

from voronka.contacts.models import CompanyType
from voronka.contacts.services.companies import company_update
from voronka.integrations.bitrix24 import entities as E
from voronka.integrations.bitrix24.methods.crm import load, paginate, start_param, visible
from voronka.integrations.bitrix24.params import as_map, to_int
from voronka.integrations.bitrix24.registry import CLASSIC, field_names, method
from voronka.integrations.bitrix24.responses import B24Error, Page
from voronka.integrations.bitrix24.values import classic

PRESETS = {
    1: (CompanyType.LEGAL_ENTITY, "Организация"),
    2: (CompanyType.SOLE_PROPRIETOR, "ИП"),
    3: (CompanyType.INDIVIDUAL, "Физ. лицо"),
}
PRESET_OF_TYPE = {company_type: number for number, (company_type, _name) in PRESETS.items()}
RQ_FIELDS = {
    "RQ_INN": "inn",
    "RQ_KPP": "kpp",
    "RQ_OGRN": "ogrn",
    "RQ_OGRNIP": "ogrn",
    "RQ_COMPANY_NAME": "short_name",
    "RQ_COMPANY_FULL_NAME": "full_name",
    "RQ_DIRECTOR": "director",
}
NAMES = {ours: theirs for theirs, ours in RQ_FIELDS.items() if theirs != "RQ_OGRNIP"}


def requisite_row(company) -> dict:
    sole = company.company_type == CompanyType.SOLE_PROPRIETOR
    return {
        "ID": str(company.pk),
        "ENTITY_TYPE_ID": str(E.COMPANY),
        "ENTITY_ID": str(company.pk),
        "PRESET_ID": str(PRESET_OF_TYPE.get(company.company_type, 1)),
        "NAME": company.short_name or company.title,
        "ACTIVE": "Y",
        "SORT": "500",
        "DATE_CREATE": classic(company.created_at, "datetime"),
        "DATE_MODIFY": classic(company.updated_at, "datetime"),
        "RQ_COMPANY_NAME": company.short_name or None,
        "RQ_COMPANY_FULL_NAME": company.full_name or None,
        "RQ_DIRECTOR": company.director or None,
        "RQ_INN": company.inn or None,
        "RQ_KPP": company.kpp or None,
        "RQ_OGRN": None if sole else (company.ogrn or None),
        "RQ_OGRNIP": company.ogrn or None if sole else None,
    }


@method("crm.requisite.preset.list", scope="crm", family=CLASSIC)
def preset_list(ctx, params):
    rows = [
        {
            "ID": str(number),
            "ENTITY_TYPE_ID": "8",
            "COUNTRY_ID": "1",
            "NAME": name,
            "ACTIVE": "Y",
            "SORT": str(number * 500),
            "XML_ID": f"#CRM_REQUISITE_PRESET_DEF_RU_{number}#",
        }
        for number, (_type, name) in PRESETS.items()
    ]
    return Page(rows, total=len(rows))


def _company_of(ctx, params_fields: dict):
    if to_int(params_fields.get("ENTITY_TYPE_ID")) != E.COMPANY:
        raise B24Error("", "Requisites are kept for companies only.", 400)
    return load(ctx, E.KINDS[E.COMPANY], to_int(params_fields.get("ENTITY_ID")) or 0)


def _write(ctx, company, fields: dict):
    data = {
        ours: str(fields[theirs] or "") for theirs, ours in RQ_FIELDS.items() if theirs in fields
    }
    preset = to_int(fields.get("PRESET_ID"))
    if preset in PRESETS:
        data["company_type"] = PRESETS[preset][0]
    with field_names(NAMES):
        return company_update(actor=ctx.user, company=company, data=data)


@method("crm.requisite.add", scope="crm", family=CLASSIC)
def add(ctx, params):
    fields = {str(k).upper(): v for k, v in as_map(params.get("fields")).items()}
    return _write(ctx, _company_of(ctx, fields), fields).pk


@method("crm.requisite.update", scope="crm", family=CLASSIC)
def update(ctx, params):
    company = load(ctx, E.KINDS[E.COMPANY], to_int(params.get("id")) or 0)
    _write(ctx, company, {str(k).upper(): v for k, v in as_map(params.get("fields")).items()})
    return True


@method("crm.requisite.get", scope="crm", family=CLASSIC)
def get(ctx, params):
    return requisite_row(load(ctx, E.KINDS[E.COMPANY], to_int(params.get("id")) or 0))


@method("crm.requisite.list", scope="crm", family=CLASSIC)
def list_(ctx, params):
    filters = {str(k).upper(): v for k, v in as_map(params.get("filter")).items()}
    companies = visible(ctx, E.KINDS[E.COMPANY])
    if "ENTITY_TYPE_ID" in filters and to_int(filters["ENTITY_TYPE_ID"]) != E.COMPANY:
        return Page([], total=0)
    for key in ("ENTITY_ID", "ID"):
        if key in filters:
            companies = companies.filter(pk=to_int(filters[key]) or 0)
    if "RQ_INN" in filters:
        companies = companies.filter(inn=str(filters["RQ_INN"]))
    return paginate(companies.order_by("pk"), start_param(params), requisite_row)


@method("crm.requisite.bankdetail.list", scope="crm", family=CLASSIC)
def bankdetail_list(ctx, params):
    filters = {str(k).upper(): v for k, v in as_map(params.get("filter")).items()}
    company = load(ctx, E.KINDS[E.COMPANY], to_int(filters.get("ENTITY_ID")) or 0)
    rows = [
        {
            "ID": str(account.pk),
            "ENTITY_ID": str(company.pk),
            "COUNTRY_ID": "1",
            "NAME": account.bank_name or account.account_number,
            "RQ_BANK_NAME": account.bank_name,
            "RQ_BIK": account.bic,
            "RQ_ACC_NUM": account.account_number,
            "RQ_COR_ACC_NUM": account.correspondent_account,
            "RQ_ACC_CURRENCY": "RUB",
            "ACTIVE": "Y",
            "SORT": "500",
        }
        for account in company.bank_accounts.all()
    ]
    return Page(rows, total=len(rows))
