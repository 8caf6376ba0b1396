"""Duplicate control already at the lead stage: creating and editing leads, converting them (by
hand and by a robot), the lead form, the lead card, the REST and Bitrix24-compatible APIs."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from voronka.api.tests.conftest import client_for
from voronka.automation.models import RobotRun, RunStatus
from voronka.automation.services import run_due_runs
from voronka.automation.tests.factories import RobotFactory
from voronka.contacts.duplicates import DuplicatesFound
from voronka.contacts.models import Company, Contact, DuplicatePolicy
from voronka.contacts.services import company_create, contact_create
from voronka.integrations.bitrix24.tests.conftest import make_webhook
from voronka.sales.models import Lead
from voronka.sales.selectors.cards import conversion_matches
from voronka.sales.services import lead_convert, lead_create, lead_update
from voronka.sales.tests.factories import stage_of
from voronka.timeline.models import TimelineEntry

pytestmark = pytest.mark.django_db

PHONE = [{"kind": "phone", "value": "+7 (912) 345-67-89"}]


def required_fields(user):
    """The lead form's always required fields."""
    return {"currency": "RUB", "responsible": user.pk}


def set_policy(entity, mode, rules=()):
    DuplicatePolicy.objects.update_or_create(
        entity=entity, defaults={"mode": mode, "rules": list(rules)}
    )


def ivanov(actor):
    return contact_create(
        actor=actor, data={"last_name": "Иванов", "first_name": "Пётр"}, communications=PHONE
    )


def recorded(card):
    return TimelineEntry.objects.filter(
        card_type__model=card._meta.model_name, card_id=card.pk, kind="duplicates"
    )


def test_a_lead_with_a_contacts_phone_is_blocked(manager, lead_pipeline):
    set_policy("lead", "block")
    contact = ivanov(manager)
    with pytest.raises(ValidationError) as error:
        lead_create(
            actor=manager,
            data={"last_name": "Петрова"},
            communications=[{"kind": "phone", "value": "8 912 345 67 89"}],
        )
    assert error.value.message_dict == {
        "communications": [f"A contact with this phone already exists: Иванов Пётр (#{contact.pk})"]
    }
    assert not Lead.objects.exists()


def test_a_lead_in_latin_with_the_same_phone_is_the_same_person(manager, lead_pipeline):
    contact = ivanov(manager)
    with pytest.raises(DuplicatesFound) as found:
        lead_create(
            actor=manager,
            data={"last_name": "Ivanov", "first_name": "Petr"},
            communications=[{"kind": "phone", "value": "9123456789"}],
            on_duplicate="ask",
        )
    assert [(m.entity, m.card_id, m.rule) for m in found.value.matches] == [
        ("contact", contact.pk, "person")
    ]


def test_a_lead_named_like_a_company_is_recorded(manager, lead_pipeline):
    company = company_create(actor=manager, data={"title": "ООО «Ромашка»"})
    lead = lead_create(actor=manager, data={"company_title": "Romashka LLC"})
    assert recorded(lead).get().payload["matches"] == [
        {"entity": "company", "id": company.pk, "rule": "company_name", "score": 100}
    ]


def test_a_lead_is_compared_with_other_leads(manager, lead_pipeline):
    first = lead_create(actor=manager, data={"last_name": "Петрова"}, communications=PHONE)
    second = lead_create(actor=manager, data={"last_name": "Сидорова"}, communications=PHONE)
    assert recorded(second).get().payload["matches"][0]["id"] == first.pk


def test_editing_a_lead_checks_what_it_adds_without_itself(manager, lead_pipeline):
    set_policy("lead", "block")
    lead = lead_create(actor=manager, data={"last_name": "Петрова"}, communications=PHONE)
    lead_update(actor=manager, lead=lead, data={"comment": "Перезвонить"})
    lead_update(actor=manager, lead=lead, data={}, communications=PHONE)
    contact = contact_create(
        actor=manager,
        data={"last_name": "Котова"},
        communications=[{"kind": "email", "value": "kotova@client.ru"}],
    )
    with pytest.raises(ValidationError) as error:
        lead_update(
            actor=manager,
            lead=lead,
            data={},
            communications=[*PHONE, {"kind": "email", "value": "Kotova@Client.ru"}],
        )
    assert f"(#{contact.pk})" in error.value.message_dict["communications"][0]


def test_a_create_costs_the_same_queries_among_few_or_many_leads(
    manager, lead_pipeline, django_assert_num_queries
):
    lead_create(actor=manager, data={"last_name": "Петрова"}, communications=PHONE)
    data = {"last_name": "Сидорова", "company_title": "Лютик"}

    def create(n):
        return lead_create(
            actor=manager,
            data=data,
            communications=[{"kind": "phone", "value": f"+7 912 345-67-{n}"}],
        )

    create(10)  # the first lead of a test warms the caches of content types and stages
    # Of these the duplicate check costs five: the policy, the communications index and three
    # ranges of the company name key index.
    with django_assert_num_queries(24):
        create(11)
    Company.objects.bulk_create(
        Company(title=f"Лютик {n}", title_key=f"liutik {n}", responsible=manager)
        for n in range(3000)
    )
    with django_assert_num_queries(24):
        create(12)


# --- conversion ----------------------------------------------------------------------------


def test_conversion_does_not_count_the_lead_itself(manager, lead_pipeline, deal_pipeline):
    set_policy("contact", "block")
    set_policy("company", "block")
    lead = lead_create(
        actor=manager,
        data={"last_name": "Петрова", "company_title": "Лютик"},
        communications=PHONE,
    )
    result = lead_convert(actor=manager, lead=lead, pipelines=[deal_pipeline])
    assert result.contact.name_key == "petrova"
    assert result.company.title_key == "liutik"


def test_conversion_creating_a_duplicate_contact_is_blocked(manager, lead_pipeline, deal_pipeline):
    set_policy("contact", "block")
    contact = ivanov(manager)
    set_policy("lead", "allow")
    lead = lead_create(actor=manager, data={"last_name": "Петрова"}, communications=PHONE)
    with pytest.raises(ValidationError) as error:
        lead_convert(actor=manager, lead=lead, pipelines=[deal_pipeline], create_company=False)
    assert error.value.message_dict["contact"] == [
        f"communications: A contact with this phone already exists: Иванов Пётр (#{contact.pk})"
    ]
    assert Lead.objects.get(pk=lead.pk).converted_at is None
    # Converting into the existing contact is the way.
    lead_convert(actor=manager, lead=lead, pipelines=[deal_pipeline], contact=contact)


def test_conversion_under_warn_records_on_the_new_contact(manager, lead_pipeline, deal_pipeline):
    ivanov(manager)
    lead = lead_create(actor=manager, data={"last_name": "Петрова"}, communications=PHONE)
    result = lead_convert(actor=manager, lead=lead, pipelines=[deal_pipeline])
    assert recorded(result.contact).exists()


def test_conversion_matches_come_from_duplicate_search(manager, lead_pipeline):
    contact = ivanov(manager)
    company = company_create(actor=manager, data={"title": "ООО «Ромашка»"})
    lead = lead_create(
        actor=manager,
        data={"last_name": "Ivanov", "first_name": "Petr", "company_title": "Ромашка ООО"},
        communications=[{"kind": "phone", "value": "89123456789"}],
    )
    contacts, companies = conversion_matches(user=manager, lead=lead)
    assert contacts == [contact] and companies == [company]


def test_a_robot_converting_into_a_duplicate_fails_under_block(
    manager, lead_pipeline, deal_pipeline
):
    set_policy("contact", "block")
    ivanov(manager)
    set_policy("lead", "allow")
    RobotFactory(
        stage=stage_of(lead_pipeline, "new"),
        action="convert_lead",
        params={"pipelines": [deal_pipeline.pk], "always_new": True},
    )
    lead = lead_create(actor=manager, data={"last_name": "Петрова"}, communications=PHONE)
    run_due_runs(worker_id="test")
    run = RobotRun.objects.get(card_id=lead.pk)
    assert run.status == RunStatus.FAILED
    assert "already exists" in run.outcome
    assert Contact.objects.count() == 1


def test_a_robot_converting_under_warn_records(manager, lead_pipeline, deal_pipeline):
    ivanov(manager)
    RobotFactory(
        stage=stage_of(lead_pipeline, "new"),
        action="convert_lead",
        params={"pipelines": [deal_pipeline.pk], "always_new": True},
    )
    lead = lead_create(actor=manager, data={"last_name": "Петрова"}, communications=PHONE)
    run_due_runs(worker_id="test")
    assert RobotRun.objects.get(card_id=lead.pk).status == RunStatus.DONE
    assert recorded(Lead.objects.get(pk=lead.pk).contact).exists()


# --- the lead form and card ----------------------------------------------------------------


def test_lead_form_warns_and_creates_anyway(client, manager, lead_pipeline):
    contact = ivanov(manager)
    client.force_login(manager)
    form = {"last_name": "Петрова", "phone": "8 912 345 67 89", **required_fields(manager)}
    response = client.post(reverse("sales:lead_create"), form, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    page = response.content.decode()
    assert reverse("contacts:contact_detail", args=[contact.pk]) in page
    assert "Create anyway" in page
    assert not Lead.objects.exists()
    response = client.post(
        reverse("sales:lead_create"), {**form, "duplicates_confirmed": "1"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and response["HX-Redirect"]
    assert recorded(Lead.objects.get()).exists()


def test_lead_form_shows_a_block_at_the_phone(client, manager, lead_pipeline):
    set_policy("lead", "block")
    ivanov(manager)
    client.force_login(manager)
    response = client.post(
        reverse("sales:lead_create"),
        {"last_name": "Петрова", "phone": "9123456789", **required_fields(manager)},
    )
    assert response.status_code == 422
    assert "A contact with this phone already exists" in response.context["form"].errors["phone"][0]


def test_lead_form_hides_a_match_the_user_may_not_see(
    client, manager, other_manager, lead_pipeline
):
    hidden = ivanov(other_manager)
    client.force_login(manager)
    response = client.post(
        reverse("sales:lead_create"),
        {"last_name": "Петрова", "phone": "9123456789", **required_fields(manager)},
    )
    page = response.content.decode()
    assert response.status_code == 422
    assert "a card you have no access to" in page
    assert "Иванов" not in page
    assert reverse("contacts:contact_detail", args=[hidden.pk]) not in page


def test_lead_card_person_section_warns(client, manager, lead_pipeline):
    ivanov(manager)
    lead = lead_create(actor=manager, data={"last_name": "Петрова"})
    client.force_login(manager)
    url = reverse("sales:lead_section", args=[lead.pk, "person"])
    response = client.post(
        url,
        {
            "last_name": "Петрова",
            "comm_kind": ["phone"],
            "comm_type": ["work"],
            "comm_value": ["9123456789"],
            "version": lead.version,
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422, response.content.decode()
    assert "Save anyway" in response.content.decode()


# --- APIs ----------------------------------------------------------------------------------


def test_rest_api_asks_for_leads(manager, lead_pipeline):
    ivanov(manager)
    api = client_for(manager)
    payload = {"last_name": "Петрова", "communications": PHONE}
    response = api.post("/api/v1/leads/", {**payload, "on_duplicate": "ask"}, format="json")
    assert response.status_code == 409
    assert response.json()["matches"][0]["entity"] == "contact"
    assert api.post("/api/v1/leads/", payload, format="json").status_code == 201


def test_bitrix24_lead_add_is_blocked(client, manager, lead_pipeline):
    set_policy("lead", "block")
    ivanov(manager)
    response = client.post(
        make_webhook(manager) + "crm.lead.add",
        json.dumps({"fields": {"TITLE": "Заявка", "PHONE": [{"VALUE": "8 912 345 67 89"}]}}),
        content_type="application/json",
    )
    assert response.status_code == 400, response.content.decode()
    assert not Lead.objects.exists()


def test_a_move_filling_in_a_taken_phone_is_blocked(manager, lead_pipeline):
    from voronka.sales.services import lead_move_to_stage

    set_policy("lead", "block")
    contact = ivanov(manager)
    lead = lead_create(actor=manager, data={"last_name": "Петрова"})
    target = lead_pipeline.stages.exclude(pk=lead.stage_id).filter(kind="open").first()
    with pytest.raises(ValidationError) as error:
        lead_move_to_stage(actor=manager, lead=lead, stage=target, data={"communications": PHONE})
    assert f"(#{contact.pk})" in error.value.message_dict["communications"][0]
    assert Lead.objects.get(pk=lead.pk).stage_id == lead.stage_id
    # Without new identifiers a move looks nothing up.
    lead_move_to_stage(actor=manager, lead=lead, stage=target)


def test_another_open_lead_of_the_person_does_not_block_the_conversion(
    manager, lead_pipeline, deal_pipeline
):
    set_policy("contact", "block")
    first = lead_create(actor=manager, data={"last_name": "Петрова"}, communications=PHONE)
    second = lead_create(actor=manager, data={"last_name": "Петрова"}, communications=PHONE)
    result = lead_convert(actor=manager, lead=first, pipelines=[deal_pipeline])
    assert recorded(result.contact).get().payload["matches"][0] == {
        "entity": "lead",
        "id": second.pk,
        "rule": "phone",
        "score": 100,
    }
