"""``crm.requisite.{delete,fields}``, ``crm.requisite.bankdetail.*``, ``crm.address.*`` and
``crm.requisite.link.*`` on a company's requisites, bank accounts and addresses."""

import json

import pytest

from voronka.contacts.models import AddressKind, BankAccount, Company, CompanyAddress
from voronka.contacts.tests.factories import CompanyFactory, make_settlement_account
from voronka.integrations.bitrix24.tests.conftest import make_webhook
from voronka.sales.tests.factories import DealFactory
from voronka.timeline.models import EntryKind, TimelineEntry

pytestmark = pytest.mark.django_db

BIC = "044525225"
CORRESPONDENT = "30101810400000000225"


def call(client, hook, name, payload):
    response = client.post(hook + name, json.dumps(payload), content_type="application/json")
    return response.status_code, response.json()


def account_fields(company, body: int, **extra) -> dict:
    return {
        "ENTITY_ID": company.pk,
        "NAME": "Main account",
        "RQ_BANK_NAME": "Sberbank",
        "RQ_BIK": BIC,
        "RQ_ACC_NUM": make_settlement_account(BIC, body),
        "RQ_COR_ACC_NUM": CORRESPONDENT,
        **extra,
    }


# --- requisites ---------------------------------------------------------------------------


def test_requisite_delete_empties_the_requisites_and_bank_details(client, manager):
    company = CompanyFactory(responsible=manager, director="Ivanov")
    BankAccount.objects.create(
        company=company, bic=BIC, account_number=make_settlement_account(BIC, 1)
    )

    status, answer = call(client, make_webhook(manager), "crm.requisite.delete", {"id": company.pk})

    company.refresh_from_db()
    assert (status, answer["result"]) == (200, True)
    assert (company.inn, company.kpp, company.ogrn, company.director) == ("", "", "", "")
    assert not company.bank_accounts.exists()
    assert TimelineEntry.objects.filter(card_id=company.pk, kind=EntryKind.FIELD_CHANGED).exists()


def test_requisite_delete_of_a_company_of_another_department_is_not_found(
    client, manager, other_manager
):
    company = CompanyFactory(responsible=other_manager)

    status, answer = call(client, make_webhook(manager), "crm.requisite.delete", {"id": company.pk})

    assert (status, answer) == (400, {"error": "", "error_description": "Not found"})
    assert Company.objects.get(pk=company.pk).inn == company.inn


def test_requisite_fields_describe_the_requisite(client, manager):
    _, answer = call(client, make_webhook(manager), "crm.requisite.fields", {})

    assert {"ENTITY_TYPE_ID", "ENTITY_ID", "PRESET_ID", "RQ_INN", "RQ_KPP"} <= set(answer["result"])
    assert answer["result"]["ENTITY_ID"]["isRequired"] is True


# --- bank details -------------------------------------------------------------------------


def test_bank_details_are_added_read_changed_and_deleted(client, manager):
    company = CompanyFactory(responsible=manager)
    hook = make_webhook(manager)

    status, added = call(
        client, hook, "crm.requisite.bankdetail.add", {"fields": account_fields(company, 1)}
    )
    _, second = call(
        client,
        hook,
        "crm.requisite.bankdetail.add",
        {"fields": account_fields(company, 2, RQ_BANK_NAME="Second bank")},
    )
    _, read = call(client, hook, "crm.requisite.bankdetail.get", {"id": second["result"]})
    _, updated = call(
        client,
        hook,
        "crm.requisite.bankdetail.update",
        {"id": second["result"], "fields": {"RQ_BANK_NAME": "Renamed bank"}},
    )
    _, listed = call(
        client, hook, "crm.requisite.bankdetail.list", {"filter": {"ENTITY_ID": company.pk}}
    )

    assert status == 200 and isinstance(added["result"], int)
    assert read["result"]["RQ_BANK_NAME"] == "Second bank"
    assert read["result"]["ENTITY_ID"] == str(company.pk)
    assert read["result"]["RQ_ACC_NUM"] == make_settlement_account(BIC, 2)
    assert updated["result"] is True
    assert [row["RQ_BANK_NAME"] for row in listed["result"]] == ["Sberbank", "Renamed bank"]
    assert listed["total"] == 2
    primary = company.bank_accounts.get(is_primary=True)
    assert primary.account_number == make_settlement_account(BIC, 1)

    first_id = int(listed["result"][0]["ID"])
    _, deleted = call(client, hook, "crm.requisite.bankdetail.delete", {"id": first_id})

    assert deleted["result"] is True
    remaining = list(company.bank_accounts.all())
    assert [(a.bank_name, a.is_primary) for a in remaining] == [("Renamed bank", True)]


def test_bank_detail_add_names_the_invalid_field(client, manager):
    company = CompanyFactory(responsible=manager)
    hook = make_webhook(manager)

    bad_bic = call(
        client,
        hook,
        "crm.requisite.bankdetail.add",
        {"fields": account_fields(company, 1, RQ_BIK="123")},
    )
    bad_account = call(
        client,
        hook,
        "crm.requisite.bankdetail.add",
        {"fields": account_fields(company, 1, RQ_ACC_NUM="40702810000000000000")},
    )
    no_company = call(
        client,
        hook,
        "crm.requisite.bankdetail.add",
        {"fields": {**account_fields(company, 1), "ENTITY_ID": ""}},
    )

    assert bad_bic[0] == 400 and bad_bic[1]["error_description"].startswith("RQ_BIK:")
    assert bad_account[0] == 400 and bad_account[1]["error_description"].startswith("RQ_ACC_NUM:")
    assert no_company == (400, {"error": "", "error_description": "Not found"})
    assert not BankAccount.objects.exists()


def test_bank_details_of_a_hidden_company_are_not_found(client, manager, other_manager):
    company = CompanyFactory(responsible=other_manager)
    account = BankAccount.objects.create(
        company=company, bic=BIC, account_number=make_settlement_account(BIC, 1)
    )
    hook = make_webhook(manager)

    got = call(client, hook, "crm.requisite.bankdetail.get", {"id": account.pk})
    deleted = call(client, hook, "crm.requisite.bankdetail.delete", {"id": account.pk})
    added = call(
        client, hook, "crm.requisite.bankdetail.add", {"fields": account_fields(company, 2)}
    )
    _, listed = call(client, hook, "crm.requisite.bankdetail.list", {})

    assert got == deleted == added == (400, {"error": "", "error_description": "Not found"})
    assert listed["result"] == []
    assert BankAccount.objects.filter(pk=account.pk).exists()


def test_a_company_seen_but_not_editable_refuses_bank_detail_changes(
    client, manager, other_manager
):
    from voronka.access.models import Action, Entity, Scope
    from voronka.access.tests.factories import role_with

    role_with(
        (Entity.COMPANY, Action.READ, Scope.ALL),
        (Entity.COMPANY, Action.UPDATE, Scope.OWN),
        members=[manager],
    )
    company = CompanyFactory(responsible=other_manager)

    status, answer = call(
        client,
        make_webhook(manager),
        "crm.requisite.bankdetail.add",
        {"fields": account_fields(company, 1)},
    )

    assert (status, answer["error_description"]) == (400, "Access denied.")
    assert not BankAccount.objects.exists()


def test_bank_detail_methods_need_the_crm_scope(client, manager):
    status, answer = call(
        client, make_webhook(manager, scopes=["task"]), "crm.requisite.bankdetail.list", {}
    )

    assert (status, answer["error"]) == (401, "insufficient_scope")


# --- addresses ----------------------------------------------------------------------------


def test_addresses_are_added_listed_changed_and_deleted_by_type(client, manager):
    company = CompanyFactory(responsible=manager)
    hook = make_webhook(manager)
    owner = {"ENTITY_TYPE_ID": 8, "ENTITY_ID": company.pk}

    _, legal = call(
        client,
        hook,
        "crm.address.add",
        {
            "fields": {
                **owner,
                "TYPE_ID": 6,
                "ADDRESS_1": "ul. Lenina, 1",
                "ADDRESS_2": "office 5",
                "CITY": "Moscow",
                "POSTAL_CODE": "101000",
                "PROVINCE": "Moscow",
            }
        },
    )
    call(
        client,
        hook,
        "crm.address.add",
        {"fields": {**owner, "TYPE_ID": 11, "CITY": "Tula", "ADDRESS_1": "Sklad 3"}},
    )
    again = call(client, hook, "crm.address.add", {"fields": {**owner, "TYPE_ID": 6, "CITY": "X"}})
    _, updated = call(
        client,
        hook,
        "crm.address.update",
        {"fields": {**owner, "TYPE_ID": 11, "CITY": "Tver"}},
    )
    _, listed = call(client, hook, "crm.address.list", {"filter": {"ENTITY_ID": company.pk}})
    _, deleted = call(client, hook, "crm.address.delete", {"fields": {**owner, "TYPE_ID": 6}})

    assert legal["result"] is True
    assert again[0] == 400 and again[1]["error_description"].startswith("TYPE_ID:")
    assert updated["result"] is True
    rows = {row["TYPE_ID"]: row for row in listed["result"]}
    assert set(rows) == {"6", "11"}
    assert rows["6"]["ADDRESS_1"] == "ul. Lenina, 1, office 5"
    assert (rows["6"]["POSTAL_CODE"], rows["6"]["PROVINCE"]) == ("101000", "Moscow")
    assert (rows["11"]["CITY"], rows["11"]["ADDRESS_1"]) == ("Tver", "Sklad 3")
    assert rows["6"]["ENTITY_TYPE_ID"] == "8" and rows["6"]["ENTITY_ID"] == str(company.pk)
    assert deleted["result"] is True
    assert [a.kind for a in CompanyAddress.objects.filter(company=company)] == [
        AddressKind.DELIVERY
    ]


def test_address_methods_name_the_missing_or_invalid_field(client, manager):
    company = CompanyFactory(responsible=manager)
    hook = make_webhook(manager)

    no_type = call(
        client,
        hook,
        "crm.address.add",
        {"fields": {"ENTITY_TYPE_ID": 8, "ENTITY_ID": company.pk, "CITY": "Tula"}},
    )
    bad_code = call(
        client,
        hook,
        "crm.address.add",
        {
            "fields": {
                "ENTITY_TYPE_ID": 8,
                "ENTITY_ID": company.pk,
                "TYPE_ID": 1,
                "CITY": "Tula",
                "POSTAL_CODE": "12",
            }
        },
    )
    lead_owner = call(
        client,
        hook,
        "crm.address.add",
        {"fields": {"ENTITY_TYPE_ID": 1, "ENTITY_ID": 1, "TYPE_ID": 1, "CITY": "Tula"}},
    )
    missing = call(
        client,
        hook,
        "crm.address.update",
        {"fields": {"ENTITY_TYPE_ID": 8, "ENTITY_ID": company.pk, "TYPE_ID": 9, "CITY": "X"}},
    )

    assert no_type[0] == 400 and no_type[1]["error_description"].startswith("TYPE_ID:")
    assert bad_code[0] == 400 and bad_code[1]["error_description"].startswith("POSTAL_CODE:")
    assert lead_owner[0] == 400
    assert lead_owner[1]["error_description"].startswith("ENTITY_TYPE_ID:")
    assert missing == (400, {"error": "", "error_description": "Not found"})
    assert not CompanyAddress.objects.exists()


def test_addresses_of_a_hidden_company_are_not_found(client, manager, other_manager):
    company = CompanyFactory(responsible=other_manager)
    CompanyAddress.objects.create(company=company, kind=AddressKind.LEGAL, city="Omsk")
    hook = make_webhook(manager)

    added = call(
        client,
        hook,
        "crm.address.add",
        {"fields": {"ENTITY_TYPE_ID": 4, "ENTITY_ID": company.pk, "TYPE_ID": 1, "CITY": "X"}},
    )
    deleted = call(
        client,
        hook,
        "crm.address.delete",
        {"fields": {"ENTITY_TYPE_ID": 4, "ENTITY_ID": company.pk, "TYPE_ID": 6}},
    )
    _, listed = call(client, hook, "crm.address.list", {"filter": {"ENTITY_ID": company.pk}})

    assert added == deleted == (400, {"error": "", "error_description": "Not found"})
    assert listed["result"] == []
    assert CompanyAddress.objects.filter(company=company).count() == 1


def test_address_fields_describe_the_address(client, manager):
    _, answer = call(client, make_webhook(manager), "crm.address.fields", {})

    assert answer["result"]["TYPE_ID"]["isRequired"] is True
    assert {"ADDRESS_1", "CITY", "POSTAL_CODE", "PROVINCE", "COUNTRY"} <= set(answer["result"])


# --- requisite links ----------------------------------------------------------------------


def test_a_deal_uses_its_companys_requisite_and_primary_bank_account(client, manager):
    company = CompanyFactory(responsible=manager)
    account = BankAccount.objects.create(
        company=company, bic=BIC, account_number=make_settlement_account(BIC, 1), is_primary=True
    )
    deal = DealFactory(responsible=manager, company=company)
    hook = make_webhook(manager)

    _, registered = call(
        client,
        hook,
        "crm.requisite.link.register",
        {
            "fields": {
                "ENTITY_TYPE_ID": 2,
                "ENTITY_ID": deal.pk,
                "REQUISITE_ID": company.pk,
                "BANK_DETAIL_ID": account.pk,
                "MC_REQUISITE_ID": 0,
                "MC_BANK_DETAIL_ID": 0,
            }
        },
    )
    _, got = call(client, hook, "crm.requisite.link.get", {"entityTypeId": 2, "entityId": deal.pk})
    _, listed = call(client, hook, "crm.requisite.link.list", {"filter": {"ENTITY_ID": deal.pk}})
    _, unregistered = call(
        client, hook, "crm.requisite.link.unregister", {"entityTypeId": 2, "entityId": deal.pk}
    )

    assert registered["result"] is True
    assert got["result"] == {
        "ENTITY_TYPE_ID": "2",
        "ENTITY_ID": str(deal.pk),
        "REQUISITE_ID": str(company.pk),
        "BANK_DETAIL_ID": str(account.pk),
        "MC_REQUISITE_ID": "0",
        "MC_BANK_DETAIL_ID": "0",
    }
    assert listed["result"] == [got["result"]]
    assert unregistered["result"] is True


def test_link_register_refuses_a_requisite_of_another_company(client, manager):
    deal = DealFactory(responsible=manager, company=CompanyFactory(responsible=manager))
    other = CompanyFactory(responsible=manager)
    hook = make_webhook(manager)

    status, answer = call(
        client,
        hook,
        "crm.requisite.link.register",
        {"fields": {"ENTITY_TYPE_ID": 2, "ENTITY_ID": deal.pk, "REQUISITE_ID": other.pk}},
    )
    no_entity = call(
        client,
        hook,
        "crm.requisite.link.register",
        {"fields": {"ENTITY_TYPE_ID": 2, "REQUISITE_ID": other.pk}},
    )
    quote = call(client, hook, "crm.requisite.link.get", {"entityTypeId": 7, "entityId": deal.pk})

    assert status == 400 and answer["error_description"].startswith("REQUISITE_ID:")
    assert no_entity[0] == 400 and no_entity[1]["error_description"].startswith("ENTITY_ID:")
    assert quote[0] == 400 and quote[1]["error_description"].startswith("ENTITY_TYPE_ID:")


def test_links_of_a_hidden_deal_are_not_found(client, manager, other_manager):
    deal = DealFactory(responsible=other_manager, company=CompanyFactory(responsible=manager))
    hook = make_webhook(manager)

    got = call(client, hook, "crm.requisite.link.get", {"entityTypeId": 2, "entityId": deal.pk})
    registered = call(
        client,
        hook,
        "crm.requisite.link.register",
        {"fields": {"ENTITY_TYPE_ID": 2, "ENTITY_ID": deal.pk, "REQUISITE_ID": deal.company_id}},
    )
    _, listed = call(client, hook, "crm.requisite.link.list", {})

    assert got == registered == (400, {"error": "", "error_description": "Not found"})
    assert listed["result"] == []
