"""``crm.category.{update,delete,fields}`` and ``crm.dealcategory.{update,delete}``."""

import json

import pytest

from voronka.integrations.bitrix24.tests.conftest import make_webhook
from voronka.sales.models import Pipeline, PipelineEntity
from voronka.sales.services.pipelines import pipelines_ensure_defaults
from voronka.sales.tests.factories import DealFactory, PipelineFactory

pytestmark = pytest.mark.django_db


def call(client, hook, name, payload):
    response = client.post(hook + name, json.dumps(payload), content_type="application/json")
    return response.status_code, response.json()


def test_category_update_renames_and_resorts_a_pipeline(client, admin_user):
    pipeline = PipelineFactory.with_stages(name="Service", sort=50)

    status, answer = call(
        client,
        make_webhook(admin_user),
        "crm.category.update",
        {"entityTypeId": 2, "id": pipeline.pk, "fields": {"name": "Repairs", "sort": 70}},
    )

    pipeline.refresh_from_db()
    assert status == 200
    assert answer["result"]["category"]["name"] == "Repairs"
    assert answer["result"]["category"]["sort"] == 70
    assert (pipeline.name, pipeline.sort) == ("Repairs", 70)


def test_category_update_makes_a_pipeline_the_default(client, admin_user):
    _lead, general = pipelines_ensure_defaults()
    pipeline = PipelineFactory.with_stages(name="Service")

    _, answer = call(
        client,
        make_webhook(admin_user),
        "crm.category.update",
        {"entityTypeId": 2, "id": pipeline.pk, "fields": {"isDefault": "Y"}},
    )

    general.refresh_from_db()
    assert answer["result"]["category"]["isDefault"] == "Y"
    assert not general.is_default


def test_category_update_with_an_empty_name_names_the_field(client, admin_user):
    pipeline = PipelineFactory.with_stages(name="Service")

    status, answer = call(
        client,
        make_webhook(admin_user),
        "crm.category.update",
        {"entityTypeId": 2, "id": pipeline.pk, "fields": {"name": ""}},
    )

    assert status == 400
    assert answer["error"] == "ERROR_CORE"
    assert answer["error_description"].startswith("name:")


def test_category_update_of_a_missing_pipeline_is_not_found(client, admin_user):
    status, answer = call(
        client,
        make_webhook(admin_user),
        "crm.category.update",
        {"entityTypeId": 2, "id": 999999, "fields": {"name": "X"}},
    )

    assert (status, answer["error"]) == (400, "NOT_FOUND")


def test_category_methods_know_only_deal_pipelines(client, admin_user):
    status, answer = call(
        client, make_webhook(admin_user), "crm.category.delete", {"entityTypeId": 1, "id": 1}
    )

    assert (status, answer["error"]) == (400, "ENTITY_TYPE_NOT_SUPPORTED")


def test_category_delete_removes_an_empty_pipeline(client, admin_user):
    pipeline = PipelineFactory.with_stages(name="Service")

    status, answer = call(
        client,
        make_webhook(admin_user),
        "crm.category.delete",
        {"entityTypeId": 2, "id": pipeline.pk},
    )

    assert (status, answer["result"]) == (200, None)
    assert not Pipeline.objects.filter(pk=pipeline.pk).exists()


def test_category_delete_refuses_a_pipeline_with_deals_and_says_why(client, admin_user):
    deal = DealFactory(pipeline=PipelineFactory.with_stages(name="Service"))

    status, answer = call(
        client,
        make_webhook(admin_user),
        "crm.category.delete",
        {"entityTypeId": 2, "id": deal.pipeline_id},
    )

    assert (status, answer["error"]) == (400, "ERROR_CORE")
    assert "move them to another pipeline" in answer["error_description"]
    assert Pipeline.objects.filter(pk=deal.pipeline_id).exists()


def test_category_delete_refuses_the_general_pipeline(client, admin_user):
    pipelines_ensure_defaults()

    status, answer = call(
        client, make_webhook(admin_user), "crm.category.delete", {"entityTypeId": 2, "id": 0}
    )

    assert status == 400
    assert "default pipeline" in answer["error_description"]
    assert Pipeline.objects.filter(entity=PipelineEntity.DEAL, is_default=True).exists()


def test_a_managers_webhook_may_not_change_pipelines(client, manager):
    pipeline = PipelineFactory.with_stages(name="Service")
    hook = make_webhook(manager)

    updated = call(
        client,
        hook,
        "crm.category.update",
        {"entityTypeId": 2, "id": pipeline.pk, "fields": {"name": "Mine"}},
    )
    deleted = call(client, hook, "crm.dealcategory.delete", {"id": pipeline.pk})

    assert updated == (403, {"error": "ACCESS_DENIED", "error_description": "Access denied."})
    assert deleted == (400, {"error": "", "error_description": "Access denied."})
    pipeline.refresh_from_db()
    assert pipeline.name == "Service"


def test_category_methods_need_the_crm_scope(client, admin_user):
    pipeline = PipelineFactory.with_stages(name="Service")

    status, answer = call(
        client,
        make_webhook(admin_user, scopes=["task"]),
        "crm.category.delete",
        {"entityTypeId": 2, "id": pipeline.pk},
    )

    assert (status, answer["error"]) == (401, "insufficient_scope")
    assert Pipeline.objects.filter(pk=pipeline.pk).exists()


def test_category_fields_describe_every_key_of_a_category(client, admin_user):
    _, answer = call(client, make_webhook(admin_user), "crm.category.fields", {"entityTypeId": 2})

    fields = answer["result"]["fields"]
    assert set(fields) == {
        "id",
        "name",
        "sort",
        "entityTypeId",
        "isDefault",
        "originId",
        "originatorId",
    }
    assert fields["name"]["isRequired"] is True
    assert all(len(description) >= 7 for description in fields.values())


def test_dealcategory_update_and_delete(client, admin_user):
    pipeline = PipelineFactory.with_stages(name="Service")
    hook = make_webhook(admin_user)

    _, updated = call(
        client, hook, "crm.dealcategory.update", {"id": pipeline.pk, "fields": {"NAME": "Repairs"}}
    )
    _, read = call(client, hook, "crm.dealcategory.get", {"id": pipeline.pk})
    bad = call(client, hook, "crm.dealcategory.update", {"id": pipeline.pk, "fields": {"SORT": -5}})
    _, deleted = call(client, hook, "crm.dealcategory.delete", {"id": pipeline.pk})
    missing = call(client, hook, "crm.dealcategory.delete", {"id": pipeline.pk})

    assert updated["result"] is True
    assert read["result"]["NAME"] == "Repairs"
    assert bad[0] == 400 and bad[1]["error_description"].startswith("SORT:")
    assert deleted["result"] is True
    assert missing == (400, {"error": "", "error_description": "Not found"})


def test_status_list_ids_are_the_ids_status_get_update_and_delete_take(client, admin_user):
    hook = make_webhook(admin_user)
    _, added = call(
        client,
        hook,
        "crm.status.add",
        {"fields": {"ENTITY_ID": "DEAL_STAGE", "STATUS_ID": "AUDIT", "NAME": "Audit"}},
    )
    _, listed = call(client, hook, "crm.status.list", {"filter": {"ENTITY_ID": "DEAL_STAGE"}})
    row = next(r for r in listed["result"] if r["STATUS_ID"] == "AUDIT")

    _, got = call(client, hook, "crm.status.get", {"id": row["ID"]})
    _, updated = call(client, hook, "crm.status.update", {"id": row["ID"], "fields": {"NAME": "X"}})
    _, fields = call(client, hook, "crm.status.fields", {})
    _, deleted = call(client, hook, "crm.status.delete", {"id": row["ID"]})
    missing = call(client, hook, "crm.status.get", {"id": row["ID"]})

    assert row["ID"] == str(added["result"])
    assert (got["result"]["STATUS_ID"], got["result"]["NAME"]) == ("AUDIT", "Audit")
    assert updated["result"] is True and deleted["result"] is True
    assert fields["result"]["ENTITY_ID"]["isRequired"] is True
    assert missing == (400, {"error": "ERROR_CORE", "error_description": "Invalid identifier."})


def test_company_contact_items_delete_unlinks_every_contact(client, manager):
    from voronka.contacts.models import ContactCompany
    from voronka.contacts.tests.factories import CompanyFactory, ContactFactory

    company = CompanyFactory(responsible=manager)
    for _n in range(2):
        ContactCompany.objects.create(contact=ContactFactory(responsible=manager), company=company)

    status, answer = call(
        client, make_webhook(manager), "crm.company.contact.items.delete", {"id": company.pk}
    )

    assert (status, answer["result"]) == (200, True)
    assert not ContactCompany.objects.filter(company=company).exists()
