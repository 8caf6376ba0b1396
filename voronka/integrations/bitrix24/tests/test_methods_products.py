"""``crm.{lead,deal}.productrows.*``: errors as Bitrix24 gives them."""

import json

import pytest

from voronka.integrations.bitrix24.tests.conftest import make_webhook
from voronka.sales.tests.factories import DealFactory

pytestmark = pytest.mark.django_db


def call(client, hook, name, payload):
    response = client.post(hook + name, json.dumps(payload), content_type="application/json")
    return response.status_code, response.json()


def test_a_wrong_discount_is_error_core_naming_the_rows(client, manager):
    deal = DealFactory(responsible=manager)

    status, answer = call(
        client,
        make_webhook(manager),
        "crm.deal.productrows.set",
        {"id": deal.pk, "rows": [{"PRODUCT_NAME": "Install", "PRICE": 100, "DISCOUNT_RATE": 150}]},
    )

    assert (status, answer["error"]) == (400, "ERROR_CORE")
    assert answer["error_description"].startswith("rows:")
    assert not deal.product_rows.exists()


def test_rows_of_a_hidden_deal_are_not_found(client, manager, other_manager):
    deal = DealFactory(responsible=other_manager)
    hook = make_webhook(manager)

    got = call(client, hook, "crm.deal.productrows.get", {"id": deal.pk})
    put = call(client, hook, "crm.deal.productrows.set", {"id": deal.pk, "rows": []})

    assert got == put == (400, {"error": "", "error_description": "Not found"})
