"""Fast in-process tests of parameter decoding, batch references, mapping and filters."""

import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Q

from voronka.customization.models import CustomField, FieldType
from voronka.integrations.bitrix24 import entities as E
from voronka.integrations.bitrix24 import registry
from voronka.integrations.bitrix24.batch import substitute
from voronka.integrations.bitrix24.params import as_list, parse_json, parse_query, to_bool
from voronka.integrations.bitrix24.responses import Page, php_shape
from voronka.integrations.bitrix24.tests.conftest import make_webhook
from voronka.integrations.bitrix24.values import classic, native
from voronka.sales.models import Lead


def test_php_brackets_nest_append_and_decode_keys_first():
    params = parse_query(
        "filter%5B%3EID%5D=5&select[]=ID&select[]=TITLE&fields[PHONE][0][VALUE]=%2B7+916"
        "&fields[PHONE][0][VALUE_TYPE]=WORK&x[1]=b&x[0]=a&empty="
    )

    assert params["filter"] == {">ID": "5"}
    assert as_list(params["select"]) == ["ID", "TITLE"]
    assert params["fields"]["PHONE"]["0"] == {"VALUE": "+7 916", "VALUE_TYPE": "WORK"}
    assert as_list(params["x"]) == ["a", "b"]
    assert params["empty"] == ""


def test_a_json_array_body_is_positional():
    assert parse_json(b'[123, {"POST_MESSAGE": "Hi"}]') == {"0": 123, "1": {"POST_MESSAGE": "Hi"}}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Y", True),
        ("N", False),
        ("1", True),
        ("0", False),
        ("True", True),
        ("false", False),
        (True, True),
        ("None", False),
        ("", False),
    ],
)
def test_booleans_in_every_spelling(value, expected):
    assert to_bool(value) is expected


def test_result_references_resolve_paths_and_unresolvable_ones_become_empty():
    results = {"one": Page([{"ID": "119"}, {"ID": "120"}], total=2), "3": [{"ID": 50}] * 50}

    assert substitute("$result[one][0][ID]", results) == "119"
    assert substitute({"filter": {">ID": "$result[3][49][ID]"}}, results) == {"filter": {">ID": 50}}
    assert substitute("id=$result[one][1][ID]!", results) == "id=120!"
    assert substitute("$result[missing][0]", results) == ""
    assert substitute("$result[one][7][ID]", results) == ""


def test_php_shape_turns_empty_maps_into_lists():
    assert php_shape({"a": {}, "b": [{}]}) == {"a": [], "b": [[]]}


def test_classic_values_are_strings_and_item_values_native():
    assert classic(Decimal("12500"), "double") == "12500.00"
    assert classic(5, "integer") == "5"
    assert classic(True, "char") == "Y"
    assert classic(None, "date") == ""
    assert native(Decimal("12500.00"), "double") == 12500
    assert native(Decimal("10.5"), "double") == 10.5


def test_filter_prefixes_build_one_orm_condition(db):
    kind = E.KINDS[E.LEAD]

    condition = E.build_filter(
        kind,
        {">=ID": "5", "!TITLE": "x", "%NAME": "ann", "@ASSIGNED_BY_ID": ["1", "2"], "BOGUS": 1},
    )

    assert condition == (
        Q(pk__gte=5) & ~Q(title="x") & Q(first_name__icontains="ann") & Q(responsible_id__in=[1, 2])
    )
    assert E.build_order(kind, {"DATE_CREATE": "desc", "id": "ASC"}) == ["-created_at", "pk"]


def test_method_names_are_case_insensitive_and_unknown_ones_404(db, manager):
    ctx = registry.Context(user=manager, scopes=frozenset({"crm"}))

    assert registry.call(ctx, "PROFILE", {})["ID"] == str(manager.pk)
    with pytest.raises(registry.B24Error) as error:
        registry.call(ctx, "crm.nothing", {})
    assert (error.value.status, error.value.code) == (404, "ERROR_METHOD_NOT_FOUND")


def test_an_unexpected_error_answers_the_internal_error_envelope(client, manager, monkeypatch):
    def broken(ctx, params):
        raise RuntimeError("boom")

    monkeypatch.setitem(
        registry.REGISTRY, "test.broken", registry.Method("test.broken", broken, "basic", "other")
    )

    response = client.get(make_webhook(manager) + "test.broken")

    assert response.status_code == 500
    assert response.json() == {
        "error": "INTERNAL_SERVER_ERROR",
        "error_description": "Internal server error",
    }


def test_custom_fields_are_uf_crm_fields(client, manager):
    CustomField.objects.create(
        entity="lead", code="budget_code", label="Budget code", field_type=FieldType.STRING
    )
    hook = make_webhook(manager)

    created = client.post(
        hook + "crm.lead.add",
        json.dumps({"fields": {"TITLE": "With UF", "UF_CRM_BUDGET_CODE": "B-17"}}),
        content_type="application/json",
    ).json()["result"]
    fields = client.get(hook + "crm.lead.fields").json()["result"]
    got = client.get(hook + f"crm.lead.get?id={created}").json()["result"]
    item = client.get(hook + f"crm.item.get?entityTypeId=1&id={created}").json()["result"]["item"]

    assert Lead.objects.get(pk=created).custom_fields == {"budget_code": "B-17"}
    assert fields["UF_CRM_BUDGET_CODE"]["isDynamic"] is True
    assert fields["UF_CRM_BUDGET_CODE"]["listLabel"] == "Budget code"
    assert got["UF_CRM_BUDGET_CODE"] == "B-17"
    assert item["ufCrmBudgetCode"] == "B-17"


def test_multifields_add_edit_and_delete_by_id(client, manager):
    hook = make_webhook(manager)
    created = client.post(
        hook + "crm.contact.add",
        json.dumps(
            {
                "fields": {
                    "NAME": "Ivan",
                    "PHONE": [{"VALUE": "+7 916 111-11-11"}],
                    "EMAIL": [{"VALUE": "ivan@example.com", "VALUE_TYPE": "HOME"}],
                }
            }
        ),
        content_type="application/json",
    ).json()["result"]
    phone = client.get(hook + f"crm.contact.get?id={created}").json()["result"]["PHONE"][0]

    client.post(
        hook + "crm.contact.update",
        json.dumps(
            {
                "id": created,
                "fields": {
                    "PHONE": [
                        {"ID": phone["ID"], "DELETE": "Y"},
                        {"VALUE": "+7 916 222-22-22", "VALUE_TYPE": "MOBILE"},
                    ]
                },
            }
        ),
        content_type="application/json",
    )
    got = client.get(hook + f"crm.contact.get?id={created}").json()["result"]

    assert [(p["VALUE"], p["VALUE_TYPE"]) for p in got["PHONE"]] == [("+7 916 222-22-22", "MOBILE")]
    assert [(e["VALUE"], e["VALUE_TYPE"]) for e in got["EMAIL"]] == [("ivan@example.com", "HOME")]


def test_create_webhook_prints_a_ready_url(manager, capsys):
    call_command("create_webhook", manager.username, "--scope", "crm,telephony")

    url = capsys.readouterr().out.strip()
    assert url.startswith(f"http://127.0.0.1:8000/rest/{manager.pk}/vrn_")
    assert url.endswith("/")


def test_events_to_private_addresses_are_refused_unless_allowed(manager, settings):
    from voronka.integrations.bitrix24.delivery import deliver
    from voronka.integrations.bitrix24.models import EventBinding
    from voronka.integrations.bitrix24.tests.test_clients import Receiver

    receiver = Receiver()
    binding = EventBinding.objects.create(
        event="ONCRMLEADADD", handler=receiver.url, user=manager, application_token="t"
    )
    try:
        settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
        assert deliver(binding, "ONCRMLEADADD", {"ID": 1}) is None
        settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
        assert deliver(binding, "ONCRMLEADADD", {"ID": 1}) == 200
    finally:
        receiver.stop()
    assert len(receiver.received) == 1
