"""Writes for companies: requisites, addresses, bank accounts, communications, the recycle bin."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from voronka.access.models import Action, Entity
from voronka.access.predicates import require, unchanged_fields_only
from voronka.contacts.duplicates import OnDuplicate, check_duplicates, record_duplicates
from voronka.contacts.duplicates.cards import card_data, data_to_recheck
from voronka.contacts.events import (
    CompanyCreated,
    CompanyDeleted,
    CompanyRestored,
    CompanyUpdated,
)
from voronka.contacts.models import AddressKind, BankAccount, Company, CompanyAddress
from voronka.contacts.services.common import changed_codes, given_codes, list_change
from voronka.contacts.services.communications import communications_clean, communications_set
from voronka.contacts.validators import (
    clean_company_requisites,
    validate_bic,
    validate_correspondent_account,
    validate_settlement_account,
)
from voronka.core.changes import FieldChange, apply_changes
from voronka.core.concurrency import lock_alive_card, save_new_version
from voronka.core.events import publish
from voronka.core.inputs import (
    check_active,
    check_editable,
    merge_errors,
    model_errors,
    prepare_values,
)
from voronka.core.normalization import company_name_key
from voronka.customization.models import EntityType
from voronka.customization.validation import (
    apply_custom_fields,
    clean_custom_fields,
)
from voronka.timeline.services import (
    card_soft_delete,
    card_soft_restore,
    record_created,
    record_field_changes,
)

COMPANY_EDITABLE_FIELDS = frozenset(
    {
        "company_type",
        "title",
        "full_name",
        "short_name",
        "inn",
        "kpp",
        "ogrn",
        "director",
        "industry",
        "employees_count",
        "source",
        "source_id",
        "responsible",
        "responsible_id",
        "comment",
        "custom_fields",
    }
)
REQUISITE_FIELDS = ("company_type", "inn", "kpp", "ogrn")
ADDRESS_KEYS = frozenset(
    {"kind", "postal_code", "country", "region", "city", "street_address", "comment"}
)
BANK_ACCOUNT_KEYS = frozenset(
    {"bank_name", "bic", "account_number", "correspondent_account", "is_primary"}
)
_RUSSIA = {"", "россия", "российская федерация", "russia", "ru"}


def _text(item: dict[str, Any], key: str) -> str:
    return str(item.get(key) or "").strip()


def addresses_clean(items: list[dict[str, Any]]) -> list[CompanyAddress]:
    """Unsaved addresses from ``[{"kind", "postal_code", "country", "region", "city",
    "street_address", "comment"}]``; empty ones are dropped, problems keyed ``addresses``."""
    rows: list[CompanyAddress] = []
    problems: list[str] = []
    for number, item in enumerate(items or [], start=1):
        unknown = sorted(set(item) - ADDRESS_KEYS)
        if unknown:
            problems.append(
                _("Address %(number)d: unknown keys %(keys)s.")
                % {"number": number, "keys": ", ".join(unknown)}
            )
            continue
        values = {key: _text(item, key) for key in ADDRESS_KEYS}
        if not any(values[key] for key in ADDRESS_KEYS - {"kind", "country", "comment"}):
            continue
        values["country"] = values["country"] or "Россия"
        if values["kind"] not in AddressKind.values:
            problems.append(
                _("Address %(number)d: choose the kind of address.") % {"number": number}
            )
            continue
        postal_code = values["postal_code"]
        if (
            postal_code
            and values["country"].lower() in _RUSSIA
            and not (postal_code.isdigit() and len(postal_code) == 6)
        ):
            problems.append(
                _("Address %(number)d: a Russian postal code has 6 digits.") % {"number": number}
            )
            continue
        address = CompanyAddress(**values)
        address_errors: dict[str, list[str]] = {}
        model_errors(address, address_errors, exclude=["company"])
        if address_errors:
            problems.extend(
                _("Address %(number)d: %(problem)s") % {"number": number, "problem": message}
                for messages in address_errors.values()
                for message in messages
            )
            continue
        rows.append(address)
    if problems:
        raise ValidationError({"addresses": problems})
    return rows


def bank_accounts_clean(items: list[dict[str, Any]]) -> list[BankAccount]:
    """Unsaved bank accounts with BIC and control keys checked; the first one is primary unless
    another is marked. Problems are keyed ``bank_accounts``."""
    rows: list[BankAccount] = []
    problems: list[str] = []
    for number, item in enumerate(items or [], start=1):
        unknown = sorted(set(item) - BANK_ACCOUNT_KEYS)
        if unknown:
            problems.append(
                _("Bank account %(number)d: unknown keys %(keys)s.")
                % {"number": number, "keys": ", ".join(unknown)}
            )
            continue
        bic, account = _text(item, "bic"), _text(item, "account_number")
        correspondent = _text(item, "correspondent_account")
        if not (bic or account or correspondent):
            continue
        try:
            bic = validate_bic(bic)
            account = validate_settlement_account(account, bic=bic)
            if correspondent:
                correspondent = validate_correspondent_account(correspondent, bic=bic)
        except ValidationError as error:
            problems.extend(
                _("Bank account %(number)d: %(problem)s") % {"number": number, "problem": message}
                for message in error.messages
            )
            continue
        rows.append(
            BankAccount(
                bank_name=_text(item, "bank_name")[:255],
                bic=bic,
                account_number=account,
                correspondent_account=correspondent,
                is_primary=bool(item.get("is_primary")),
            )
        )
    if sum(row.is_primary for row in rows) > 1:
        problems.append(_("Only one bank account can be the primary one."))
    if rows and not any(row.is_primary for row in rows):
        rows[0].is_primary = True
    if problems:
        raise ValidationError({"bank_accounts": problems})
    return rows


def _describe_address(address: CompanyAddress) -> str:
    return f"{address.get_kind_display()}: {address}"


def _describe_bank_account(account: BankAccount) -> str:
    text = _("%(bank)s account %(account)s, BIC %(bic)s") % {
        "bank": account.bank_name,
        "account": account.account_number,
        "bic": account.bic,
    }
    if account.is_primary:
        text += " — " + _("primary")
    return text.strip()


def _replace_addresses(company: Company, rows: list[CompanyAddress]) -> list[FieldChange]:
    existing = list(company.addresses.all())
    old = [_describe_address(row) for row in existing]
    new = [_describe_address(row) for row in rows]
    if old == new:
        return []
    company.addresses.all().delete()
    for row in rows:
        row.company = company
    CompanyAddress.objects.bulk_create(rows)
    return list_change("addresses", str(_("Addresses")), old, new)


def _replace_bank_accounts(company: Company, rows: list[BankAccount]) -> list[FieldChange]:
    existing = list(company.bank_accounts.order_by("pk"))
    old = [_describe_bank_account(row) for row in existing]
    new = [_describe_bank_account(row) for row in rows]
    if old == new:
        return []
    company.bank_accounts.all().delete()
    for row in rows:
        row.company = company
    BankAccount.objects.bulk_create(rows)
    return list_change("bank_accounts", str(_("Bank accounts")), old, new)


def _check_requisites(
    company: Company, values: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    """Validate the requisites as they will be; put their compact form into ``values``."""
    merged = {field: values.get(field, getattr(company, field)) for field in REQUISITE_FIELDS}
    try:
        cleaned = clean_company_requisites(**merged)
    except ValidationError as error:
        merge_errors(errors, error)
        return
    for field in ("inn", "kpp", "ogrn"):
        if field in values:
            values[field] = cleaned[field]


def _clean_lists(
    errors: dict[str, list[str]],
    *,
    communications: list[dict[str, Any]] | None,
    addresses: list[dict[str, Any]] | None,
    bank_accounts: list[dict[str, Any]] | None,
) -> tuple[list[CompanyAddress] | None, list[BankAccount] | None]:
    address_rows = bank_rows = None
    if communications is not None:
        try:
            communications_clean(communications)
        except ValidationError as error:
            merge_errors(errors, error)
    if addresses is not None:
        try:
            address_rows = addresses_clean(addresses)
        except ValidationError as error:
            merge_errors(errors, error)
    if bank_accounts is not None:
        try:
            bank_rows = bank_accounts_clean(bank_accounts)
        except ValidationError as error:
            merge_errors(errors, error)
    return address_rows, bank_rows


def _check_title(company: Company, errors: dict[str, list[str]]) -> None:
    if not company.title:
        errors["title"] = [_("Enter the company's title.")]


_IDENTIFIER_FIELDS = ("title", "inn", "kpp")


def _recheck(actor, company: Company, before, communications, on_duplicate) -> list:
    """The duplicate policy on what an edit adds: a new title, INN/KPP, phones, e-mails."""
    after = {name: getattr(company, name) for name in _IDENTIFIER_FIELDS}
    if communications is None and after == before:
        return []
    stored = card_data(company)["communications"]
    data = data_to_recheck(
        "company",
        {**before, "communications": stored},
        {**after, "communications": stored if communications is None else communications},
    )
    if data is None:
        return []
    return check_duplicates(
        "company", data, actor=actor, exclude=company, on_duplicate=on_duplicate
    )


def company_create(
    *,
    actor,
    data: dict[str, Any],
    communications: list[dict[str, Any]] | None = None,
    addresses: list[dict[str, Any]] | None = None,
    bank_accounts: list[dict[str, Any]] | None = None,
    on_duplicate: OnDuplicate = "record",
    exclude_duplicates: Any = None,
) -> Company:
    """Create a company with its requisites, communications, addresses and bank accounts.

    A company needs a title; requisites are checked against the company type (see
    ``clean_company_requisites``); the responsible defaults to ``actor``. Every problem is
    reported in one ValidationError and nothing is written unless all of it is right.

    The company policy of duplicates applies (``check_duplicates``): a block is a
    ValidationError; a warning raises ``DuplicatesFound`` with ``on_duplicate="ask"`` and is
    recorded on the new card with ``"record"``. ``exclude_duplicates`` do not count.
    """
    check_editable(data, COMPANY_EDITABLE_FIELDS)
    with transaction.atomic():
        errors: dict[str, list[str]] = {}
        values = prepare_values(Company, data, errors)
        company = Company(created_by=actor)
        _check_requisites(company, values, errors)
        apply_changes(company, values)
        if company.responsible_id is None and actor is not None:
            company.responsible = actor
        require(actor, Action.ADD, company)
        unchanged_fields_only(
            actor,
            Entity.COMPANY,
            given_codes(
                actor,
                data,
                communications=communications,
                addresses=addresses,
                bank_accounts=bank_accounts,
            ),
        )
        check_active(company, {"responsible", "source"}, errors)
        try:
            company.custom_fields = clean_custom_fields(
                EntityType.COMPANY, data.get("custom_fields") or {}
            )
        except ValidationError as error:
            merge_errors(errors, error)
        address_rows, bank_rows = _clean_lists(
            errors,
            communications=communications,
            addresses=addresses,
            bank_accounts=bank_accounts,
        )
        model_errors(company, errors, exclude=["custom_fields"])
        _check_title(company, errors)
        if errors:
            raise ValidationError(errors)
        matches = check_duplicates(
            "company",
            card_data(company, communications or []),
            actor=actor,
            exclude=exclude_duplicates,
            on_duplicate=on_duplicate,
        )

        company.title_key = company_name_key(company.title)[:255]
        company.save()
        communications_set(card=company, items=communications or [], creating=True)
        for address in address_rows or []:
            address.company = company
        CompanyAddress.objects.bulk_create(address_rows or [])
        for account in bank_rows or []:
            account.company = company
        BankAccount.objects.bulk_create(bank_rows or [])
        record_created(actor=actor, card=company)
        record_duplicates(actor=actor, card=company, matches=matches, created=True)
        publish(CompanyCreated(actor_id=getattr(actor, "pk", None), company_id=company.pk))
    return company


def company_update(
    *,
    actor,
    company: Company,
    data: dict[str, Any],
    communications: list[dict[str, Any]] | None = None,
    addresses: list[dict[str, Any]] | None = None,
    bank_accounts: list[dict[str, Any]] | None = None,
    expected_version: int | None = None,
    on_duplicate: OnDuplicate = "record",
) -> Company:
    """Change a company; each list given (communications, addresses, bank accounts) replaces
    the current one, None leaves it untouched.

    Requisites are re-checked when the type or any requisite changes. A stale
    ``expected_version`` raises ConflictError. An edit that changes nothing writes nothing.
    PermissionDenied when the actor may not change the company or one of the changed fields
    (bank accounts hidden from the Operator role, say). A new title, INN/KPP, phones or
    e-mails go through the duplicate policy as on ``company_create`` (the company itself aside).
    """
    check_editable(data, COMPANY_EDITABLE_FIELDS)
    with transaction.atomic():
        company = lock_alive_card(company, expected_version)
        require(actor, Action.UPDATE, company)
        before = {name: getattr(company, name) for name in _IDENTIFIER_FIELDS}
        errors: dict[str, list[str]] = {}
        values = prepare_values(Company, data, errors)
        if any(field in values for field in REQUISITE_FIELDS):
            _check_requisites(company, values, errors)
        changes = apply_changes(company, values)
        update_fields = [change.field for change in changes]
        check_active(company, set(update_fields), errors)
        if "custom_fields" in data:
            custom_changes = apply_custom_fields(
                company, EntityType.COMPANY, data["custom_fields"], errors
            )
            if custom_changes:
                changes += custom_changes
                update_fields.append("custom_fields")
        address_rows, bank_rows = _clean_lists(
            errors,
            communications=communications,
            addresses=addresses,
            bank_accounts=bank_accounts,
        )
        model_errors(company, errors, exclude=["custom_fields"])
        _check_title(company, errors)
        if errors:
            raise ValidationError(errors)
        matches = _recheck(actor, company, before, communications, on_duplicate)
        if company.title_key != (title_key := company_name_key(company.title)[:255]):
            company.title_key = title_key
            update_fields.append("title_key")

        if communications is not None:
            changes += communications_set(card=company, items=communications)
        if address_rows is not None:
            changes += _replace_addresses(company, address_rows)
        if bank_rows is not None:
            changes += _replace_bank_accounts(company, bank_rows)
        # Raised inside the transaction: the lists written above roll back with it.
        unchanged_fields_only(actor, Entity.COMPANY, changed_codes(changes))
        if not changes:
            return company
        save_new_version(company, update_fields)
        record_field_changes(actor=actor, card=company, changes=changes)
        record_duplicates(actor=actor, card=company, matches=matches, created=False)
        publish(
            CompanyUpdated(
                actor_id=getattr(actor, "pk", None),
                company_id=company.pk,
                fields=tuple(change.field for change in changes),
            )
        )
    return company


def company_delete(*, actor, company: Company) -> Company:
    """Move a company to the recycle bin; contacts stay linked for a restore."""
    require(actor, Action.DELETE, company)
    with transaction.atomic():
        company, changed = card_soft_delete(actor=actor, card=company)
        if changed:
            publish(CompanyDeleted(actor_id=getattr(actor, "pk", None), company_id=company.pk))
    return company


def company_restore(*, actor, company: Company) -> Company:
    """Bring a company back from the recycle bin with its links and history."""
    require(actor, Action.DELETE, company)
    with transaction.atomic():
        company, changed = card_soft_restore(actor=actor, card=company)
        if changed:
            publish(CompanyRestored(actor_id=getattr(actor, "pk", None), company_id=company.pk))
    return company
