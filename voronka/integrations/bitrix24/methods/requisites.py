"""Company requisites as ``crm.requisite.*``, bank accounts as ``crm.requisite.bankdetail.*``,
addresses as ``crm.address.*`` and the requisite a deal uses as ``crm.requisite.link.*``
(tier T2). A company keeps one set of requisites on its card, so its requisite has the
company's id; its bank accounts and addresses are the requisite's bank details and addresses.
Every write goes through ``company_update`` as the webhook's employee."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from voronka.access.models import Action
from voronka.access.predicates import require
from voronka.contacts.models import (
    AddressKind,
    BankAccount,
    Company,
    CompanyAddress,
    CompanyType,
)
from voronka.contacts.services.companies import company_update
from voronka.contacts.validators import (
    validate_bic,
    validate_correspondent_account,
    validate_settlement_account,
)
from voronka.integrations.bitrix24 import entities as E
from voronka.integrations.bitrix24.methods.crm import load, paginate, start_param, visible
from voronka.integrations.bitrix24.params import as_map, is_empty, to_int
from voronka.integrations.bitrix24.registry import CLASSIC, NotFound, field_names, method
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


REQUISITE_DATA = ("inn", "kpp", "ogrn", "short_name", "full_name", "director")


@method("crm.requisite.delete", scope="crm", family=CLASSIC)
def delete(ctx, params):
    """The company keeps its one requisite: deleting it empties the requisites and removes the
    bank details; the addresses stay, they are the company's too."""
    company = load(ctx, E.KINDS[E.COMPANY], to_int(params.get("id")) or 0)
    with field_names(NAMES):
        company_update(
            actor=ctx.user,
            company=company,
            data=dict.fromkeys(REQUISITE_DATA, ""),
            bank_accounts=[],
        )
    return True


def field(kind: str, title: str, *, required=False, read_only=False, immutable=False) -> dict:
    return {
        "type": kind,
        "isRequired": required,
        "isReadOnly": read_only,
        "isImmutable": immutable,
        "isMultiple": False,
        "isDynamic": False,
        "title": title,
    }


@method("crm.requisite.fields", scope="crm", family=CLASSIC)
def fields_(ctx, params):
    return {
        "ID": field("integer", "ID", read_only=True),
        "ENTITY_TYPE_ID": field("integer", "Entity type", required=True, immutable=True),
        "ENTITY_ID": field("integer", "Entity", required=True, immutable=True),
        "PRESET_ID": field("integer", "Template", required=True),
        "NAME": field("string", "Name", required=True),
        "ACTIVE": field("char", "Active", read_only=True),
        "SORT": field("integer", "Sort", read_only=True),
        "DATE_CREATE": field("datetime", "Created", read_only=True),
        "DATE_MODIFY": field("datetime", "Modified", read_only=True),
        "RQ_COMPANY_NAME": field("string", "Short name"),
        "RQ_COMPANY_FULL_NAME": field("string", "Full name"),
        "RQ_DIRECTOR": field("string", "Director"),
        "RQ_INN": field("string", "INN"),
        "RQ_KPP": field("string", "KPP"),
        "RQ_OGRN": field("string", "OGRN"),
        "RQ_OGRNIP": field("string", "OGRNIP"),
    }


def _upper(value) -> dict:
    return {str(k).upper(): v for k, v in as_map(value).items()}


def _fields(params) -> dict:
    raw = params.get("fields")
    if raw not in (None, "") and not isinstance(raw, dict):
        raise B24Error("", "Parameter 'fields' must be array.", 400)
    return _upper(raw)


def _visible_companies(ctx):
    return visible(ctx, E.KINDS[E.COMPANY])


def _lock(company) -> None:
    """Hold the company while its list of accounts or addresses is read and written anew (the
    method's transaction), so two calls never both write a list the other has not seen."""
    list(Company.objects.select_for_update().filter(pk=company.pk).values_list("pk", flat=True))


# --- bank details -------------------------------------------------------------------------

BANK_FIELDS = {
    "RQ_BANK_NAME": "bank_name",
    "RQ_BIK": "bic",
    "RQ_ACC_NUM": "account_number",
    "RQ_COR_ACC_NUM": "correspondent_account",
}


def bankdetail_row(account: BankAccount) -> dict:
    return {
        "ID": str(account.pk),
        "ENTITY_ID": str(account.company_id),
        "COUNTRY_ID": "1",
        "NAME": account.bank_name or account.account_number,
        "RQ_BANK_NAME": account.bank_name or None,
        "RQ_BANK_ADDR": None,
        "RQ_BIK": account.bic,
        "RQ_ACC_NUM": account.account_number,
        "RQ_COR_ACC_NUM": account.correspondent_account or None,
        "RQ_ACC_CURRENCY": "RUB",
        "ACTIVE": "Y",
        "SORT": "500",
        "COMMENTS": None,
    }


def _account_item(account: BankAccount) -> dict:
    return {
        "bank_name": account.bank_name,
        "bic": account.bic,
        "account_number": account.account_number,
        "correspondent_account": account.correspondent_account,
        "is_primary": account.is_primary,
    }


def _check_account(item: dict) -> None:
    """The new or changed account's problems named by their Bitrix24 fields (the company
    service checks the whole list again)."""
    errors: dict[str, list[str]] = {}
    bic = str(item.get("bic") or "")
    try:
        bic = validate_bic(bic)
    except ValidationError as error:
        errors["RQ_BIK"] = error.messages
    if not errors:
        try:
            validate_settlement_account(str(item.get("account_number") or ""), bic=bic)
        except ValidationError as error:
            errors["RQ_ACC_NUM"] = error.messages
        if item.get("correspondent_account"):
            try:
                validate_correspondent_account(str(item["correspondent_account"]), bic=bic)
            except ValidationError as error:
                errors["RQ_COR_ACC_NUM"] = error.messages
    if errors:
        raise ValidationError(errors)


def _account_changes(fields: dict) -> dict:
    changes = {
        ours: str(fields[theirs] or "").strip()
        for theirs, ours in BANK_FIELDS.items()
        if theirs in fields
    }
    if "bank_name" not in changes and not is_empty(fields.get("NAME")):
        changes["bank_name"] = str(fields["NAME"]).strip()
    return changes


def _write_accounts(ctx, company, items: list[dict]) -> None:
    with field_names({"bank_accounts": "RQ_ACC_NUM"}):
        company_update(actor=ctx.user, company=company, data={}, bank_accounts=items)


def _account(ctx, params) -> BankAccount:
    number = to_int(params.get("id"))
    if not number or number <= 0:
        raise B24Error("", "ID is not defined or invalid.", 400)
    account = (
        BankAccount.objects.filter(pk=number, company__in=_visible_companies(ctx))
        .select_related("company")
        .first()
    )
    if account is None:
        raise NotFound(_("Not found"))
    return account


@method("crm.requisite.bankdetail.add", scope="crm", family=CLASSIC)
def bankdetail_add(ctx, params):
    fields = _fields(params)
    company = load(ctx, E.KINDS[E.COMPANY], to_int(fields.get("ENTITY_ID")) or 0)
    item = {"bank_name": "", "correspondent_account": "", **_account_changes(fields)}
    _check_account(item)
    _lock(company)
    current = [_account_item(a) for a in company.bank_accounts.order_by("pk")]
    _write_accounts(ctx, company, [*current, {**item, "is_primary": False}])
    # The company's list is written anew in its order: the new account is the last one.
    return company.bank_accounts.order_by("pk").values_list("pk", flat=True).last()


@method("crm.requisite.bankdetail.get", scope="crm", family=CLASSIC)
def bankdetail_get(ctx, params):
    return bankdetail_row(_account(ctx, params))


@method("crm.requisite.bankdetail.update", scope="crm", family=CLASSIC)
def bankdetail_update(ctx, params):
    account = _account(ctx, params)
    changes = _account_changes(_fields(params))
    _lock(account.company)
    items = []
    for other in account.company.bank_accounts.order_by("pk"):
        item = _account_item(other)
        if other.pk == account.pk:
            item.update(changes)
            _check_account(item)
        items.append(item)
    _write_accounts(ctx, account.company, items)
    return True


@method("crm.requisite.bankdetail.delete", scope="crm", family=CLASSIC)
def bankdetail_delete(ctx, params):
    account = _account(ctx, params)
    _lock(account.company)
    items = [
        _account_item(other)
        for other in account.company.bank_accounts.order_by("pk")
        if other.pk != account.pk
    ]
    if items and not any(item["is_primary"] for item in items):
        items[0]["is_primary"] = True
    _write_accounts(ctx, account.company, items)
    return True


@method("crm.requisite.bankdetail.list", scope="crm", family=CLASSIC)
def bankdetail_list(ctx, params):
    filters = _upper(params.get("filter"))
    accounts = BankAccount.objects.filter(company__in=_visible_companies(ctx))
    if "ENTITY_ID" in filters:
        accounts = accounts.filter(company_id=to_int(filters["ENTITY_ID"]) or 0)
    if "ID" in filters:
        accounts = accounts.filter(pk=to_int(filters["ID"]) or 0)
    if "RQ_ACC_NUM" in filters:
        accounts = accounts.filter(account_number=str(filters["RQ_ACC_NUM"]))
    if "RQ_BIK" in filters:
        accounts = accounts.filter(bic=str(filters["RQ_BIK"]))
    return paginate(accounts.order_by("pk"), start_param(params), bankdetail_row)


@method("crm.requisite.bankdetail.fields", scope="crm", family=CLASSIC)
def bankdetail_fields(ctx, params):
    return {
        "ID": field("integer", "ID", read_only=True),
        "ENTITY_ID": field("integer", "Requisite", required=True, immutable=True),
        "COUNTRY_ID": field("integer", "Country", read_only=True),
        "NAME": field("string", "Name", required=True),
        "RQ_BANK_NAME": field("string", "Bank"),
        "RQ_BIK": field("string", "BIC", required=True),
        "RQ_ACC_NUM": field("string", "Settlement account", required=True),
        "RQ_COR_ACC_NUM": field("string", "Correspondent account"),
        "RQ_ACC_CURRENCY": field("string", "Currency", read_only=True),
        "ACTIVE": field("char", "Active", read_only=True),
        "SORT": field("integer", "Sort", read_only=True),
    }


# --- addresses ----------------------------------------------------------------------------

REQUISITE = 8  # ENTITY_TYPE_ID of a requisite's address; 4 (company) is accepted as well.
ADDRESS_TYPES = {
    1: AddressKind.ACTUAL,
    4: AddressKind.REGISTRATION,
    6: AddressKind.LEGAL,
    8: AddressKind.POSTAL,
    9: AddressKind.OTHER,
    11: AddressKind.DELIVERY,
}
TYPE_OF_KIND = {kind: number for number, kind in ADDRESS_TYPES.items()}
ADDRESS_FIELDS = {
    "ADDRESS_1": "street_address",
    "CITY": "city",
    "POSTAL_CODE": "postal_code",
    "PROVINCE": "region",
    "COUNTRY": "country",
}
ADDRESS_NAMES = {ours: theirs for theirs, ours in ADDRESS_FIELDS.items()}
ADDRESS_KEYS = ("kind", "postal_code", "country", "region", "city", "street_address", "comment")


def address_row(address: CompanyAddress, entity_type: int = REQUISITE) -> dict:
    return {
        "TYPE_ID": str(TYPE_OF_KIND.get(address.kind, 9)),
        "ENTITY_TYPE_ID": str(entity_type),
        "ENTITY_ID": str(address.company_id),
        "ADDRESS_1": address.street_address or None,
        "ADDRESS_2": None,
        "CITY": address.city or None,
        "POSTAL_CODE": address.postal_code or None,
        "REGION": None,
        "PROVINCE": address.region or None,
        "COUNTRY": address.country or None,
        "COUNTRY_CODE": None,
        "LOC_ADDR_ID": "0",
        "ANCHOR_TYPE_ID": str(E.COMPANY),
        "ANCHOR_ID": str(address.company_id),
    }


def _address_owner(ctx, fields: dict):
    """The company and the kind an address call is about (``TYPE_ID``, ``ENTITY_TYPE_ID``,
    ``ENTITY_ID``, each required and named when missing)."""
    errors = {
        key: [_("The field %(name)s is not defined or invalid.") % {"name": key}]
        for key in ("TYPE_ID", "ENTITY_TYPE_ID", "ENTITY_ID")
        if not to_int(fields.get(key))
    }
    if not errors and to_int(fields["TYPE_ID"]) not in ADDRESS_TYPES:
        errors["TYPE_ID"] = [
            _("Unknown address type; use one of %(types)s.")
            % {"types": ", ".join(str(n) for n in ADDRESS_TYPES)}
        ]
    if not errors and to_int(fields["ENTITY_TYPE_ID"]) not in (REQUISITE, E.COMPANY):
        errors["ENTITY_TYPE_ID"] = [
            _("Addresses are kept for requisites (8) and companies (4) only.")
        ]
    if errors:
        raise ValidationError(errors)
    company = load(ctx, E.KINDS[E.COMPANY], to_int(fields["ENTITY_ID"]))
    return company, ADDRESS_TYPES[to_int(fields["TYPE_ID"])]


def _address_item(address: CompanyAddress) -> dict:
    return {key: getattr(address, key) for key in ADDRESS_KEYS}


def _address_changes(fields: dict) -> dict:
    changes = {
        ours: str(fields[theirs] or "").strip()
        for theirs, ours in ADDRESS_FIELDS.items()
        if theirs in fields
    }
    if "region" not in changes and not is_empty(fields.get("REGION")):
        changes["region"] = str(fields["REGION"]).strip()
    if not is_empty(fields.get("ADDRESS_2")):
        line = changes.get("street_address", "")
        changes["street_address"] = ", ".join(
            part for part in (line, str(fields["ADDRESS_2"]).strip()) if part
        )
    return changes


def _check_address(item: dict) -> None:
    if not any(item.get(key) for key in ("postal_code", "region", "city", "street_address")):
        raise ValidationError({"ADDRESS_1": [_("Enter the address.")]})
    postal_code = item.get("postal_code") or ""
    russian = (item.get("country") or "").strip().lower() in ("", "россия", "russia", "ru")
    if postal_code and russian and not (postal_code.isdigit() and len(postal_code) == 6):
        raise ValidationError({"POSTAL_CODE": [_("A Russian postal code has 6 digits.")]})


def _write_addresses(ctx, company, items: list[dict]) -> None:
    with field_names({"addresses": "ADDRESS_1"}):
        company_update(actor=ctx.user, company=company, data={}, addresses=items)


def _current_addresses(company) -> list[CompanyAddress]:
    _lock(company)
    return list(company.addresses.order_by("pk"))


@method("crm.address.add", scope="crm", family=CLASSIC)
def address_add(ctx, params):
    fields = _fields(params)
    company, kind = _address_owner(ctx, fields)
    current = _current_addresses(company)
    if any(address.kind == kind for address in current):
        raise ValidationError(
            {"TYPE_ID": [_("The address of this type already exists; change it instead.")]}
        )
    item = {"kind": kind, "country": "", "comment": "", **_address_changes(fields)}
    item.setdefault("country", "")
    _check_address(item)
    _write_addresses(ctx, company, [*(_address_item(a) for a in current), item])
    return True


@method("crm.address.update", scope="crm", family=CLASSIC)
def address_update(ctx, params):
    fields = _fields(params)
    company, kind = _address_owner(ctx, fields)
    current = _current_addresses(company)
    target = next((address for address in current if address.kind == kind), None)
    if target is None:
        raise NotFound(_("Not found"))
    items = []
    for address in current:
        item = _address_item(address)
        if address.pk == target.pk:
            item.update(_address_changes(fields))
            _check_address(item)
        items.append(item)
    _write_addresses(ctx, company, items)
    return True


@method("crm.address.delete", scope="crm", family=CLASSIC)
def address_delete(ctx, params):
    fields = _fields(params)
    company, kind = _address_owner(ctx, fields)
    current = _current_addresses(company)
    target = next((address for address in current if address.kind == kind), None)
    if target is None:
        raise NotFound(_("Not found"))
    _write_addresses(ctx, company, [_address_item(a) for a in current if a.pk != target.pk])
    return True


@method("crm.address.list", scope="crm", family=CLASSIC)
def address_list(ctx, params):
    filters = _upper(params.get("filter"))
    entity_type = to_int(filters.get("ENTITY_TYPE_ID")) or REQUISITE
    if entity_type not in (REQUISITE, E.COMPANY):
        return Page([], total=0)
    addresses = CompanyAddress.objects.filter(company__in=_visible_companies(ctx))
    for key in ("ENTITY_ID", "ANCHOR_ID"):
        if key in filters:
            addresses = addresses.filter(company_id=to_int(filters[key]) or 0)
    if "TYPE_ID" in filters:
        addresses = addresses.filter(kind=ADDRESS_TYPES.get(to_int(filters["TYPE_ID"]), ""))
    return paginate(
        addresses.order_by("company_id", "pk"),
        start_param(params),
        lambda address: address_row(address, entity_type),
    )


@method("crm.address.fields", scope="crm", family=CLASSIC)
def address_fields(ctx, params):
    return {
        "TYPE_ID": field("integer", "Address type", required=True, immutable=True),
        "ENTITY_TYPE_ID": field("integer", "Entity type", required=True, immutable=True),
        "ENTITY_ID": field("integer", "Entity", required=True, immutable=True),
        "ADDRESS_1": field("string", "Street, house"),
        "ADDRESS_2": field("string", "Apartment, office"),
        "CITY": field("string", "City"),
        "POSTAL_CODE": field("string", "Postal code"),
        "REGION": field("string", "District"),
        "PROVINCE": field("string", "Region"),
        "COUNTRY": field("string", "Country"),
        "COUNTRY_CODE": field("string", "Country code", read_only=True),
        "LOC_ADDR_ID": field("integer", "Location address", read_only=True),
        "ANCHOR_TYPE_ID": field("integer", "Parent entity type", read_only=True),
        "ANCHOR_ID": field("integer", "Parent entity", read_only=True),
    }


# --- the requisite a deal uses ------------------------------------------------------------
#
# A deal uses the requisite of its company (one per company) and the company's primary bank
# account. ``register`` checks that the ids it is given are those of the deal's company and
# changes nothing; the own company's requisites (MC_*) are not kept in Voronka.


def _link_params(params) -> dict:
    # ``get`` and ``unregister`` take ``entityTypeId`` and ``entityId`` at the top level.
    aliases = {"ENTITYTYPEID": "ENTITY_TYPE_ID", "ENTITYID": "ENTITY_ID"}
    merged = {
        aliases.get(str(k).upper(), str(k).upper()): v
        for k, v in params.items()
        if not isinstance(v, dict)
    }
    merged.update(_fields(params))
    merged.update({k.upper(): v for k, v in _upper(params.get("filter")).items()})
    return merged


def _linked_deal(ctx, values: dict):
    errors = {
        key: [_("The field %(name)s is not defined or invalid.") % {"name": key}]
        for key in ("ENTITY_TYPE_ID", "ENTITY_ID")
        if not to_int(values.get(key))
    }
    if errors:
        raise ValidationError(errors)
    if to_int(values["ENTITY_TYPE_ID"]) != E.DEAL:
        raise ValidationError({"ENTITY_TYPE_ID": [_("Requisites are linked to deals (2) only.")]})
    return load(ctx, E.KINDS[E.DEAL], to_int(values["ENTITY_ID"]))


def link_row(deal) -> dict:
    account = None
    if deal.company_id:
        account = (
            BankAccount.objects.filter(company_id=deal.company_id)
            .order_by("-is_primary", "pk")
            .values_list("pk", flat=True)
            .first()
        )
    return {
        "ENTITY_TYPE_ID": str(E.DEAL),
        "ENTITY_ID": str(deal.pk),
        "REQUISITE_ID": str(deal.company_id or 0),
        "BANK_DETAIL_ID": str(account or 0),
        "MC_REQUISITE_ID": "0",
        "MC_BANK_DETAIL_ID": "0",
    }


@method("crm.requisite.link.register", scope="crm", family=CLASSIC)
def link_register(ctx, params):
    values = _link_params(params)
    deal = _linked_deal(ctx, values)
    require(ctx.user, Action.UPDATE, deal)
    requisite = to_int(values.get("REQUISITE_ID")) or 0
    bank_detail = to_int(values.get("BANK_DETAIL_ID")) or 0
    if requisite and requisite != deal.company_id:
        raise ValidationError(
            {"REQUISITE_ID": [_("This is not the requisite of the deal's company.")]}
        )
    if (
        bank_detail
        and not BankAccount.objects.filter(
            pk=bank_detail, company_id=requisite or deal.company_id or 0
        ).exists()
    ):
        raise ValidationError(
            {"BANK_DETAIL_ID": [_("This is not a bank account of the deal's company.")]}
        )
    return True


@method("crm.requisite.link.get", scope="crm", family=CLASSIC)
def link_get(ctx, params):
    return link_row(_linked_deal(ctx, _link_params(params)))


@method("crm.requisite.link.unregister", scope="crm", family=CLASSIC)
def link_unregister(ctx, params):
    deal = _linked_deal(ctx, _link_params(params))
    require(ctx.user, Action.UPDATE, deal)
    return True


@method("crm.requisite.link.list", scope="crm", family=CLASSIC)
def link_list(ctx, params):
    filters = _upper(params.get("filter"))
    if "ENTITY_TYPE_ID" in filters and to_int(filters["ENTITY_TYPE_ID"]) != E.DEAL:
        return Page([], total=0)
    deals = visible(ctx, E.KINDS[E.DEAL]).filter(company__isnull=False)
    if "ENTITY_ID" in filters:
        deals = deals.filter(pk=to_int(filters["ENTITY_ID"]) or 0)
    if "REQUISITE_ID" in filters:
        deals = deals.filter(company_id=to_int(filters["REQUISITE_ID"]) or 0)
    return paginate(deals.order_by("pk"), start_param(params), link_row)
