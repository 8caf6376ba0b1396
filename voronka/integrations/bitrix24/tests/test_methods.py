"""In-process tests of the tier-T2 methods: product rows and links between cards."""

import json

from django.db import connection
from django.test.utils import CaptureQueriesContext

from voronka.contacts.tests.factories import CompanyFactory, ContactFactory
from voronka.integrations.bitrix24.tests.conftest import make_webhook
from voronka.sales.models import Deal
from voronka.sales.services.leads import lead_create


def call(client, hook, name, payload):
    response = client.post(hook + name, json.dumps(payload), content_type="application/json")
    return response.status_code, response.json()


def test_deal_product_rows_replace_and_set_the_amount(client, manager):
    hook = make_webhook(manager)
    _, created = call(client, hook, "crm.deal.add", {"fields": {"TITLE": "Rows"}})
    deal_id = created["result"]

    status, answer = call(
        client,
        hook,
        "crm.deal.productrows.set",
        {
            "id": deal_id,
            "rows": [
                {"PRODUCT_NAME": "Install", "PRICE": 1000, "QUANTITY": 2, "TAX_INCLUDED": "Y"},
                {"PRODUCT_NAME": "Cable", "PRICE": "150.50", "QUANTITY": 1, "TAX_INCLUDED": "Y"},
            ],
        },
    )
    _, rows = call(client, hook, "crm.deal.productrows.get", {"id": deal_id})

    assert (status, answer["result"]) == (200, True)
    assert [(r["PRODUCT_NAME"], r["PRICE"], r["QUANTITY"]) for r in rows["result"]] == [
        ("Install", 1000, 2),
        ("Cable", 150.5, 1),
    ]
    assert rows["result"][0]["OWNER_TYPE"] == "D"
    assert str(Deal.objects.get(pk=deal_id).amount) == "2150.50"


def test_contact_companies_and_company_contacts(client, manager):
    hook = make_webhook(manager)
    first, second = CompanyFactory(responsible=manager), CompanyFactory(responsible=manager)
    contact = ContactFactory(responsible=manager)

    call(
        client,
        hook,
        "crm.contact.company.items.set",
        {"id": contact.pk, "items": [{"COMPANY_ID": first.pk}, {"COMPANY_ID": second.pk}]},
    )
    _, linked = call(client, hook, "crm.contact.company.items.get", {"id": contact.pk})
    _, back = call(client, hook, "crm.company.contact.items.get", {"id": second.pk})

    assert {row["COMPANY_ID"] for row in linked["result"]} == {first.pk, second.pk}
    assert [row["IS_PRIMARY"] for row in linked["result"]].count("Y") == 1
    assert back["result"][0]["CONTACT_ID"] == contact.pk


def test_deal_contacts_set_and_get(client, manager):
    hook = make_webhook(manager)
    one, two = ContactFactory(responsible=manager), ContactFactory(responsible=manager)
    _, created = call(client, hook, "crm.deal.add", {"fields": {"TITLE": "People"}})

    call(
        client,
        hook,
        "crm.deal.contact.items.set",
        {
            "id": created["result"],
            "items": [{"CONTACT_ID": one.pk}, {"CONTACT_ID": two.pk, "IS_PRIMARY": "Y"}],
        },
    )
    added = call(
        client,
        hook,
        "crm.deal.contact.add",
        {"id": created["result"], "fields": {"CONTACT_ID": one.pk}},
    )
    _, items = call(client, hook, "crm.deal.contact.items.get", {"id": created["result"]})
    _, deal = call(client, hook, "crm.deal.get", {"id": created["result"]})

    assert added[1]["result"] is False
    assert {(r["CONTACT_ID"], r["IS_PRIMARY"]) for r in items["result"]} == {
        (one.pk, "N"),
        (two.pk, "Y"),
    }
    assert deal["result"]["CONTACT_ID"] == str(two.pk)


def test_a_list_page_costs_the_same_queries_for_5_and_25_leads(client, manager):
    hook = make_webhook(manager)
    client.get(hook + "profile")  # the webhook's first use is recorded once
    counts = []
    for size in (5, 25):
        for n in range(size):
            lead_create(
                actor=manager,
                data={"title": f"Lead {size}-{n}"},
                communications=[{"kind": "phone", "value": f"+7 916 {size:03d}-{n:02d}-00"}],
            )
        with CaptureQueriesContext(connection) as queries:
            response = client.get(hook + "crm.lead.list?select[]=*&select[]=PHONE&select[]=UF_*")
        assert response.status_code == 200
        counts.append(len(queries))

    assert counts == [7, 7]


def test_stages_and_sources_are_added_changed_and_removed_with_settings_rights(
    client, manager, admin_user
):
    hook = make_webhook(admin_user)

    _, added = call(
        client,
        hook,
        "crm.status.add",
        {
            "fields": {
                "ENTITY_ID": "DEAL_STAGE",
                "STATUS_ID": "REVIEW",
                "NAME": "Review",
                "SORT": 25,
            }
        },
    )
    _, changed = call(
        client,
        hook,
        "crm.status.update",
        {"id": added["result"], "fields": {"NAME": "Legal review"}},
    )
    _, listed = call(client, hook, "crm.status.list", {"filter": {"ENTITY_ID": "DEAL_STAGE"}})
    _, source = call(
        client,
        hook,
        "crm.status.add",
        {"fields": {"ENTITY_ID": "SOURCE", "STATUS_ID": "EXPO", "NAME": "Expo"}},
    )
    _, deleted = call(client, hook, "crm.status.delete", {"id": added["result"]})
    refused = call(
        client,
        make_webhook(manager),
        "crm.status.add",
        {"fields": {"ENTITY_ID": "DEAL_STAGE", "STATUS_ID": "MINE", "NAME": "Mine"}},
    )

    assert changed["result"] is True
    assert ("REVIEW", "Legal review") in {(r["STATUS_ID"], r["NAME"]) for r in listed["result"]}
    assert isinstance(source["result"], int)
    assert deleted["result"] is True
    assert refused == (403, {"error": "ACCESS_DENIED", "error_description": "Access denied."})


def test_company_requisites_are_its_inn_kpp_and_ogrn(client, manager):
    from voronka.contacts.models import Company
    from voronka.contacts.tests.factories import make_inn, make_kpp, make_ogrn

    hook = make_webhook(manager)
    company = CompanyFactory(responsible=manager, inn="", kpp="", ogrn="")
    inn = make_inn(7707083)

    status, added = call(
        client,
        hook,
        "crm.requisite.add",
        {
            "fields": {
                "ENTITY_TYPE_ID": 4,
                "ENTITY_ID": company.pk,
                "PRESET_ID": 1,
                "NAME": "Main",
                "RQ_INN": inn,
                "RQ_KPP": make_kpp(inn),
                "RQ_OGRN": make_ogrn(102770013),
            }
        },
    )
    _, listed = call(
        client,
        hook,
        "crm.requisite.list",
        {"filter": {"ENTITY_TYPE_ID": 4, "ENTITY_ID": company.pk}},
    )
    bad = call(
        client, hook, "crm.requisite.update", {"id": company.pk, "fields": {"RQ_INN": "123"}}
    )

    assert (status, added["result"]) == (200, company.pk)
    assert Company.objects.get(pk=company.pk).inn == inn
    assert listed["result"][0]["RQ_INN"] == inn
    assert bad[0] == 400
    assert bad[1]["error_description"].startswith("RQ_INN:")


def test_department_get_orders_by_a_field_name_and_filters_by_numbers(client, manager):
    from voronka.staff.tests.factories import DepartmentFactory

    DepartmentFactory(name="Продажи", sort=778)
    DepartmentFactory(name="Склад", sort=777)
    hook = make_webhook(manager, scopes=["department"])

    status, by_sort = call(client, hook, "department.get", {"sort": "SORT", "order": "ASC"})
    _, filtered = call(client, hook, "department.get", {"SORT": 777})
    _, nothing = call(client, hook, "department.get", {"ID": "not a number"})

    names = [row["NAME"] for row in by_sort["result"]]
    assert status == 200
    assert names.index("Склад") < names.index("Продажи")
    assert [row["NAME"] for row in filtered["result"]] == ["Склад"]
    assert nothing["result"] == []
