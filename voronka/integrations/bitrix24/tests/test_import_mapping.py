"""The Bitrix24 import's conversions and its client, without a portal: values, stages,
multifields, product rows, user-field codes; paging, batches, retries and errors over a fake
transport."""

import json
from urllib.parse import parse_qs

import httpx
import pytest

from voronka.integrations.bitrix24.importer import mapping as M
from voronka.integrations.bitrix24.importer.client import (
    Bitrix24Client,
    PortalAuthError,
    PortalError,
    PortalUnreachable,
    Webhook,
    encode_query,
)
from voronka.integrations.bitrix24.importer.idmap import record_hash
from voronka.integrations.bitrix24.importer.report import Report
from voronka.sales.models import StageKind

URL = "https://crm.example.ru/rest/7/s3cr3tc0de/"

# --- mapping ------------------------------------------------------------------------------


def test_stage_codes_lose_the_pipeline_prefix():
    assert M.split_stage("C5:NEW") == (5, "NEW")
    assert M.split_stage("WON") == (0, "WON")
    assert M.stage_code("C12:PREPAYMENT_INVOICE") == "prepayment_invoice"
    assert M.stage_code("C3:Этап 1") == "1"


@pytest.mark.parametrize(
    ("row", "kind"),
    [
        ({"SEMANTICS": "S"}, StageKind.WON),
        ({"SEMANTICS": "F"}, StageKind.LOST),
        ({"SEMANTICS": None, "EXTRA": {"SEMANTICS": "apology"}}, StageKind.LOST),
        ({"SEMANTICS": None}, StageKind.OPEN),
        ({}, StageKind.OPEN),
    ],
)
def test_stage_semantics_become_the_kind(row, kind):
    assert M.stage_kind(row) == kind


def test_multifields_become_communications_and_bad_values_are_left_out():
    record = {
        "PHONE": [
            {"VALUE": "+7 (916) 123-45-67", "VALUE_TYPE": "MOBILE"},
            {"VALUE": "звонить секретарю", "VALUE_TYPE": "WORK"},
        ],
        "EMAIL": [{"VALUE": "a@b.ru", "VALUE_TYPE": "MAILING"}],
        "IM": [{"VALUE": "@client", "VALUE_TYPE": "TELEGRAM"}],
        "WEB": [{"VALUE": ""}],
    }

    items, dropped = M.communications(record)

    assert items == [
        {"kind": "phone", "value": "+7 (916) 123-45-67", "value_type": "mobile"},
        {"kind": "email", "value": "a@b.ru", "value_type": "other"},
        {"kind": "messenger", "value": "@client", "value_type": "telegram"},
    ]
    assert dropped == ["PHONE “звонить секретарю”"]


def test_forms_of_address_become_words():
    assert M.honorific("HNR_RU_1") == "г-н"
    assert M.honorific("Dr.") == "Dr."
    assert M.honorific(None) == ""


def test_money_and_dates_keep_their_values():
    assert M.money("15000.5") == "15000.50"
    assert M.money("") == "0.00"
    with pytest.raises(M.Problem):
        M.money("-1")
    assert M.day("2026-05-17T00:00:00+03:00") == "2026-05-17"
    assert M.day("") is None
    assert M.when("2026-05-17T10:30:00+03:00").startswith("2026-05-17T10:30:00")
    assert M.when("not a date") is None


def test_product_rows_keep_the_price_before_discount_with_vat_included():
    row = {
        "PRODUCT_NAME": "Монтаж",
        "PRICE": 9499.99,
        "PRICE_NETTO": 8333.33,
        "PRICE_BRUTTO": 9999.99,
        "QUANTITY": 2,
        "DISCOUNT_TYPE_ID": 2,
        "DISCOUNT_RATE": 5,
        "TAX_RATE": 20,
        "TAX_INCLUDED": "Y",
        "MEASURE_NAME": "час",
        "SORT": 20,
    }

    assert M.product_row(row, 0) == {
        "name": "Монтаж",
        "price": "9999.99",
        "quantity": "2",
        "discount_percent": "5.00",
        "tax_included": True,
        "tax_rate": "20.00",
        "unit": "час",
        "sort": 20,
    }


def test_a_discount_in_money_becomes_a_percent_and_vat_on_top_uses_the_net_price():
    row = {
        "PRODUCT_NAME": "Сервер",
        "PRICE_NETTO": 1000,
        "PRICE_BRUTTO": 1200,
        "DISCOUNT_TYPE_ID": 1,
        "DISCOUNT_SUM": 100,
        "TAX_RATE": 20,
        "TAX_INCLUDED": "N",
    }

    converted = M.product_row(row, 1)

    assert (converted["price"], converted["discount_percent"]) == ("1000.00", "10.00")
    assert converted["tax_included"] is False and converted["sort"] == 20
    assert converted["quantity"] == "1"


def test_user_field_codes_follow_the_portal_and_start_with_a_letter():
    assert M.field_code("UF_CRM_BUDGET_NOTE") == "budget_note"
    assert M.field_code("UF_CRM_1612345678") == "uf_1612345678"
    assert M.crm_link("CO_12") == ("company", "12")
    assert M.crm_link("D_5") == ("deal", "5")
    assert M.crm_link("12") is None


def test_a_payload_hash_ignores_key_order():
    assert record_hash({"a": 1, "b": [1, 2]}) == record_hash({"b": [1, 2], "a": 1})
    assert record_hash({"a": 1}) != record_hash({"a": 2})


def test_the_report_table_lists_counts_and_failures():
    report = Report(portal="crm.example.ru")
    stats = report.stats("deals", "Deals")
    stats.fetched, stats.created = 3, 2
    stats.fail("8", "its stage “X” was not imported")

    table = report.table()

    assert table.splitlines()[0].split() == [
        "Entity",
        "fetched",
        "created",
        "updated",
        "unchanged",
        "failed",
    ]
    assert table.splitlines()[2].split() == ["Deals", "3", "2", "0", "0", "1"]
    assert "#8: its stage “X” was not imported" in report.failures_text(5)


# --- the webhook and the client -----------------------------------------------------------


def test_the_webhook_is_shown_by_its_portal_never_by_its_token():
    webhook = Webhook.parse(URL)

    assert webhook.portal == "crm.example.ru" and webhook.user_id == 7
    assert webhook.base == URL
    assert "s3cr3tc0de" not in repr(webhook)
    with pytest.raises(ValueError, match="inbound webhook URL"):
        Webhook.parse("https://crm.example.ru/crm/")


def test_batch_commands_are_encoded_as_php_queries():
    query = encode_query(
        {"filter": {">ID": "$result[p0][49][ID]", "ENTITY_ID": 4}, "select": ["*", "UF_*"]}
    )

    assert parse_qs(query) == {
        "filter[>ID]": ["$result[p0][49][ID]"],
        "filter[ENTITY_ID]": ["4"],
        "select[0]": ["*"],
        "select[1]": ["UF_*"],
    }


def fake_portal(handler):
    calls = []

    def handle(request: httpx.Request) -> httpx.Response:
        method = request.url.path.rsplit("/", 1)[-1]
        body = json.loads(request.content or b"{}")
        calls.append((method, body))
        return handler(method, body, len(calls))

    return calls, httpx.MockTransport(handle)


def ok(result, **extra):
    return httpx.Response(200, json={"result": result, "time": {}, **extra})


def test_the_rate_limit_is_waited_out_with_back_off():
    waits = []

    def handler(method, body, number):
        if number <= 2:
            return httpx.Response(
                503, json={"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many"}
            )
        return ok({"ID": "7"})

    calls, transport = fake_portal(handler)
    client = Bitrix24Client(URL, transport=transport, sleep=waits.append, backoff=0.5)

    assert client.call("profile") == {"ID": "7"}
    assert waits == [0.5, 1.0] and len(calls) == 3


def test_a_refused_webhook_and_other_errors_name_no_token():
    def handler(method, body, number):
        if method == "profile":
            return httpx.Response(
                401, json={"error": "INVALID_CREDENTIALS", "error_description": "Invalid"}
            )
        return httpx.Response(400, json={"error": "", "error_description": "Access denied."})

    _calls, transport = fake_portal(handler)
    client = Bitrix24Client(URL, transport=transport, sleep=lambda s: None)

    with pytest.raises(PortalAuthError) as refused:
        client.call("profile")
    with pytest.raises(PortalError, match="Access denied") as other:
        client.call("crm.deal.list")
    assert "s3cr3tc0de" not in str(refused.value) + str(other.value)


def test_a_portal_that_does_not_answer_is_named_without_the_token():
    def handle(request):
        raise httpx.ConnectError(f"cannot connect to {request.url}")

    client = Bitrix24Client(
        URL, transport=httpx.MockTransport(handle), sleep=lambda s: None, retries=1
    )

    with pytest.raises(PortalUnreachable) as caught:
        client.call("profile")
    assert "crm.example.ru" in str(caught.value) and "s3cr3tc0de" not in str(caught.value)


def test_lists_are_read_by_id_in_chained_batches_until_a_short_page():
    rows = [{"ID": str(n)} for n in range(1, 121)]

    def handler(method, body, number):
        assert method == "batch"
        results = {}
        after = None
        for key, command in body["cmd"].items():
            query = parse_qs(command.split("?", 1)[1])
            assert query["start"] == ["-1"] and query["order[ID]"] == ["ASC"]
            bound = query.get("filter[>ID]", [""])[0]
            if bound.startswith("$result"):
                bound = after
            page = [r for r in rows if int(r["ID"]) > int(bound or 0)][:50]
            results[key] = page
            after = page[-1]["ID"] if len(page) == 50 else "999999"
        return ok({"result": results, "result_error": [], "result_total": [], "result_next": []})

    calls, transport = fake_portal(handler)
    client = Bitrix24Client(URL, transport=transport)

    pages = list(client.pages_by_id("crm.lead.list", {"select": ["ID"]}, pages_per_request=2))

    assert [len(page) for page in pages] == [50, 50, 20]
    assert [r["ID"] for page in pages for r in page] == [str(n) for n in range(1, 121)]
    assert len(calls) == 2


def test_lists_by_offset_follow_next():
    def handler(method, body, number):
        start = body["start"]
        page = [{"ID": str(n)} for n in range(start, min(start + 50, 70))]
        extra = {"total": 70}
        if start + 50 < 70:
            extra["next"] = start + 50
        return ok(page, **extra)

    calls, transport = fake_portal(handler)
    client = Bitrix24Client(URL, transport=transport)

    assert [len(p) for p in client.pages_by_offset("user.get")] == [50, 20]
    assert [body["start"] for _m, body in calls] == [0, 50]


def test_a_webhook_without_a_scope_stops_that_entity_only():
    def handler(method, body, number):
        return httpx.Response(
            401, json={"error": "insufficient_scope", "error_description": "higher privileges"}
        )

    _calls, transport = fake_portal(handler)
    client = Bitrix24Client(URL, transport=transport, sleep=lambda s: None)

    with pytest.raises(PortalError) as caught:
        client.call("user.get")
    assert not isinstance(caught.value, PortalAuthError)
    assert caught.value.code == "insufficient_scope"
