"""Events become deliveries in the transaction that produced them: exactly one per matching
subscription, none for a rolled-back change, one query when nobody listens."""

import uuid

import pytest
from django.db import transaction

from voronka.core.events import publish
from voronka.integrations.events import CATALOGUE, on_domain_event, payload_for
from voronka.integrations.models import DeliveryStatus, WebhookDelivery
from voronka.integrations.tests.factories import WebhookSubscriptionFactory
from voronka.sales import events as sales_events
from voronka.sales.services.deals import deal_create
from voronka.sales.services.stages import deal_move_to_stage
from voronka.sales.tests.factories import DealFactory, PipelineFactory
from voronka.tasks import events as task_events

pytestmark = pytest.mark.django_db


def test_an_event_makes_exactly_one_delivery_per_matching_subscription(manager):
    wanted = WebhookSubscriptionFactory(event_types=["deal.created"])
    also = WebhookSubscriptionFactory(event_types=["deal.created", "lead.created"])
    WebhookSubscriptionFactory(event_types=["lead.created"])
    WebhookSubscriptionFactory(event_types=["deal.created"], is_active=False)
    pipeline = PipelineFactory.with_stages()

    deal = deal_create(actor=manager, data={"title": "Поставка", "pipeline": pipeline})

    deliveries = list(WebhookDelivery.objects.order_by("subscription_id"))
    assert [d.subscription_id for d in deliveries] == sorted([wanted.pk, also.pk])
    assert {d.event_type for d in deliveries} == {"deal.created"}
    assert {d.status for d in deliveries} == {DeliveryStatus.PENDING}
    # One event, one id, the same payload for every subscriber.
    assert len({d.event_id for d in deliveries}) == 1
    payload = deliveries[0].payload
    assert payload == deliveries[1].payload
    assert payload["type"] == "deal.created"
    assert payload["id"] == str(deliveries[0].event_id)
    assert payload["actor_id"] == manager.pk
    assert payload["data"]["id"] == deal.pk
    assert payload["data"]["title"] == "Поставка"
    assert payload["data"]["amount"] == "0.00"
    assert payload["data"]["stage"]["code"] == deal.stage.code
    assert payload["data"]["responsible_id"] == deal.responsible_id


def test_a_stage_change_carries_the_previous_stage(manager):
    WebhookSubscriptionFactory(event_types=["deal.stage_changed"])
    deal = DealFactory(responsible=manager)
    old_stage = deal.stage
    target = deal.pipeline.stages.exclude(pk=old_stage.pk).filter(kind="open").first()

    deal_move_to_stage(actor=manager, deal=deal, stage=target)

    [delivery] = WebhookDelivery.objects.all()
    assert delivery.event_type == "deal.stage_changed"
    assert delivery.payload["data"]["stage"]["id"] == target.pk
    assert delivery.payload["changes"]["from_stage"]["code"] == old_stage.code


def test_a_rolled_back_change_delivers_nothing(manager):
    WebhookSubscriptionFactory(event_types=["deal.created"])
    pipeline = PipelineFactory.with_stages()

    with pytest.raises(RuntimeError), transaction.atomic():
        deal_create(actor=manager, data={"title": "Передумали", "pipeline": pipeline})
        assert WebhookDelivery.objects.count() == 1
        raise RuntimeError("rolled back")

    assert WebhookDelivery.objects.count() == 0


def test_workers_are_kicked_once_per_commit(
    manager, django_capture_on_commit_callbacks, _no_broker
):
    WebhookSubscriptionFactory(event_types=["deal.created"])
    pipeline = PipelineFactory.with_stages()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        deal_create(actor=manager, data={"title": "Раз", "pipeline": pipeline})
        deal_create(actor=manager, data={"title": "Два", "pipeline": pipeline})
    assert WebhookDelivery.objects.count() == 2
    assert _no_broker == [1]


def test_nobody_subscribed_costs_one_query(django_assert_num_queries):
    WebhookSubscriptionFactory(event_types=["lead.created"])
    event = sales_events.DealUpdated(actor_id=None, deal_id=1, fields=("title",))
    with transaction.atomic(), django_assert_num_queries(1):
        on_domain_event(event)


def test_a_subscribed_event_costs_the_lookup_the_card_and_one_insert(
    django_assert_num_queries, manager
):
    WebhookSubscriptionFactory(event_types=["deal.updated"])
    WebhookSubscriptionFactory(event_types=["deal.updated"])
    deal = DealFactory(responsible=manager)
    event = sales_events.DealUpdated(actor_id=manager.pk, deal_id=deal.pk, fields=("title",))
    # The subscriptions, the deal with its stage, one insert.
    with transaction.atomic(), django_assert_num_queries(3):
        on_domain_event(event)
    assert WebhookDelivery.objects.filter(payload__changes__fields=["title"]).count() == 2


def test_a_deleted_task_is_described_by_its_ids():
    WebhookSubscriptionFactory(event_types=["task.deleted"])
    with transaction.atomic():
        publish(task_events.TaskDeleted(actor_id=None, task_id=99, card_type="deal", card_id=5))
    [delivery] = WebhookDelivery.objects.all()
    assert delivery.payload["data"] == {"id": 99, "card_type": "deal", "card_id": 5}


def test_every_public_event_builds_a_payload_for_a_missing_card():
    """A payload never fails the change that produced the event, even for a card already
    gone."""
    for name, event_type in CATALOGUE.items():
        fields = event_type.event_class.__dataclass_fields__
        values = {
            key: (
                ()
                if key in ("fields", "deal_ids")
                else None
                if key.startswith(("from_", "old_", "new_", "card_", "robot_", "created_by"))
                else "x"
                if key.endswith("status")
                else 10**9
            )
            for key in fields
            if key != "occurred_at"
        }
        payload = payload_for(event_type.event_class(**values), event_type, uuid.uuid4())
        assert payload["type"] == name
        assert payload["data"]["id"] == 10**9, name
