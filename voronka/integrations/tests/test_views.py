"""Settings → Webhooks: the settings right opens them (a Manager gets 403 everywhere), the
list and the delivery log cost a fixed number of queries, and each button does its job."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from voronka.access.models import Action, AuditEvent, Entity, Scope
from voronka.access.tests.factories import role_with
from voronka.integrations.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from voronka.integrations.services import deliveries_enqueue
from voronka.integrations.tests.factories import WebhookSubscriptionFactory
from voronka.staff.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def reader(department):
    user = UserFactory(username="reader", department=department)
    role_with((Entity.SETTINGS, Action.READ, Scope.ALL), members=[user])
    return user


@pytest.fixture
def subscription():
    return WebhookSubscriptionFactory(name="ERP", target_url="https://erp.example.com/hook")


def deliveries(subscription, count, **fields):
    created = []
    for number in range(count):
        created += deliveries_enqueue(
            event_type="deal.created",
            payload={"type": "deal.created", "data": {"id": number}},
            subscriptions=[subscription],
        )
    if fields:
        WebhookDelivery.objects.filter(pk__in=[d.pk for d in created]).update(**fields)
    return created


def action_urls(subscription, delivery):
    pk = subscription.pk
    return [
        ("get", reverse("integrations:webhook_list")),
        ("get", reverse("integrations:webhook_create")),
        ("post", reverse("integrations:webhook_create")),
        ("get", reverse("integrations:webhook_detail", args=[pk])),
        ("get", reverse("integrations:webhook_update", args=[pk])),
        ("post", reverse("integrations:webhook_update", args=[pk])),
        ("post", reverse("integrations:webhook_switch", args=[pk])),
        ("post", reverse("integrations:webhook_send_test", args=[pk])),
        ("post", reverse("integrations:webhook_secret", args=[pk])),
        ("post", reverse("integrations:webhook_secret_rotate", args=[pk])),
        ("post", reverse("integrations:webhook_delete", args=[pk])),
        ("get", reverse("integrations:webhook_delivery_detail", args=[delivery.pk])),
        ("post", reverse("integrations:webhook_delivery_redeliver", args=[delivery.pk])),
    ]


def test_a_manager_gets_403_on_every_webhook_url(client, manager, subscription):
    [delivery] = deliveries(subscription, 1)
    client.force_login(manager)
    answers = {
        url: getattr(client, method)(url, **HX).status_code
        for method, url in action_urls(subscription, delivery)
    }
    assert set(answers.values()) == {403}, answers
    assert WebhookSubscription.objects.get().secret == subscription.secret


def test_a_settings_reader_sees_but_may_not_act(client, reader, subscription):
    [delivery] = deliveries(subscription, 1)
    client.force_login(reader)
    for method, url in action_urls(subscription, delivery):
        status = getattr(client, method)(url, **HX).status_code
        assert status == (
            200 if method == "get" and "/edit/" not in url and "/new/" not in url else 403
        ), url
    page = client.get(reverse("integrations:webhook_detail", args=[subscription.pk]))
    assert "Show secret" not in page.content.decode()
    assert subscription.secret not in page.content.decode()


def test_unknown_ids_answer_404(client, admin_user):
    client.force_login(admin_user)
    assert client.get(reverse("integrations:webhook_detail", args=[999])).status_code == 404
    assert client.post(reverse("integrations:webhook_switch", args=[999])).status_code == 404
    url = reverse("integrations:webhook_delivery_redeliver", args=[999])
    assert client.post(url).status_code == 404


def test_the_list_costs_the_same_for_more_webhooks(client, admin_user, django_assert_num_queries):
    client.force_login(admin_user)
    for _ in range(2):
        deliveries(WebhookSubscriptionFactory(), 3)
    # session, user, the subscriptions with their counts
    with django_assert_num_queries(3):
        small = client.get(reverse("integrations:webhook_list"))
    for _ in range(4):
        deliveries(WebhookSubscriptionFactory(is_active=False), 2)
    with django_assert_num_queries(3):
        large = client.get(reverse("integrations:webhook_list"))
    assert small.status_code == large.status_code == 200
    assert large.content.decode().count("data-webhook-id=") == 6


def test_the_delivery_log_is_paged_at_a_fixed_cost(
    client, reader, subscription, django_assert_num_queries
):
    deliveries(subscription, 55, status=DeliveryStatus.FAILED, last_status_code=500, attempts=10)
    client.force_login(reader)
    url = reverse("integrations:webhook_detail", args=[subscription.pk])
    # session, user, rights, the subscription, a page of deliveries
    with django_assert_num_queries(5):
        response = client.get(url)
    html = response.content.decode()
    assert html.count("data-delivery-id=") == 50
    assert "Show older deliveries" in html
    newest = WebhookDelivery.objects.order_by("-pk")[49].pk
    with django_assert_num_queries(5):
        more = client.get(url, {"before": newest}, **HX)
    assert more.content.decode().count("data-delivery-id=") == 5
    assert "Show older deliveries" not in more.content.decode()
    assert "<html" not in more.content.decode()


def test_the_log_filters_by_status(client, admin_user, subscription):
    deliveries(subscription, 2, status=DeliveryStatus.DELIVERED, last_status_code=200)
    deliveries(subscription, 1, status=DeliveryStatus.FAILED, last_status_code=500)
    client.force_login(admin_user)
    url = reverse("integrations:webhook_detail", args=[subscription.pk])
    assert client.get(url, {"status": "failed"}).content.decode().count("data-delivery-id=") == 1


def test_creating_a_webhook_shows_its_secret_once(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("integrations:webhook_create"),
        {
            "name": "ERP",
            "target_url": "https://erp.example.com/hook",
            "event_types": ["deal.created", "task.completed"],
        },
        **HX,
    )
    assert response.status_code == 200
    subscription = WebhookSubscription.objects.get()
    assert subscription.event_types == ["deal.created", "task.completed"]
    assert subscription.created_by == admin_user and subscription.is_active
    assert subscription.secret.startswith("whsec_")
    assert subscription.secret in response.content.decode()
    assert "settings:changed" in response["HX-Trigger"]
    assert AuditEvent.objects.filter(action="webhook.created", object_id=subscription.pk).exists()
    page = client.get(reverse("integrations:webhook_detail", args=[subscription.pk]))
    assert subscription.secret not in page.content.decode()


def test_a_private_address_or_no_events_is_refused_in_the_form(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("integrations:webhook_create"),
        {"name": "Inside", "target_url": "http://192.168.1.5/hook"},
        **HX,
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "private or local network" in html
    assert "This field is required" in html
    assert not WebhookSubscription.objects.exists()


def test_editing_changes_address_and_events(client, admin_user, subscription):
    client.force_login(admin_user)
    url = reverse("integrations:webhook_update", args=[subscription.pk])
    assert client.get(url, **HX).status_code == 200
    response = client.post(
        url,
        {
            "name": "ERP 2",
            "target_url": "https://erp2.example.com/in",
            "event_types": ["lead.created"],
        },
        **HX,
    )
    assert response.status_code == 204
    subscription.refresh_from_db()
    assert (subscription.name, subscription.target_url, subscription.event_types) == (
        "ERP 2",
        "https://erp2.example.com/in",
        ["lead.created"],
    )


def test_switching_off_and_on(client, admin_user, subscription):
    client.force_login(admin_user)
    url = reverse("integrations:webhook_switch", args=[subscription.pk])
    assert client.post(url, {"active": "0"}, **HX).status_code == 204
    subscription.refresh_from_db()
    assert not subscription.is_active
    page = client.get(reverse("integrations:webhook_detail", args=[subscription.pk]))
    assert "This webhook is switched off." in page.content.decode()
    assert client.post(url, {"active": "1"}, **HX).status_code == 204
    subscription.refresh_from_db()
    assert subscription.is_active


def test_a_test_event_is_queued(client, admin_user, subscription):
    client.force_login(admin_user)
    url = reverse("integrations:webhook_send_test", args=[subscription.pk])
    assert client.post(url, **HX).status_code == 204
    delivery = WebhookDelivery.objects.get()
    assert delivery.event_type == "webhook.test"
    assert delivery.payload["data"]["subscription_id"] == subscription.pk
    subscription.is_active = False
    subscription.save(update_fields=["is_active"])
    refused = client.post(url, **HX)
    assert refused.status_code == 422
    assert "Switch the webhook on" in refused["HX-Trigger"]


def test_the_secret_on_demand_is_audited_and_can_be_replaced(client, admin_user, subscription):
    client.force_login(admin_user)
    response = client.post(reverse("integrations:webhook_secret", args=[subscription.pk]), **HX)
    assert subscription.secret in response.content.decode()
    assert AuditEvent.objects.filter(action="webhook.secret_shown").count() == 1
    old = subscription.secret
    response = client.post(
        reverse("integrations:webhook_secret_rotate", args=[subscription.pk]), **HX
    )
    subscription.refresh_from_db()
    assert subscription.secret != old
    assert subscription.secret in response.content.decode()


def test_send_again_and_the_delivery_dialog(client, admin_user, subscription):
    [delivery] = deliveries(
        subscription, 1, status=DeliveryStatus.FAILED, last_status_code=500, error="boom"
    )
    client.force_login(admin_user)
    dialog = client.get(reverse("integrations:webhook_delivery_detail", args=[delivery.pk]), **HX)
    assert "&quot;type&quot;: &quot;deal.created&quot;" in dialog.content.decode()
    response = client.post(
        reverse("integrations:webhook_delivery_redeliver", args=[delivery.pk]), **HX
    )
    assert response.status_code == 204
    assert (
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING, event_id=delivery.event_id
        ).count()
        == 1
    )


def test_deleting_a_webhook(client, admin_user, subscription):
    deliveries(subscription, 2)
    client.force_login(admin_user)
    response = client.post(reverse("integrations:webhook_delete", args=[subscription.pk]), **HX)
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("integrations:webhook_list")
    assert not WebhookSubscription.objects.exists() and not WebhookDelivery.objects.exists()
    assert AuditEvent.objects.filter(action="webhook.deleted").exists()


def test_pending_rows_show_their_next_attempt(client, admin_user, subscription):
    moment = timezone.now() + datetime.timedelta(minutes=4)
    deliveries(subscription, 1, attempts=3, last_status_code=503, next_attempt_at=moment)
    client.force_login(admin_user)
    html = client.get(reverse("integrations:webhook_detail", args=[subscription.pk])).content
    assert timezone.localtime(moment).strftime("%d.%m.%Y %H:%M:%S") in html.decode()
