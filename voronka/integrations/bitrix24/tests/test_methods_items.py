"""``crm.item.*`` with ``useOriginalUfNames``: user fields as ``UF_CRM_…`` instead of
``ufCrm…``."""

import json

import pytest

from voronka.customization.models import CustomField, FieldType
from voronka.integrations.bitrix24.tests.conftest import make_webhook

pytestmark = pytest.mark.django_db


def call(client, hook, name, payload):
    response = client.post(hook + name, json.dumps(payload), content_type="application/json")
    return response.status_code, response.json()


@pytest.fixture
def budget(db):
    return CustomField.objects.create(
        entity="lead", code="client_budget", label="Budget", field_type=FieldType.INTEGER
    )


def test_items_name_user_fields_in_camel_case_by_default(client, manager, budget):
    hook = make_webhook(manager)

    _, added = call(
        client,
        hook,
        "crm.item.add",
        {"entityTypeId": 1, "fields": {"title": "Camel", "ufCrmClientBudget": 700}},
    )
    _, fields = call(client, hook, "crm.item.fields", {"entityTypeId": 1})

    assert added["result"]["item"]["ufCrmClientBudget"] == 700
    assert "UF_CRM_CLIENT_BUDGET" not in added["result"]["item"]
    assert "ufCrmClientBudget" in fields["result"]["fields"]


def test_use_original_uf_names_gives_uf_crm_names_everywhere(client, manager, budget):
    hook = make_webhook(manager)
    original = {"entityTypeId": 1, "useOriginalUfNames": "Y"}

    _, added = call(
        client,
        hook,
        "crm.item.add",
        {**original, "fields": {"title": "Upper", "UF_CRM_CLIENT_BUDGET": 900}},
    )
    item_id = added["result"]["item"]["id"]
    _, got = call(client, hook, "crm.item.get", {**original, "id": item_id})
    _, listed = call(
        client, hook, "crm.item.list", {**original, "select": ["id", "UF_CRM_CLIENT_BUDGET"]}
    )
    _, updated = call(
        client,
        hook,
        "crm.item.update",
        {**original, "id": item_id, "fields": {"UF_CRM_CLIENT_BUDGET": 950}},
    )
    _, fields = call(client, hook, "crm.item.fields", original)

    assert added["result"]["item"]["UF_CRM_CLIENT_BUDGET"] == 900
    assert got["result"]["item"]["UF_CRM_CLIENT_BUDGET"] == 900
    assert listed["result"]["items"] == [{"id": item_id, "UF_CRM_CLIENT_BUDGET": 900}]
    assert updated["result"]["item"]["UF_CRM_CLIENT_BUDGET"] == 950
    assert "ufCrmClientBudget" not in got["result"]["item"]
    assert fields["result"]["fields"]["UF_CRM_CLIENT_BUDGET"]["upperName"] == (
        "UF_CRM_CLIENT_BUDGET"
    )


def test_use_original_uf_names_n_keeps_camel_case(client, manager, budget):
    hook = make_webhook(manager)

    _, added = call(
        client,
        hook,
        "crm.item.add",
        {"entityTypeId": 1, "useOriginalUfNames": "N", "fields": {"title": "x"}},
    )

    assert "ufCrmClientBudget" in added["result"]["item"]
