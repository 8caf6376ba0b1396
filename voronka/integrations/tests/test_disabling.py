"""A subscription whose deliveries keep failing is switched off, the administrators are told
and the audit log records it; switching it on again sends what waited."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from voronka.access.models import AuditEvent, Role
from voronka.integrations.models import DeliveryStatus, WebhookDelivery
from voronka.integrations.services import (
    deliver_due,
    deliveries_enqueue,
    delivery_redeliver,
    subscription_set_active,
)
from voronka.integrations.tests.factories import WebhookSubscriptionFactory
from voronka.notifications.models import Notification
from voronka.staff.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def failing(receiver, settings):
    settings.WEBHOOKS_MAX_ATTEMPTS = 1
    settings.WEBHOOKS_DISABLE_AFTER_FAILURES = 3
    receiver.answer(*[500] * 10)
    return receiver


def enqueue(subscription, count=1):
    for number in range(count):
        deliveries_enqueue(
            event_type="deal.created",
            payload={"type": "deal.created", "data": {"id": number}},
            subscriptions=[subscription],
        )


def test_after_n_failed_deliveries_in_a_row_it_is_switched_off_with_notice_and_audit(
    failing, admin_user, django_capture_on_commit_callbacks
):
    admin_user.email = "admin@example.com"
    admin_user.save(update_fields=["email"])
    role_admin = UserFactory(username="boss", email="boss@example.com")
    Role.objects.get(code="administrator").members.add(role_admin)
    UserFactory(username="nobody", email="nobody@example.com")
    subscription = WebhookSubscriptionFactory(target_url=failing.url, name="ERP")
    enqueue(subscription, count=5)

    with django_capture_on_commit_callbacks(execute=True):
        deliver_due(worker_id="w1", batch=1)

    subscription.refresh_from_db()
    assert not subscription.is_active
    assert subscription.consecutive_failures == 3
    assert subscription.disabled_at is not None
    assert "3 deliveries in a row failed" in subscription.disabled_reason
    assert "500" in subscription.disabled_reason
    # The third failure switched it off: the other two wait.
    assert len(failing.requests) == 3
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.FAILED).count() == 3
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).count() == 2
    event = AuditEvent.objects.get(action="webhook.disabled")
    assert event.object_id == str(subscription.pk) and event.actor is None
    assert event.details["consecutive_failures"] == 3
    notices = Notification.objects.filter(kind="webhook")
    assert sorted(notices.values_list("recipient__username", flat=True)) == ["admin", "boss"]
    notice = notices.first()
    assert "ERP" in notice.text and "switched off" in notice.text
    assert notice.url == f"/settings/webhooks/{subscription.pk}/"


def test_the_notice_goes_by_e_mail_where_notifications_are_mailed(
    failing, admin_user, settings, django_capture_on_commit_callbacks
):
    settings.NOTIFICATIONS_EMAIL = True
    admin_user.email = "admin@example.com"
    admin_user.save(update_fields=["email"])
    subscription = WebhookSubscriptionFactory(target_url=failing.url, name="ERP")
    enqueue(subscription, count=3)
    with django_capture_on_commit_callbacks(execute=True):
        deliver_due(worker_id="w1", batch=1)
    [letter] = mail.outbox
    assert letter.to == ["admin@example.com"]
    assert "ERP" in letter.body


def test_a_delivered_event_resets_the_count(receiver, settings):
    settings.WEBHOOKS_MAX_ATTEMPTS = 1
    settings.WEBHOOKS_DISABLE_AFTER_FAILURES = 3
    receiver.answer(500, 500, 200, 500, 500)
    subscription = WebhookSubscriptionFactory(target_url=receiver.url)
    enqueue(subscription, count=5)
    deliver_due(worker_id="w1", batch=1)
    subscription.refresh_from_db()
    assert subscription.is_active
    assert subscription.consecutive_failures == 2


def test_switching_on_again_starts_over_and_sends_what_waited(
    failing, admin_user, django_capture_on_commit_callbacks
):
    subscription = WebhookSubscriptionFactory(target_url=failing.url)
    enqueue(subscription, count=4)
    deliver_due(worker_id="w1", batch=1)
    subscription.refresh_from_db()
    assert not subscription.is_active
    failing.answers.clear()

    later = timezone.now() + datetime.timedelta(minutes=1)
    subscription_set_active(actor=admin_user, subscription=subscription, active=True)
    subscription.refresh_from_db()
    assert subscription.is_active and subscription.consecutive_failures == 0
    assert subscription.disabled_at is None and subscription.disabled_reason == ""
    assert AuditEvent.objects.filter(action="webhook.enabled", actor=admin_user).exists()
    assert deliver_due(worker_id="w1", now=lambda: later) == 1
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 1


def test_a_failed_delivery_is_sent_again_as_a_new_delivery_with_the_same_event(
    receiver, admin_user, settings
):
    settings.WEBHOOKS_MAX_ATTEMPTS = 1
    receiver.answer(500)
    subscription = WebhookSubscriptionFactory(target_url=receiver.url)
    enqueue(subscription)
    deliver_due(worker_id="w1")
    failed = WebhookDelivery.objects.get()
    assert failed.status == DeliveryStatus.FAILED

    again = delivery_redeliver(actor=admin_user, delivery=failed)
    deliver_due(worker_id="w1")

    again.refresh_from_db()
    assert again.pk != failed.pk
    assert (again.status, again.attempts, again.event_id) == (
        DeliveryStatus.DELIVERED,
        1,
        failed.event_id,
    )
    assert again.payload == failed.payload
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.FAILED
    assert receiver.requests[0].body == receiver.requests[1].body
    assert AuditEvent.objects.filter(action="webhook.redelivered").exists()


def test_old_finished_deliveries_leave_the_log_and_waiting_ones_stay(settings):
    from voronka.integrations.services import deliveries_purge

    settings.WEBHOOKS_KEEP_DAYS = 30
    subscription = WebhookSubscriptionFactory()
    enqueue(subscription, count=4)
    old = timezone.now() - datetime.timedelta(days=31)
    rows = list(WebhookDelivery.objects.order_by("pk"))
    WebhookDelivery.objects.filter(pk=rows[0].pk).update(
        status=DeliveryStatus.DELIVERED, created_at=old
    )
    WebhookDelivery.objects.filter(pk=rows[1].pk).update(
        status=DeliveryStatus.FAILED, created_at=old
    )
    WebhookDelivery.objects.filter(pk=rows[2].pk).update(created_at=old)
    WebhookDelivery.objects.filter(pk=rows[3].pk).update(status=DeliveryStatus.DELIVERED)

    assert deliveries_purge() == 2
    assert set(WebhookDelivery.objects.values_list("pk", flat=True)) == {rows[2].pk, rows[3].pk}
