from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from voronka.contacts.tests.factories import CompanyFactory
from voronka.customization.models import CustomField, EntityType, FieldType
from voronka.sales import events
from voronka.sales.models import Lead, Pipeline, PipelineEntity, StageKind, StageTransition
from voronka.sales.services import lead_create, lead_delete, lead_restore, lead_update
from voronka.sales.tests.factories import PipelineFactory, SourceFactory, stage_of
from voronka.timeline.models import EntryKind, TimelineEntry

pytestmark = pytest.mark.django_db


def entries(card, kind=None):
    rows = TimelineEntry.objects.filter(card_id=card.pk, card_type__model=card._meta.model_name)
    return rows.filter(kind=kind) if kind else rows


def test_create_defaults_to_first_open_stage_of_the_default_pipeline_it_creates(manager):
    assert not Pipeline.objects.exists()

    lead = lead_create(actor=manager, data={"title": "Заявка с сайта"})

    pipeline = Pipeline.objects.get(entity=PipelineEntity.LEAD, is_default=True)
    assert pipeline.name == "Лиды"
    assert Pipeline.objects.filter(entity=PipelineEntity.DEAL, is_default=True).exists()
    assert set(pipeline.stages.values_list("kind", flat=True)) == set(StageKind.values)
    assert lead.stage == pipeline.stages.filter(kind=StageKind.OPEN).order_by("sort").first()
    assert lead.responsible == manager
    assert lead.created_by == manager
    assert lead.version == 1
    assert lead.closed_at is None


def test_create_keeps_utm_referrer_landing_page_and_source(manager):
    source = SourceFactory(code="website", name="Сайт")
    lead = lead_create(
        actor=manager,
        data={
            "title": "Заявка",
            "source": source,
            "utm_source": "yandex",
            "utm_medium": "cpc",
            "utm_campaign": "autumn",
            "utm_content": "banner",
            "utm_term": "станки",
            "referrer": "https://ya.ru/search",
            "landing_page": "https://example.ru/lathes",
        },
    )
    lead.refresh_from_db()
    assert (lead.source, lead.utm_source, lead.utm_medium, lead.utm_campaign) == (
        source,
        "yandex",
        "cpc",
        "autumn",
    )
    assert lead.utm_content == "banner"
    assert lead.utm_term == "станки"
    assert lead.referrer == "https://ya.ru/search"
    assert lead.landing_page == "https://example.ru/lathes"


def test_create_writes_history_transition_and_event(
    manager, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        lead = lead_create(actor=manager, data={"title": "Заявка"})

    assert entries(lead, EntryKind.CREATED).count() == 1
    transition = StageTransition.objects.get(lead=lead)
    assert (transition.from_stage, transition.to_stage) == (None, lead.stage)
    assert [type(event) for event in published] == [events.LeadCreated]
    assert published[0].lead_id == lead.pk
    assert published[0].actor_id == manager.pk


def test_create_takes_the_title_from_the_names_when_none_is_given(manager):
    lead = lead_create(actor=manager, data={"last_name": "Петров", "first_name": "Иван"})
    assert lead.title == "Петров Иван"


def test_create_without_title_or_names_names_the_title(manager):
    with pytest.raises(ValidationError) as error:
        lead_create(actor=manager, data={})
    assert "title" in error.value.message_dict
    assert not Lead.all_objects.exists()


def test_create_refuses_unknown_and_read_only_keys_naming_each(manager):
    with pytest.raises(ValidationError) as error:
        lead_create(actor=manager, data={"title": "x", "version": 5, "colour": "red"})
    assert set(error.value.message_dict) == {"version", "colour"}


def test_create_refuses_a_stage_of_a_deal_pipeline(manager):
    deal_pipeline = PipelineFactory.with_stages()
    with pytest.raises(ValidationError) as error:
        lead_create(actor=manager, data={"title": "x", "stage": stage_of(deal_pipeline, "new")})
    assert "stage" in error.value.message_dict


def test_create_saves_communications_and_product_rows(manager):
    lead = lead_create(
        actor=manager,
        data={"title": "Заявка"},
        communications=[
            {"kind": "phone", "value": "8 (912) 345-67-89"},
            {"kind": "email", "value": "Ivan@Example.RU"},
        ],
        product_rows=[{"name": "Станок", "price": "1000.00", "quantity": 2}],
    )
    assert sorted(lead.communications.values_list("value_normalized", flat=True)) == [
        "+79123456789",
        "ivan@example.ru",
    ]
    lead.refresh_from_db()
    assert lead.amount == Decimal("2000.00")
    assert lead.amount_from_products is True


def test_create_reports_every_problem_at_once_and_writes_nothing(manager):
    with pytest.raises(ValidationError) as error:
        lead_create(
            actor=manager,
            data={"title": "Заявка", "amount": "много", "referrer": "not a url"},
            communications=[{"kind": "phone", "value": "12"}],
            product_rows=[{"name": "Станок", "price": "-1"}],
        )
    assert {"amount", "referrer", "communications", "product_rows"} <= set(error.value.message_dict)
    assert not Lead.all_objects.exists()
    assert not TimelineEntry.objects.exists()


def test_custom_fields_are_validated_and_always_required_ones_enforced(manager):
    CustomField.objects.create(
        entity=EntityType.LEAD, code="budget", label="Бюджет", field_type=FieldType.INTEGER
    )
    CustomField.objects.create(
        entity=EntityType.LEAD,
        code="city",
        label="Город",
        field_type=FieldType.STRING,
        required=True,
    )
    with pytest.raises(ValidationError) as error:
        lead_create(actor=manager, data={"title": "x", "custom_fields": {"budget": "abc"}})
    assert set(error.value.message_dict) == {"budget", "city"}

    lead = lead_create(
        actor=manager, data={"title": "x", "custom_fields": {"budget": "100", "city": "Пермь"}}
    )
    assert lead.custom_fields == {"budget": 100, "city": "Пермь"}


def test_update_writes_one_history_entry_per_changed_field_and_bumps_the_version(
    manager, other_manager, published, django_capture_on_commit_callbacks
):
    lead = lead_create(actor=manager, data={"title": "Заявка", "utm_source": "google"})
    with django_capture_on_commit_callbacks(execute=True):
        lead = lead_update(
            actor=manager,
            lead=lead,
            data={
                "title": "Заявка на станок",
                "responsible": other_manager,
                "utm_source": "google",
            },
        )

    assert lead.version == 2
    changes = {e.payload["field"]: e.payload for e in entries(lead, EntryKind.FIELD_CHANGED)}
    assert set(changes) == {"title", "responsible"}
    assert changes["title"]["old"] == "Заявка"
    assert changes["title"]["new"] == "Заявка на станок"
    assert [type(event) for event in published] == [events.LeadUpdated]
    assert set(published[0].fields) == {"title", "responsible"}


def test_update_that_changes_nothing_writes_nothing(manager):
    lead = lead_create(actor=manager, data={"title": "Заявка"})
    lead = lead_update(actor=manager, lead=lead, data={"title": "Заявка"})
    assert lead.version == 1
    assert not entries(lead, EntryKind.FIELD_CHANGED).exists()


def test_update_cannot_set_the_stage(manager):
    lead = lead_create(actor=manager, data={"title": "Заявка"})
    other = lead.stage.pipeline.stages.exclude(pk=lead.stage_id).first()
    with pytest.raises(ValidationError) as error:
        lead_update(actor=manager, lead=lead, data={"stage": other})
    assert set(error.value.message_dict) == {"stage"}


def test_update_replaces_communications_with_history(manager):
    lead = lead_create(
        actor=manager,
        data={"title": "x"},
        communications=[{"kind": "phone", "value": "+79120000001"}],
    )
    lead_update(
        actor=manager,
        lead=lead,
        data={},
        communications=[{"kind": "phone", "value": "+79120000002"}],
    )
    assert list(lead.communications.values_list("value_normalized", flat=True)) == ["+79120000002"]
    assert entries(lead, EntryKind.FIELD_CHANGED).get().payload["field"] == "communications"


def test_update_refuses_a_typed_amount_while_product_rows_set_it(manager):
    lead = lead_create(
        actor=manager, data={"title": "x"}, product_rows=[{"name": "Станок", "price": "10"}]
    )
    with pytest.raises(ValidationError) as error:
        lead_update(actor=manager, lead=lead, data={"amount": "5"})
    assert "amount" in error.value.message_dict


def test_update_cannot_empty_a_field_the_current_stage_requires(manager, lead_pipeline):
    stage = stage_of(lead_pipeline, "new")
    stage.required_fields = ["company_title"]
    stage.save()
    lead = lead_create(actor=manager, data={"title": "x", "company_title": "Ромашка"})
    with pytest.raises(ValidationError) as error:
        lead_update(actor=manager, lead=lead, data={"company_title": ""})
    assert "company_title" in error.value.message_dict
    # Fields the stage does not require stay editable.
    lead_update(actor=manager, lead=lead, data={"comment": "перезвонить"})


def test_update_links_a_company_by_id(manager):
    company = CompanyFactory(responsible=manager)
    lead = lead_create(actor=manager, data={"title": "x"})
    lead = lead_update(actor=manager, lead=lead, data={"company_id": company.pk})
    assert lead.company == company
    with pytest.raises(ValidationError) as error:
        lead_update(actor=manager, lead=lead, data={"company_id": 999999})
    assert "company" in error.value.message_dict


def test_delete_and_restore_keep_history_and_publish(
    manager, published, django_capture_on_commit_callbacks
):
    lead = lead_create(actor=manager, data={"title": "Заявка"})
    with django_capture_on_commit_callbacks(execute=True):
        lead_delete(actor=manager, lead=lead)
    assert not Lead.objects.filter(pk=lead.pk).exists()
    deleted = Lead.all_objects.get(pk=lead.pk)
    assert deleted.deleted_by == manager
    assert entries(lead, EntryKind.DELETED).count() == 1
    with pytest.raises(ValidationError):
        lead_update(actor=manager, lead=deleted, data={"title": "y"})

    with django_capture_on_commit_callbacks(execute=True):
        lead_restore(actor=manager, lead=deleted)
    assert Lead.objects.filter(pk=lead.pk).exists()
    assert entries(lead, EntryKind.RESTORED).count() == 1
    assert [type(event) for event in published] == [events.LeadDeleted, events.LeadRestored]
