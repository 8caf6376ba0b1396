import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from voronka.contacts.services import contact_delete
from voronka.contacts.tests.factories import CompanyFactory, ContactFactory
from voronka.sales import events
from voronka.sales.models import Deal, DealContact, PipelineEntity, StageKind, StageTransition
from voronka.sales.services import deal_create, deal_delete, deal_restore, deal_update
from voronka.sales.tests.factories import PipelineFactory, stage_of
from voronka.timeline.models import EntryKind, TimelineEntry

pytestmark = pytest.mark.django_db


def entries(card, kind):
    return TimelineEntry.objects.filter(
        card_id=card.pk, card_type__model=card._meta.model_name, kind=kind
    )


def test_create_defaults_to_the_default_pipeline_and_its_first_stage(manager):
    deal = deal_create(actor=manager, data={"title": "Поставка"})
    assert deal.pipeline.is_default
    assert deal.pipeline.entity == PipelineEntity.DEAL
    assert deal.stage == deal.pipeline.stages.order_by("sort").first()
    assert deal.responsible == manager
    assert StageTransition.objects.filter(deal=deal, from_stage=None).count() == 1
    assert entries(deal, EntryKind.CREATED).count() == 1


def test_create_in_a_given_pipeline_starts_at_its_first_open_stage(manager):
    pipeline = PipelineFactory.with_stages()
    deal = deal_create(actor=manager, data={"title": "x", "pipeline": pipeline})
    assert deal.stage == stage_of(pipeline, "new")


def test_create_takes_the_pipeline_from_a_given_stage(manager):
    pipeline = PipelineFactory.with_stages()
    deal = deal_create(
        actor=manager, data={"title": "x", "stage": stage_of(pipeline, "in_progress")}
    )
    assert deal.pipeline == pipeline


def test_create_refuses_a_stage_of_another_pipeline(manager):
    pipeline, other = PipelineFactory.with_stages(), PipelineFactory.with_stages()
    with pytest.raises(ValidationError) as error:
        deal_create(
            actor=manager,
            data={"title": "x", "pipeline": pipeline, "stage": stage_of(other, "new")},
        )
    assert set(error.value.message_dict) == {"stage"}
    assert not Deal.all_objects.exists()


def test_create_refuses_a_lead_pipeline(manager):
    pipeline = PipelineFactory.with_stages(entity=PipelineEntity.LEAD)
    with pytest.raises(ValidationError) as error:
        deal_create(actor=manager, data={"title": "x", "pipeline": pipeline})
    assert "pipeline" in error.value.message_dict


def test_create_in_a_won_stage_closes_it_and_in_a_lost_one_needs_a_reason(manager, loss_reason):
    pipeline = PipelineFactory.with_stages()
    won = deal_create(actor=manager, data={"title": "x", "stage": stage_of(pipeline, "won")})
    assert won.closed_at is not None
    with pytest.raises(ValidationError) as error:
        deal_create(actor=manager, data={"title": "x", "stage": stage_of(pipeline, "lost")})
    assert "loss_reason" in error.value.message_dict
    lost = deal_create(
        actor=manager,
        data={"title": "x", "stage": stage_of(pipeline, "lost"), "loss_reason": loss_reason},
    )
    assert lost.loss_reason == loss_reason


def test_create_links_contacts_first_primary_unless_marked(manager):
    # The manager's own contacts: the Manager role sees only its own cards.
    first, second = ContactFactory(responsible=manager), ContactFactory(responsible=manager)
    deal = deal_create(actor=manager, data={"title": "x"}, contacts=[first, second])
    assert list(deal.contact_links.values_list("contact_id", "is_primary")) == [
        (first.pk, True),
        (second.pk, False),
    ]
    other = deal_create(
        actor=manager,
        data={"title": "y"},
        contacts=[first, {"contact": second, "is_primary": True}],
    )
    assert other.contact_links.get(is_primary=True).contact == second


def test_create_refuses_two_primary_contacts_and_deleted_ones(manager):
    first, second, gone = (ContactFactory(responsible=manager) for _ in range(3))
    contact_delete(actor=manager, contact=gone)
    gone.refresh_from_db()
    with pytest.raises(ValidationError) as error:
        deal_create(
            actor=manager,
            data={"title": "x"},
            contacts=[
                {"contact": first, "is_primary": True},
                {"contact": second, "is_primary": True},
                gone,
            ],
        )
    assert len(error.value.message_dict["contacts"]) == 2
    assert not DealContact.objects.exists()


def test_create_parses_typed_values(manager):
    company = CompanyFactory(responsible=manager)
    deal = deal_create(
        actor=manager,
        data={
            "title": "x",
            "amount": "12 500,50",
            "closes_on": "31.12.2026",
            "company_id": company.pk,
            "probability": 40,
        },
    )
    deal.refresh_from_db()
    assert deal.amount == Decimal("12500.50")
    assert deal.closes_on == datetime.date(2026, 12, 31)
    assert deal.company == company


def test_create_reports_a_probability_over_100(manager):
    with pytest.raises(ValidationError) as error:
        deal_create(actor=manager, data={"title": "x", "probability": 150})
    assert "probability" in error.value.message_dict or "__all__" in error.value.message_dict


def test_update_refuses_pipeline_and_stage(manager):
    deal = deal_create(actor=manager, data={"title": "x"})
    other = PipelineFactory.with_stages()
    with pytest.raises(ValidationError) as error:
        deal_update(
            actor=manager, deal=deal, data={"pipeline": other, "stage": stage_of(other, "new")}
        )
    assert set(error.value.message_dict) == {"pipeline", "stage"}


def test_update_writes_history_and_event(manager, published, django_capture_on_commit_callbacks):
    deal = deal_create(actor=manager, data={"title": "x", "amount": "100"})
    with django_capture_on_commit_callbacks(execute=True):
        deal = deal_update(actor=manager, deal=deal, data={"amount": "250.00", "comment": "торг"})
    changes = {e.payload["field"]: e.payload for e in entries(deal, EntryKind.FIELD_CHANGED)}
    assert changes["amount"]["old"] == "100.00"
    assert changes["amount"]["new"] == "250.00"
    assert set(changes) == {"amount", "comment"}
    assert deal.version == 2
    assert [type(event) for event in published] == [events.DealUpdated]


def test_update_replaces_contacts_with_history(manager):
    first, second = ContactFactory(responsible=manager), ContactFactory(responsible=manager)
    deal = deal_create(actor=manager, data={"title": "x"}, contacts=[first])
    deal_update(actor=manager, deal=deal, data={}, contacts=[second, first])
    assert deal.contact_links.get(is_primary=True).contact == second
    change = entries(deal, EntryKind.FIELD_CHANGED).get().payload
    assert change["field"] == "contacts"


def test_update_with_an_inactive_responsible_is_refused(manager, other_manager):
    other_manager.is_active = False
    other_manager.save()
    deal = deal_create(actor=manager, data={"title": "x"})
    with pytest.raises(ValidationError) as error:
        deal_update(actor=manager, deal=deal, data={"responsible": other_manager})
    assert "responsible" in error.value.message_dict
    deal.refresh_from_db()
    assert deal.responsible == manager


def test_delete_and_restore(manager, published, django_capture_on_commit_callbacks):
    deal = deal_create(actor=manager, data={"title": "x"})
    with django_capture_on_commit_callbacks(execute=True):
        deal_delete(actor=manager, deal=deal)
        deal_delete(actor=manager, deal=deal)
    assert not Deal.objects.exists()
    assert entries(deal, EntryKind.DELETED).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        deal_restore(actor=manager, deal=deal)
    assert Deal.objects.get().version == 3
    assert entries(deal, EntryKind.RESTORED).count() == 1
    assert [type(event) for event in published] == [events.DealDeleted, events.DealRestored]


def test_a_fresh_installation_gets_russian_default_pipelines(manager):
    deal = deal_create(actor=manager, data={"title": "x"})
    assert deal.pipeline.name == "Продажи"
    assert deal.stage.name == "Новая"
    assert deal.pipeline.stages.filter(kind=StageKind.WON).exists()
