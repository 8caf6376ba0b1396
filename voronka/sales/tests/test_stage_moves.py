import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from voronka.contacts.tests.factories import CompanyFactory, ContactFactory
from voronka.customization.models import CustomField, EntityType, FieldType
from voronka.sales import events
from voronka.sales.models import Deal, Lead, StageKind, StageTransition
from voronka.sales.services import (
    deal_change_pipeline,
    deal_close_lost,
    deal_close_won,
    deal_create,
    deal_move_to_stage,
    lead_create,
    lead_move_to_stage,
)
from voronka.sales.tests.factories import (
    LossReasonFactory,
    PipelineFactory,
    SourceFactory,
    stage_of,
)
from voronka.timeline.models import EntryKind, TimelineEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def pipeline(db):
    return PipelineFactory.with_stages()


@pytest.fixture
def deal(manager, pipeline):
    return deal_create(actor=manager, data={"title": "Поставка станков", "pipeline": pipeline})


def require(stage, *codes):
    stage.required_fields = list(codes)
    stage.save(update_fields=["required_fields"])
    return stage


def feed(card):
    return TimelineEntry.objects.filter(card_id=card.pk, card_type__model=card._meta.model_name)


def assert_nothing_changed(card):
    """The card, its transitions and its feed are exactly as right after creation."""
    fresh = type(card).all_objects.get(pk=card.pk)
    assert (fresh.stage_id, fresh.version, fresh.closed_at) == (card.stage_id, 1, None)
    assert StageTransition.objects.filter(**{card._meta.model_name: card}).count() == 1
    assert list(feed(card).values_list("kind", flat=True)) == [EntryKind.CREATED]


def test_move_records_transition_feed_entry_and_event(
    manager, deal, pipeline, published, django_capture_on_commit_callbacks
):
    Deal.objects.filter(pk=deal.pk).update(
        stage_changed_at=timezone.now() - datetime.timedelta(hours=1)
    )
    target = stage_of(pipeline, "in_progress")
    with django_capture_on_commit_callbacks(execute=True):
        moved = deal_move_to_stage(actor=manager, deal=deal, stage=target)

    assert moved.stage == target
    assert moved.version == 2
    transition = StageTransition.objects.get(deal=deal, from_stage__isnull=False)
    assert transition.to_stage == target
    assert transition.actor == manager
    assert 3599 <= transition.seconds_in_previous <= 3605
    entry = feed(deal).get(kind=EntryKind.STAGE_CHANGED)
    assert entry.payload["new_stage"] == target.name
    assert entry.payload["old_stage_id"] == deal.stage_id
    [event] = published
    assert isinstance(event, events.DealStageChanged)
    assert (event.from_stage_id, event.to_stage_id) == (deal.stage_id, target.pk)
    assert (event.from_stage_kind, event.to_stage_kind) == (StageKind.OPEN, StageKind.OPEN)
    assert event.from_pipeline_id == event.to_pipeline_id == pipeline.pk


def test_missing_required_fields_are_all_named_by_label_and_nothing_changes(
    manager, deal, pipeline
):
    CustomField.objects.create(
        entity=EntityType.DEAL, code="contract_no", label="Номер договора", field_type="string"
    )
    target = require(
        stage_of(pipeline, "in_progress"),
        "amount",
        "company",
        "contacts",
        "closes_on",
        "source",
        "product_rows",
        "contract_no",
    )
    with pytest.raises(ValidationError) as error:
        deal_move_to_stage(actor=manager, deal=deal, stage=target)

    messages = error.value.message_dict
    assert set(messages) == {
        "amount",
        "company",
        "contacts",
        "closes_on",
        "source",
        "product_rows",
        "contract_no",
    }
    text = " ".join(message for items in messages.values() for message in items)
    for label in (
        "amount",
        "company",
        "Contacts",
        "expected close date",
        "source",
        "Products",
        "Номер договора",
    ):
        assert f"“{label}”" in text
    assert_nothing_changed(deal)


def test_data_fills_the_required_fields_in_the_same_step(manager, deal, pipeline):
    CustomField.objects.create(
        entity=EntityType.DEAL, code="contract_no", label="Номер договора", field_type="string"
    )
    target = require(
        stage_of(pipeline, "in_progress"),
        "company",
        "contacts",
        "closes_on",
        "source",
        "product_rows",
        "contract_no",
        "amount",
    )
    company, contact = CompanyFactory(responsible=manager), ContactFactory(responsible=manager)
    source = SourceFactory()

    moved = deal_move_to_stage(
        actor=manager,
        deal=deal,
        stage=target,
        data={
            "company": company,
            "contacts": [contact],
            "closes_on": "2026-12-31",
            "source": source,
            "product_rows": [{"name": "Станок", "price": "500", "quantity": 3}],
            "custom_fields": {"contract_no": "Д-17"},
        },
    )
    assert moved.stage == target
    assert moved.amount == Decimal("1500.00")
    assert moved.company == company
    assert moved.contact_links.get().contact == contact
    assert moved.custom_fields == {"contract_no": "Д-17"}
    changed = set(
        feed(deal).filter(kind=EntryKind.FIELD_CHANGED).values_list("payload__field", flat=True)
    )
    assert {"company", "closes_on", "source", "contacts", "product_rows", "amount"} <= changed


def test_partly_filled_data_names_only_what_is_still_missing(manager, deal, pipeline):
    target = require(stage_of(pipeline, "in_progress"), "amount", "closes_on")
    with pytest.raises(ValidationError) as error:
        deal_move_to_stage(actor=manager, deal=deal, stage=target, data={"amount": "100"})
    assert set(error.value.message_dict) == {"closes_on"}
    assert_nothing_changed(deal)
    assert Deal.objects.get(pk=deal.pk).amount == 0


def test_bad_data_and_missing_fields_come_back_together(manager, deal, pipeline):
    target = require(stage_of(pipeline, "in_progress"), "amount", "closes_on")
    with pytest.raises(ValidationError) as error:
        deal_move_to_stage(actor=manager, deal=deal, stage=target, data={"closes_on": "31 декабря"})
    assert set(error.value.message_dict) == {"amount", "closes_on"}
    assert_nothing_changed(deal)


def test_data_accepts_only_editable_fields(manager, deal, pipeline):
    with pytest.raises(ValidationError) as error:
        deal_move_to_stage(
            actor=manager,
            deal=deal,
            stage=stage_of(pipeline, "in_progress"),
            data={"pipeline": pipeline},
        )
    assert set(error.value.message_dict) == {"pipeline"}
    assert_nothing_changed(deal)


def test_a_lost_stage_requires_a_loss_reason(manager, deal, pipeline):
    with pytest.raises(ValidationError) as error:
        deal_move_to_stage(actor=manager, deal=deal, stage=stage_of(pipeline, "lost"))
    assert set(error.value.message_dict) == {"loss_reason"}
    assert_nothing_changed(deal)

    retired = LossReasonFactory(is_active=False)
    with pytest.raises(ValidationError):
        deal_move_to_stage(
            actor=manager, deal=deal, stage=stage_of(pipeline, "lost"), loss_reason=retired
        )
    assert_nothing_changed(deal)


def test_lost_sets_reason_and_closing_time_and_reopening_clears_them(
    manager, deal, pipeline, loss_reason
):
    lost = deal_move_to_stage(
        actor=manager,
        deal=deal,
        stage=stage_of(pipeline, "lost"),
        loss_reason=loss_reason,
        loss_comment="Выбрали конкурента",
    )
    assert lost.closed_at is not None
    assert (lost.loss_reason, lost.loss_comment) == (loss_reason, "Выбрали конкурента")

    reopened = deal_move_to_stage(actor=manager, deal=lost, stage=stage_of(pipeline, "new"))
    assert reopened.closed_at is None
    assert reopened.loss_reason is None
    assert reopened.loss_comment == ""


def test_won_sets_the_closing_time(manager, deal, pipeline):
    won = deal_move_to_stage(actor=manager, deal=deal, stage=stage_of(pipeline, "won"))
    assert won.closed_at is not None
    assert Deal.objects.get(pk=deal.pk).closed_at == won.closed_at


def test_close_won_and_close_lost_use_the_pipeline_final_stages(manager, pipeline, loss_reason):
    first = deal_create(actor=manager, data={"title": "a", "pipeline": pipeline})
    second = deal_create(actor=manager, data={"title": "b", "pipeline": pipeline})
    assert deal_close_won(actor=manager, deal=first).stage == stage_of(pipeline, "won")
    lost = deal_close_lost(actor=manager, deal=second, loss_reason=loss_reason)
    assert lost.stage == stage_of(pipeline, "lost")
    with pytest.raises(ValidationError):
        deal_close_lost(actor=manager, deal=first, loss_reason=None)


def test_a_stage_of_another_pipeline_is_refused(manager, deal):
    other = PipelineFactory.with_stages()
    with pytest.raises(ValidationError) as error:
        deal_move_to_stage(actor=manager, deal=deal, stage=stage_of(other, "in_progress"))
    assert set(error.value.message_dict) == {"stage"}
    assert_nothing_changed(deal)


def test_moving_to_the_current_stage_changes_nothing(manager, deal):
    same = deal_move_to_stage(actor=manager, deal=deal, stage=deal.stage)
    assert same.version == 1
    assert_nothing_changed(deal)


def test_change_pipeline_goes_to_the_first_open_stage_and_checks_its_fields(
    manager, deal, pipeline, published, django_capture_on_commit_callbacks
):
    other = PipelineFactory.with_stages(stages=[("start", "open"), ("w", "won"), ("l", "lost")])
    require(stage_of(other, "start"), "closes_on")
    with pytest.raises(ValidationError) as error:
        deal_change_pipeline(actor=manager, deal=deal, pipeline=other)
    assert set(error.value.message_dict) == {"closes_on"}
    assert_nothing_changed(deal)

    with django_capture_on_commit_callbacks(execute=True):
        moved = deal_change_pipeline(
            actor=manager, deal=deal, pipeline=other, data={"closes_on": "01.02.2027"}
        )
    assert (moved.pipeline, moved.stage) == (other, stage_of(other, "start"))
    stage_event = next(e for e in published if isinstance(e, events.DealStageChanged))
    assert (stage_event.from_pipeline_id, stage_event.to_pipeline_id) == (pipeline.pk, other.pk)
    changed = (
        feed(deal).filter(kind=EntryKind.FIELD_CHANGED).values_list("payload__field", flat=True)
    )
    assert "pipeline" in set(changed)


def test_change_pipeline_refuses_a_stage_of_a_third_pipeline(manager, deal):
    other, third = PipelineFactory.with_stages(), PipelineFactory.with_stages()
    with pytest.raises(ValidationError) as error:
        deal_change_pipeline(actor=manager, deal=deal, pipeline=other, stage=stage_of(third, "new"))
    assert set(error.value.message_dict) == {"stage"}
    assert_nothing_changed(deal)


def test_lead_move_checks_communications_and_custom_fields(
    manager, lead_pipeline, published, django_capture_on_commit_callbacks
):
    CustomField.objects.create(
        entity=EntityType.LEAD, code="need", label="Потребность", field_type=FieldType.TEXT
    )
    lead = lead_create(actor=manager, data={"title": "Заявка"})
    target = require(stage_of(lead_pipeline, "in_progress"), "communications", "need", "amount")
    with pytest.raises(ValidationError) as error:
        lead_move_to_stage(actor=manager, lead=lead, stage=target)
    assert set(error.value.message_dict) == {"communications", "need", "amount"}
    assert_nothing_changed(lead)

    with django_capture_on_commit_callbacks(execute=True):
        moved = lead_move_to_stage(
            actor=manager,
            lead=lead,
            stage=target,
            data={
                "communications": [{"kind": "phone", "value": "+79121112233"}],
                "custom_fields": {"need": "Токарный станок"},
                "amount": "90000",
            },
        )
    assert moved.stage == target
    assert moved.communications.count() == 1
    stage_event = next(e for e in published if isinstance(e, events.LeadStageChanged))
    assert stage_event.to_stage_id == target.pk
    assert stage_event.to_stage_kind == StageKind.OPEN


def test_lead_cannot_move_to_a_deal_stage(manager, deal, pipeline):
    lead = lead_create(actor=manager, data={"title": "Заявка"})
    with pytest.raises(ValidationError):
        lead_move_to_stage(actor=manager, lead=lead, stage=stage_of(pipeline, "won"))
    assert_nothing_changed(lead)
    assert Lead.objects.get(pk=lead.pk).stage == lead.stage


def test_a_removed_custom_field_no_longer_blocks_a_move(manager, deal, pipeline):
    target = require(stage_of(pipeline, "in_progress"), "no_such_field")
    assert deal_move_to_stage(actor=manager, deal=deal, stage=target).stage == target


def test_a_stage_still_requiring_a_field_no_longer_offered_lets_cards_through(
    manager, deal, pipeline
):
    target = stage_of(pipeline, "in_progress")
    target.required_fields = ["created_by", "currency", "closed_at"]
    target.save(update_fields=["required_fields"])
    moved = deal_move_to_stage(actor=manager, deal=deal, stage=target)
    assert moved.stage == target
