"""``crm.{lead,deal,contact,company}.userfield.*`` on our custom field definitions."""

import json

import pytest

from voronka.customization.models import CustomField, FieldType
from voronka.integrations.bitrix24.tests.conftest import make_webhook
from voronka.sales.tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def call(client, hook, name, payload):
    response = client.post(hook + name, json.dumps(payload), content_type="application/json")
    return response.status_code, response.json()


def test_userfield_add_creates_a_custom_field_the_card_methods_use(client, admin_user):
    hook = make_webhook(admin_user)

    status, added = call(
        client,
        hook,
        "crm.deal.userfield.add",
        {
            "fields": {
                "FIELD_NAME": "UF_CRM_BUDGET",
                "USER_TYPE_ID": "double",
                "EDIT_FORM_LABEL": {"ru": "Бюджет", "en": "Budget"},
                "MANDATORY": "N",
                "SORT": 150,
            }
        },
    )
    _, deal = call(
        client, hook, "crm.deal.add", {"fields": {"TITLE": "Budgeted", "UF_CRM_BUDGET": "1500.5"}}
    )
    _, read = call(client, hook, "crm.deal.get", {"id": deal["result"]})
    _, described = call(client, hook, "crm.deal.fields", {})

    definition = CustomField.objects.get(pk=added["result"])
    assert status == 200
    assert (definition.entity, definition.code, definition.label) == ("deal", "budget", "Бюджет")
    assert (definition.field_type, definition.sort) == (FieldType.DECIMAL, 150)
    assert float(read["result"]["UF_CRM_BUDGET"]) == 1500.5
    assert described["result"]["UF_CRM_BUDGET"]["type"] == "double"


def test_userfield_added_in_a_batch_is_usable_in_the_next_command(client, admin_user):
    hook = make_webhook(admin_user)

    _, answer = call(
        client,
        hook,
        "batch",
        {
            "halt": 1,
            "cmd": {
                "field": "crm.lead.userfield.add?fields[FIELD_NAME]=CITY"
                "&fields[USER_TYPE_ID]=string&fields[LABEL]=City",
                "lead": "crm.lead.add?fields[TITLE]=X&fields[UF_CRM_CITY]=Omsk",
                "read": "crm.lead.get?id=$result[lead]",
            },
        },
    )

    assert answer["result"]["result_error"] == []
    assert answer["result"]["result"]["read"]["UF_CRM_CITY"] == "Omsk"


def test_an_enumeration_keeps_its_items_and_default(client, admin_user):
    hook = make_webhook(admin_user)

    _, added = call(
        client,
        hook,
        "crm.lead.userfield.add",
        {
            "fields": {
                "FIELD_NAME": "REGION",
                "USER_TYPE_ID": "enumeration",
                "LABEL": "Регион",
                "LIST": [
                    {"VALUE": "Москва", "SORT": 10},
                    {"VALUE": "Урал", "SORT": 20, "DEF": "Y"},
                ],
            }
        },
    )
    _, got = call(client, hook, "crm.lead.userfield.get", {"id": added["result"]})
    items = got["result"]["LIST"]
    moscow = next(item for item in items if item["VALUE"] == "Москва")
    _, updated = call(
        client,
        hook,
        "crm.lead.userfield.update",
        {
            "id": added["result"],
            "fields": {
                "LIST": [
                    {"ID": moscow["ID"], "VALUE": "Москва и область"},
                    {"VALUE": "Сибирь"},
                ]
            },
        },
    )
    _, again = call(client, hook, "crm.lead.userfield.get", {"id": added["result"]})

    assert got["result"]["FIELD_NAME"] == "UF_CRM_REGION"
    assert got["result"]["USER_TYPE_ID"] == "enumeration"
    assert got["result"]["EDIT_FORM_LABEL"] == {"ru": "Регион", "en": "Регион"}
    assert [(item["VALUE"], item["DEF"]) for item in items] == [("Москва", "N"), ("Урал", "Y")]
    assert updated["result"] is True
    assert [item["VALUE"] for item in again["result"]["LIST"]] == [
        "Москва и область",
        "Урал",
        "Сибирь",
    ]
    assert again["result"]["LIST"][0]["ID"] == moscow["ID"]


def test_an_enumeration_item_chosen_on_a_card_is_not_removed(client, admin_user):
    hook = make_webhook(admin_user)
    _, added = call(
        client,
        hook,
        "crm.lead.userfield.add",
        {
            "fields": {
                "FIELD_NAME": "REGION",
                "USER_TYPE_ID": "enumeration",
                "LIST": [{"VALUE": "Москва"}, {"VALUE": "Урал"}],
            }
        },
    )
    option = CustomField.objects.get(pk=added["result"]).options[0]["id"]
    LeadFactory(custom_fields={"region": option})

    status, answer = call(
        client,
        hook,
        "crm.lead.userfield.update",
        {"id": added["result"], "fields": {"LIST": [{"ID": option, "DEL": "Y"}]}},
    )

    assert status == 400
    assert answer["error_description"].startswith("LIST:")


def test_userfield_list_filters_by_name_and_type(client, admin_user):
    hook = make_webhook(admin_user)
    for name, kind in (("CITY", "string"), ("SIZE", "integer"), ("NOTE", "string")):
        call(
            client,
            hook,
            "crm.company.userfield.add",
            {"fields": {"FIELD_NAME": name, "USER_TYPE_ID": kind}},
        )

    _, strings = call(
        client, hook, "crm.company.userfield.list", {"filter": {"USER_TYPE_ID": "string"}}
    )
    _, one = call(
        client, hook, "crm.company.userfield.list", {"filter": {"FIELD_NAME": "UF_CRM_SIZE"}}
    )
    _, other_entity = call(client, hook, "crm.contact.userfield.list", {})

    assert [row["FIELD_NAME"] for row in strings["result"]] == ["UF_CRM_CITY", "UF_CRM_NOTE"]
    assert strings["total"] == 2
    assert [(row["FIELD_NAME"], row["USER_TYPE_ID"]) for row in one["result"]] == [
        ("UF_CRM_SIZE", "integer")
    ]
    assert other_entity["result"] == []


def test_userfield_add_names_the_missing_or_invalid_field(client, admin_user):
    hook = make_webhook(admin_user)

    no_name = call(client, hook, "crm.lead.userfield.add", {"fields": {"USER_TYPE_ID": "string"}})
    bad_type = call(
        client,
        hook,
        "crm.lead.userfield.add",
        {"fields": {"FIELD_NAME": "UF_CRM_FILE", "USER_TYPE_ID": "file"}},
    )
    digits = call(
        client,
        hook,
        "crm.lead.userfield.add",
        {"fields": {"FIELD_NAME": "UF_CRM_1712345", "USER_TYPE_ID": "string"}},
    )

    assert no_name[0] == 400 and no_name[1]["error_description"].startswith("FIELD_NAME:")
    assert bad_type[0] == 400 and bad_type[1]["error_description"].startswith("USER_TYPE_ID:")
    assert digits[0] == 400 and digits[1]["error_description"].startswith("FIELD_NAME:")
    assert not CustomField.objects.exists()


def test_userfield_delete_removes_an_unused_field_and_retires_one_in_use(client, admin_user):
    hook = make_webhook(admin_user)
    ids = [
        call(
            client,
            hook,
            "crm.lead.userfield.add",
            {"fields": {"FIELD_NAME": name, "USER_TYPE_ID": "string"}},
        )[1]["result"]
        for name in ("UNUSED", "USED")
    ]
    LeadFactory(custom_fields={"used": "kept"})

    answers = [call(client, hook, "crm.lead.userfield.delete", {"id": pk})[1] for pk in ids]
    _, listed = call(client, hook, "crm.lead.userfield.list", {})
    missing = call(client, hook, "crm.lead.userfield.get", {"id": ids[1]})

    assert [answer["result"] for answer in answers] == [True, True]
    assert not CustomField.objects.filter(pk=ids[0]).exists()
    assert CustomField.objects.get(pk=ids[1]).is_active is False
    assert listed["result"] == []
    assert missing == (400, {"error": "", "error_description": "Not found"})


def test_a_field_of_another_entity_is_not_found(client, admin_user):
    definition = CustomField.objects.create(
        entity="deal", code="budget", label="Budget", field_type=FieldType.INTEGER
    )

    status, answer = call(
        client, make_webhook(admin_user), "crm.lead.userfield.get", {"id": definition.pk}
    )

    assert (status, answer["error_description"]) == (400, "Not found")


def test_a_managers_webhook_reads_user_fields_but_may_not_change_them(client, manager):
    definition = CustomField.objects.create(
        entity="lead", code="city", label="City", field_type=FieldType.STRING
    )
    hook = make_webhook(manager)

    _, listed = call(client, hook, "crm.lead.userfield.list", {})
    added = call(
        client,
        hook,
        "crm.lead.userfield.add",
        {"fields": {"FIELD_NAME": "MINE", "USER_TYPE_ID": "string"}},
    )
    deleted = call(client, hook, "crm.lead.userfield.delete", {"id": definition.pk})

    assert [row["FIELD_NAME"] for row in listed["result"]] == ["UF_CRM_CITY"]
    assert added == (400, {"error": "", "error_description": "Access denied."})
    assert deleted == (400, {"error": "", "error_description": "Access denied."})
    assert CustomField.objects.filter(pk=definition.pk, is_active=True).exists()


def test_user_field_methods_need_the_crm_scope(client, admin_user):
    status, answer = call(
        client,
        make_webhook(admin_user, scopes=["task"]),
        "crm.lead.userfield.add",
        {"fields": {"FIELD_NAME": "CITY", "USER_TYPE_ID": "string"}},
    )

    assert (status, answer["error"]) == (401, "insufficient_scope")
