from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from voronka.contacts.models import Communication, Company, Contact, ContactCompany
from voronka.contacts.tests.factories import CompanyFactory, ContactFactory
from voronka.customization.models import CustomField, EntityType, FieldType
from voronka.sales import events
from voronka.sales.models import Deal, Lead, StageKind, StageTransition
from voronka.sales.services import lead_convert, lead_create
from voronka.sales.tests.factories import PipelineFactory, SourceFactory, stage_of
from voronka.timeline.models import EntryKind, TimelineEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(manager, pipelines):
    return lead_create(
        actor=manager,
        data={
            "title": "Заявка на станки",
            "last_name": "Смирнова",
            "first_name": "Анна",
            "middle_name": "Петровна",
            "position": "Главный инженер",
            "company_title": "ООО «Металлист»",
            "source": SourceFactory(code="website", name="Сайт"),
            "utm_source": "yandex",
            "utm_campaign": "lathes",
            "currency": "RUB",
        },
        communications=[
            {"kind": "phone", "value": "+7 912 111-22-33", "value_type": "mobile"},
            {"kind": "email", "value": "anna@metallist.ru"},
        ],
        product_rows=[
            {"name": "Станок токарный", "price": "150000", "quantity": 2, "tax_rate": 20},
            {"name": "Пусконаладка", "price": "20000", "tax_rate": 20},
        ],
    )


def converted_entries(card):
    return TimelineEntry.objects.filter(
        card_id=card.pk, card_type__model=card._meta.model_name, kind=EntryKind.CONVERTED
    )


def test_conversion_into_one_deal_carries_everything(
    manager, lead, deal_pipeline, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = lead_convert(actor=manager, lead=lead, pipelines=[deal_pipeline])

    contact, company, [deal] = result.contact, result.company, result.deals
    assert (contact.last_name, contact.first_name, contact.middle_name) == (
        "Смирнова",
        "Анна",
        "Петровна",
    )
    assert contact.position == "Главный инженер"
    assert sorted(contact.communications.values_list("value_normalized", flat=True)) == [
        "+79121112233",
        "anna@metallist.ru",
    ]
    assert company.title == "ООО «Металлист»"
    assert ContactCompany.objects.get(contact=contact).company == company

    assert deal.pipeline == deal_pipeline
    assert deal.stage == deal_pipeline.stages.filter(kind=StageKind.OPEN).order_by("sort")[0]
    assert (deal.company, deal.lead, deal.responsible) == (company, lead, lead.responsible)
    assert deal.contact_links.get(is_primary=True).contact == contact
    assert (deal.source, deal.utm_source, deal.utm_campaign) == (
        lead.source,
        "yandex",
        "lathes",
    )
    assert list(deal.product_rows.values_list("name", "quantity")) == [
        ("Станок токарный", Decimal("2.000")),
        ("Пусконаладка", Decimal("1.000")),
    ]
    assert deal.amount == Decimal("320000.00")
    assert deal.amount_from_products

    lead.refresh_from_db()
    assert lead.stage.kind == StageKind.WON
    assert lead.converted_at is not None
    assert lead.closed_at is not None
    assert (lead.contact, lead.company) == (contact, company)
    links = converted_entries(lead).get().payload["links"]
    assert {(link["entity"], link["id"]) for link in links} == {
        ("contact", contact.pk),
        ("company", company.pk),
        ("deal", deal.pk),
    }
    for card in (contact, company, deal):
        assert converted_entries(card).get().payload["lead_id"] == lead.pk
    [converted] = [event for event in published if isinstance(event, events.LeadConverted)]
    assert (converted.contact_id, converted.company_id, converted.deal_ids) == (
        contact.pk,
        company.pk,
        (deal.pk,),
    )
    assert any(isinstance(event, events.LeadStageChanged) for event in published)


def test_conversion_into_several_pipelines_makes_one_deal_each(manager, lead, deal_pipeline):
    service = PipelineFactory.with_stages(name="Сервис")
    result = lead_convert(actor=manager, lead=lead, pipelines=[deal_pipeline, service])
    assert [deal.pipeline for deal in result.deals] == [deal_pipeline, service]
    assert result.deals[1].stage == stage_of(service, "new")
    assert Contact.objects.count() == 1
    assert all(deal.product_rows.count() == 2 for deal in result.deals)


def test_conversion_without_product_rows_carries_the_typed_amount(manager, pipelines):
    lead = lead_create(
        actor=manager,
        data={"title": "x", "first_name": "Олег", "amount": "5000", "currency": "USD"},
    )
    [deal] = lead_convert(actor=manager, lead=lead, pipelines=[pipelines[1]]).deals
    assert (deal.amount, deal.currency, deal.amount_from_products) == (
        Decimal("5000.00"),
        "USD",
        False,
    )


def test_matching_custom_fields_are_carried_and_failing_ones_skipped(manager, lead, deal_pipeline):
    for entity in (EntityType.LEAD, EntityType.DEAL):
        CustomField.objects.create(
            entity=entity, code="budget", label="Бюджет", field_type=FieldType.INTEGER
        )
    CustomField.objects.create(
        entity=EntityType.LEAD, code="size", label="Размер", field_type=FieldType.STRING
    )
    CustomField.objects.create(
        entity=EntityType.DEAL,
        code="size",
        label="Размер",
        field_type=FieldType.LIST,
        options=[{"id": "big", "label": "Большой"}],
    )
    CustomField.objects.create(
        entity=EntityType.LEAD, code="lead_only", label="Только лид", field_type="string"
    )
    Lead.objects.filter(pk=lead.pk).update(
        custom_fields={"budget": 700000, "size": "огромный", "lead_only": "x"}
    )
    lead.refresh_from_db()

    [deal] = lead_convert(actor=manager, lead=lead, pipelines=[deal_pipeline]).deals
    assert deal.custom_fields == {"budget": 700000}


def test_deal_data_overrides_what_the_deal_takes(manager, lead, deal_pipeline):
    [deal] = lead_convert(
        actor=manager,
        lead=lead,
        pipelines=[deal_pipeline],
        deal_data={"title": "Поставка двух станков", "closes_on": "2027-03-01"},
    ).deals
    assert deal.title == "Поставка двух станков"
    assert str(deal.closes_on) == "2027-03-01"


def test_an_existing_contact_and_company_are_reused_and_linked(manager, lead, deal_pipeline):
    contact, company = ContactFactory(responsible=manager), CompanyFactory(responsible=manager)
    result = lead_convert(
        actor=manager, lead=lead, pipelines=[deal_pipeline], contact=contact, company=company
    )
    assert (result.contact, result.company) == (contact, company)
    assert Contact.objects.count() == 1
    assert Company.objects.count() == 1
    assert ContactCompany.objects.get().company == company
    assert result.deals[0].company == company
    assert not converted_entries(contact).exists()


def test_conversion_can_skip_the_contact_and_the_company(manager, lead, deal_pipeline):
    result = lead_convert(
        actor=manager,
        lead=lead,
        pipelines=[deal_pipeline],
        create_contact=False,
        create_company=False,
    )
    assert (result.contact, result.company) == (None, None)
    assert not Contact.objects.exists()
    assert not Company.objects.exists()
    assert not result.deals[0].contact_links.exists()


def test_conversion_to_contact_only_makes_no_deal(manager, lead):
    result = lead_convert(actor=manager, lead=lead, pipelines=[])
    assert result.deals == []
    assert not Deal.objects.exists()
    lead.refresh_from_db()
    assert lead.converted_at is not None


def test_a_second_conversion_is_refused(manager, lead, deal_pipeline):
    lead_convert(actor=manager, lead=lead, pipelines=[deal_pipeline])
    with pytest.raises(ValidationError) as error:
        lead_convert(actor=manager, lead=lead, pipelines=[deal_pipeline])
    assert "already converted" in str(error.value)
    assert Deal.objects.count() == 1
    assert Contact.objects.count() == 1


def snapshot():
    return (
        Contact.all_objects.count(),
        Company.all_objects.count(),
        Deal.all_objects.count(),
        Communication.objects.count(),
        TimelineEntry.objects.count(),
        StageTransition.objects.count(),
    )


def test_a_failing_deal_leaves_nothing_behind(manager, lead, deal_pipeline):
    strict = PipelineFactory.with_stages(name="Строгая")
    first = stage_of(strict, "new")
    first.required_fields = ["closes_on"]
    first.save()
    before = snapshot()

    with pytest.raises(ValidationError) as error:
        lead_convert(actor=manager, lead=lead, pipelines=[deal_pipeline, strict])

    assert "deals" in error.value.message_dict
    assert "closes_on" in error.value.message_dict["deals"][0]
    assert snapshot() == before
    lead.refresh_from_db()
    assert (lead.converted_at, lead.version) == (None, 1)
    assert lead.stage.kind == StageKind.OPEN


def test_a_failing_lead_stage_leaves_nothing_behind(manager, lead, lead_pipeline, deal_pipeline):
    won = lead_pipeline.stages.get(kind=StageKind.WON)
    won.required_fields = ["comment"]
    won.save()
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        lead_convert(actor=manager, lead=lead, pipelines=[deal_pipeline])
    assert set(error.value.message_dict) == {"comment"}
    assert snapshot() == before


def test_a_company_without_a_name_is_refused(manager, pipelines, deal_pipeline):
    lead = lead_create(actor=manager, data={"title": "x", "first_name": "Олег"})
    with pytest.raises(ValidationError) as error:
        lead_convert(actor=manager, lead=lead, pipelines=[deal_pipeline], create_company=True)
    assert "company" in error.value.message_dict


def test_lead_pipelines_and_repeats_are_refused(manager, lead, lead_pipeline, deal_pipeline):
    with pytest.raises(ValidationError):
        lead_convert(actor=manager, lead=lead, pipelines=[lead_pipeline])
    with pytest.raises(ValidationError):
        lead_convert(actor=manager, lead=lead, pipelines=[deal_pipeline, deal_pipeline])
    assert not Deal.objects.exists()
