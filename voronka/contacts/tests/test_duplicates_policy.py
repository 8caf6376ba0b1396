"""The duplicate policy of contacts and companies on every path that writes them: the services,
the web forms and card sections, the REST API and the Bitrix24-compatible API."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from voronka.access.models import AuditEvent
from voronka.api.tests.conftest import client_for
from voronka.contacts.duplicates import DuplicatesFound, check_duplicates, policy_for
from voronka.contacts.duplicates.policy import policies_cached
from voronka.contacts.models import Company, Contact, DuplicatePolicy
from voronka.contacts.services import (
    company_create,
    company_update,
    contact_create,
    contact_update,
)
from voronka.contacts.tests.factories import make_inn, make_kpp
from voronka.integrations.bitrix24.tests.conftest import make_webhook
from voronka.timeline.models import TimelineEntry

pytestmark = pytest.mark.django_db

PHONE = [{"kind": "phone", "value": "+7 (912) 345-67-89"}]


def set_policy(entity, mode, rules=()):
    DuplicatePolicy.objects.update_or_create(
        entity=entity, defaults={"mode": mode, "rules": list(rules)}
    )


def ivanov(actor, **kwargs):
    return contact_create(
        actor=actor,
        data={"last_name": "Иванов", "first_name": "Пётр"},
        communications=PHONE,
        **kwargs,
    )


def duplicates_entries(card):
    return TimelineEntry.objects.filter(
        card_type__model=card._meta.model_name, card_id=card.pk, kind="duplicates"
    )


# --- services ------------------------------------------------------------------------------


def test_services_keep_the_name_and_title_keys(manager):
    contact = ivanov(manager)
    assert contact.name_key == "ivanov petr"
    contact = contact_update(actor=manager, contact=contact, data={"first_name": "Павел"})
    assert Contact.objects.get(pk=contact.pk).name_key == "ivanov pavel"
    company = company_create(actor=manager, data={"title": 'ООО "Ромашка"'})
    assert company.title_key == "romashka"
    company_update(actor=manager, company=company, data={"title": "Лютик ООО"})
    assert Company.objects.get(pk=company.pk).title_key == "liutik"


def test_warn_records_the_duplicate_on_the_new_card_and_in_the_audit(manager):
    first = ivanov(manager)
    second = contact_create(
        actor=manager,
        data={"last_name": "Петрова", "first_name": "Анна"},
        communications=[{"kind": "phone", "value": "8 912 345 67 89"}],
    )
    entry = duplicates_entries(second).get()
    assert entry.text == "Created despite possible duplicates"
    assert entry.payload["matches"] == [
        {"entity": "contact", "id": first.pk, "rule": "phone", "score": 100}
    ]
    audit = AuditEvent.objects.get(action="duplicates.accepted")
    assert audit.object_id == str(second.pk) and audit.actor == manager
    assert not duplicates_entries(first).exists()


def test_warn_asks_when_asked_and_writes_nothing(manager):
    first = ivanov(manager)
    with pytest.raises(DuplicatesFound) as found:
        ivanov(manager, on_duplicate="ask")
    assert [(m.card_id, m.rule) for m in found.value.matches] == [(first.pk, "person")]
    assert found.value.notices[0].visible
    assert Contact.objects.count() == 1


def test_block_names_the_field_and_the_card(manager):
    set_policy("contact", "block")
    first = ivanov(manager)
    with pytest.raises(ValidationError) as error:
        contact_create(
            actor=manager,
            data={"last_name": "Петрова"},
            communications=[{"kind": "phone", "value": "9123456789"}],
        )
    assert error.value.message_dict == {
        "communications": [f"A contact with this phone already exists: Иванов Пётр (#{first.pk})"]
    }
    assert Contact.objects.count() == 1


def test_allow_looks_nothing_up(manager, django_assert_num_queries):
    set_policy("contact", "allow")
    ivanov(manager)
    with django_assert_num_queries(1):  # the policy
        assert check_duplicates("contact", {"phones": ["9123456789"]}, actor=manager) == []


def test_a_match_the_actor_may_not_see_blocks_without_its_data(manager, other_manager):
    set_policy("contact", "block")
    ivanov(other_manager)  # Manager role: the manager does not see it
    with pytest.raises(ValidationError) as error:
        contact_create(actor=manager, data={"last_name": "Петрова"}, communications=PHONE)
    message = error.value.message_dict["communications"][0]
    assert "Иванов" not in message
    assert message == (
        "A contact with this phone already exists: a card you have no access to, "
        f"responsible: {other_manager.get_full_name() or other_manager.username}"
    )


def test_the_system_is_blocked_too(manager):
    set_policy("contact", "block")
    ivanov(manager)
    with pytest.raises(ValidationError):
        contact_create(
            actor=None,
            data={"last_name": "Петрова", "responsible": manager},
            communications=PHONE,
        )


def test_an_edit_checks_only_what_it_adds(manager):
    set_policy("contact", "block")
    first = ivanov(manager)
    # Written before the policy blocked: the two share a phone already.
    set_policy("contact", "allow")
    second = contact_create(actor=manager, data={"last_name": "Петрова"}, communications=PHONE)
    set_policy("contact", "block")
    # An edit that adds nothing to compare passes, as does one adding a new phone.
    contact_update(actor=manager, contact=second, data={"position": "Бухгалтер"})
    contact_update(
        actor=manager,
        contact=second,
        data={},
        communications=[*PHONE, {"kind": "phone", "value": "+7 912 000-00-01"}],
    )
    # Taking the other contact's e-mail is blocked; the contact itself never counts.
    contact_update(
        actor=manager,
        contact=first,
        data={},
        communications=[*PHONE, {"kind": "email", "value": "ivanov@mail.ru"}],
    )
    with pytest.raises(ValidationError) as error:
        contact_update(
            actor=manager,
            contact=second,
            data={},
            communications=[{"kind": "email", "value": "IVANOV@Mail.ru "}],
        )
    assert "e-mail" in error.value.message_dict["communications"][0]


def test_company_inn_and_kpp_rules(manager):
    set_policy("company", "block", ["inn_kpp"])
    inn = make_inn(5)
    head_office = company_create(
        actor=manager, data={"title": "Ромашка", "inn": inn, "kpp": make_kpp(inn)}
    )
    # A branch: same INN, its own KPP.
    branch = company_create(
        actor=manager, data={"title": "Ромашка, филиал", "inn": inn, "kpp": inn[:4] + "02001"}
    )
    with pytest.raises(ValidationError) as error:
        company_update(actor=manager, company=branch, data={"kpp": make_kpp(inn)})
    assert error.value.message_dict == {
        "inn": [f"A company with this INN and KPP already exists: Ромашка (#{head_office.pk})"]
    }


def test_company_name_variants_are_blocked(manager):
    set_policy("company", "block")
    company_create(actor=manager, data={"title": "ООО «Ромашка»"})
    for title in ("Ромашка ООО", "Romashka LLC"):
        with pytest.raises(ValidationError) as error:
            company_create(actor=manager, data={"title": title})
        assert "title" in error.value.message_dict
    company_create(actor=manager, data={"title": "Ромашка-2"})  # a numbered one is another


def test_policy_is_read_once_inside_a_cached_block(manager, django_assert_num_queries):
    with policies_cached():
        policy_for("contact")
        with django_assert_num_queries(0):
            assert policy_for("contact").mode == "warn"


def test_a_create_costs_the_same_queries_among_few_or_many_contacts(
    manager, django_assert_num_queries
):
    ivanov(manager)
    data = {"last_name": "Петрова", "first_name": "Анна"}
    items = [{"kind": "phone", "value": "+7 912 345-67-80"}]
    # The duplicate check costs two of these (the policy and the communications index), the
    # client settings one (whether a contact without a company gets a family).
    with django_assert_num_queries(14):
        contact_create(actor=manager, data=data, communications=items)
    Contact.objects.bulk_create(
        Contact(last_name=f"Контакт {n}", name_key=f"kontakt {n}", responsible=manager)
        for n in range(2000)
    )
    items = [{"kind": "phone", "value": "+7 912 345-67-81"}]
    with django_assert_num_queries(14):
        contact_create(actor=manager, data=data, communications=items)


# --- web forms and sections ----------------------------------------------------------------


def test_create_form_warns_with_links_and_creates_anyway(client, manager):
    first = ivanov(manager)
    client.force_login(manager)
    form = {"last_name": "Петрова", "first_name": "Анна", "phone": "8 912 345 67 89"}
    response = client.post(reverse("contacts:contact_create"), form)
    assert response.status_code == 422
    page = response.content.decode()
    assert "This may be a duplicate of an existing card" in page
    assert reverse("contacts:contact_detail", args=[first.pk]) in page
    assert 'name="duplicates_confirmed"' in page
    assert Contact.objects.count() == 1

    response = client.post(
        reverse("contacts:contact_create"), {**form, "duplicates_confirmed": "1"}
    )
    assert response.status_code == 302
    created = Contact.objects.exclude(pk=first.pk).get()
    assert duplicates_entries(created).exists()
    # The timeline shows the decision with a link to the match.
    feed = client.get(reverse("contacts:contact_detail", args=[created.pk])).content.decode()
    assert "Created despite possible duplicates" in feed


def test_create_form_shows_a_block_at_the_field(client, manager):
    set_policy("company", "block")
    inn = make_inn(9)
    existing = company_create(
        actor=manager, data={"title": "Лютик", "inn": inn, "kpp": make_kpp(inn)}
    )
    client.force_login(manager)
    response = client.post(
        reverse("contacts:company_create"),
        {
            "title": "Совсем другая",
            "company_type": "legal_entity",
            "inn": inn,
            "kpp": make_kpp(inn),
        },
    )
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert errors["inn"] == [
        f"A company with this INN and KPP already exists: Лютик (#{existing.pk})"
    ]
    assert Company.objects.count() == 1


def test_card_section_edit_warns_and_saves_anyway(client, manager):
    inn = make_inn(11)
    company_create(actor=manager, data={"title": "Лютик", "inn": inn, "kpp": make_kpp(inn)})
    other = company_create(actor=manager, data={"title": "Василёк"})
    client.force_login(manager)
    url = reverse("contacts:company_section_requisites", args=[other.pk])
    form = {
        "company_type": "legal_entity",
        "inn": inn,
        "kpp": make_kpp(inn),
        "version": other.version,
    }
    response = client.post(url, form, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert "Save anyway" in response.content.decode()
    assert Company.objects.get(pk=other.pk).inn == ""
    response = client.post(url, {**form, "duplicates_confirmed": "1"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200, response.content.decode()
    assert Company.objects.get(pk=other.pk).inn == inn
    assert duplicates_entries(other).get().payload["created"] is False


def test_communications_section_warns(client, manager):
    ivanov(manager)
    other = contact_create(actor=manager, data={"last_name": "Петрова"})
    client.force_login(manager)
    url = reverse("contacts:contact_section_communications", args=[other.pk])
    response = client.post(
        url,
        {
            "communications-TOTAL_FORMS": "1",
            "communications-INITIAL_FORMS": "0",
            "communications-0-kind": "phone",
            "communications-0-value_type": "work",
            "communications-0-value": "89123456789",
            "version": other.version,
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422, response.content.decode()
    assert "Иванов Пётр" in response.content.decode()


# --- REST API ------------------------------------------------------------------------------


def test_api_records_by_default_and_asks_when_told(manager):
    first = ivanov(manager)
    api = client_for(manager)
    payload = {"last_name": "Петрова", "communications": PHONE}
    asked = api.post("/api/v1/contacts/", {**payload, "on_duplicate": "ask"}, format="json")
    assert asked.status_code == 409
    body = asked.json()
    assert body["code"] == "duplicates"
    assert body["matches"][0] | {"message": ""} == {
        "entity": "contact",
        "id": first.pk,
        "title": "Иванов Пётр",
        "rule": "phone",
        "score": 100,
        "value": "+79123456789",
        "visible": True,
        "responsible": manager.get_full_name() or manager.username,
        "message": "",
    }
    header = api.post("/api/v1/contacts/", payload, format="json", HTTP_X_ON_DUPLICATE="ask")
    assert header.status_code == 409
    assert Contact.objects.count() == 1
    created = api.post("/api/v1/contacts/", payload, format="json")
    assert created.status_code == 201
    assert duplicates_entries(Contact.objects.get(pk=created.json()["id"])).exists()
    wrong = api.post("/api/v1/contacts/", {**payload, "on_duplicate": "maybe"}, format="json")
    assert wrong.status_code == 400


def test_api_block_is_400_naming_the_field(manager):
    set_policy("company", "block")
    existing = company_create(actor=manager, data={"title": "ООО «Ромашка»"})
    api = client_for(manager)
    response = api.post("/api/v1/companies/", {"title": "Romashka LLC"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["errors"] == {
        "title": [f"A company with a similar name already exists: ООО «Ромашка» (#{existing.pk})"]
    }
    assert body["matches"][0]["id"] == existing.pk


def test_api_update_with_a_taken_phone_is_asked(manager):
    ivanov(manager)
    other = contact_create(actor=manager, data={"last_name": "Петрова"})
    response = client_for(manager).patch(
        f"/api/v1/contacts/{other.pk}/",
        {"communications": PHONE, "on_duplicate": "ask"},
        format="json",
    )
    assert response.status_code == 409


# --- Bitrix24-compatible API ---------------------------------------------------------------


def test_bitrix24_contact_add_is_blocked(client, manager):
    set_policy("contact", "block")
    ivanov(manager)
    hook = make_webhook(manager)
    response = client.post(
        hook + "crm.contact.add",
        json.dumps({"fields": {"NAME": "Анна", "PHONE": [{"VALUE": "8 912 345 67 89"}]}}),
        content_type="application/json",
    )
    assert response.status_code == 400, response.content.decode()
    assert "already exists" in response.content.decode()
    assert Contact.objects.count() == 1


def test_bitrix24_contact_add_under_warn_records(client, manager):
    ivanov(manager)
    hook = make_webhook(manager)
    response = client.post(
        hook + "crm.contact.add",
        json.dumps({"fields": {"NAME": "Анна", "PHONE": [{"VALUE": "8 912 345 67 89"}]}}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content.decode()
    created = Contact.objects.get(pk=response.json()["result"])
    assert duplicates_entries(created).exists()
