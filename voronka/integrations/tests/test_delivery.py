"""Sending: the signature a receiver checks with the documented snippet, retries with
exponential back-off, failures recorded, private addresses refused."""

import datetime
import json
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from voronka.integrations import delivery as sender
from voronka.integrations.models import DeliveryStatus, WebhookDelivery
from voronka.integrations.services import (
    claim_due_deliveries,
    deliver_due,
    deliveries_enqueue,
    retry_delay,
)
from voronka.integrations.tests.factories import WebhookSubscriptionFactory

pytestmark = pytest.mark.django_db


def documented_verifier():
    """The verification function exactly as docs/webhooks.md shows it."""
    text = (Path(django_settings.BASE_DIR) / "docs" / "webhooks.md").read_text()
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    namespace: dict = {}
    exec(code, namespace)
    return namespace["verify_voronka_signature"]


def enqueue(subscription, event_type="deal.created", payload=None):
    [created] = deliveries_enqueue(
        event_type=event_type,
        payload=payload or {"type": event_type, "data": {"id": 1, "title": "Поставка"}},
        subscriptions=[subscription],
    )
    return created


def test_the_signature_verifies_with_the_documented_snippet(receiver):
    subscription = WebhookSubscriptionFactory(target_url=receiver.url)
    created = enqueue(subscription)

    assert deliver_due(worker_id="w1") == 1

    [request] = receiver.requests
    verify = documented_verifier()
    assert verify(subscription.secret, request.headers, request.body)
    assert not verify("whsec_wrong", request.headers, request.body)
    assert not verify(subscription.secret, request.headers, request.body + b" ")
    old = {**request.headers, "X-Voronka-Timestamp": str(int(timezone.now().timestamp()) - 3600)}
    assert not verify(subscription.secret, old, request.body)
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Voronka-Event"] == "deal.created"
    assert request.headers["X-Voronka-Delivery"] == str(created.pk)
    assert json.loads(request.body)["data"]["title"] == "Поставка"


def test_sign_is_hmac_sha256_of_timestamp_dot_body():
    assert sender.sign("secret", 1700000000, b'{"a":1}') == (
        "sha256=" + __import__("hmac").new(b"secret", b'1700000000.{"a":1}', "sha256").hexdigest()
    )
    assert sender.verify(
        "secret", "1700000000", b'{"a":1}', sender.sign("secret", 1700000000, b'{"a":1}')
    )


def test_a_500_then_a_200_is_retried_after_a_minute_and_delivered_with_two_attempts(receiver):
    subscription = WebhookSubscriptionFactory(target_url=receiver.url)
    created = enqueue(subscription)
    receiver.answer(500, 200)

    before = timezone.now()
    assert deliver_due(worker_id="w1") == 1
    created.refresh_from_db()
    assert created.status == DeliveryStatus.PENDING
    assert (created.attempts, created.last_status_code) == (1, 500)
    assert created.error == "The receiver answered 500."
    assert created.response_excerpt == "boom"
    wait = created.next_attempt_at - before
    assert datetime.timedelta(seconds=59) < wait < datetime.timedelta(seconds=62)
    # Not due yet: nothing is claimed.
    assert deliver_due(worker_id="w1") == 0

    later = lambda: timezone.now() + datetime.timedelta(seconds=61)  # noqa: E731
    assert deliver_due(worker_id="w1", now=later) == 1
    created.refresh_from_db()
    assert (created.status, created.attempts, created.last_status_code) == (
        DeliveryStatus.DELIVERED,
        2,
        200,
    )
    assert created.delivered_at is not None and created.next_attempt_at is None
    assert len(receiver.requests) == 2
    # Both attempts carried the same event and delivery ids.
    assert {r.headers["X-Voronka-Delivery"] for r in receiver.requests} == {str(created.pk)}


def test_back_off_doubles_from_a_minute_up_to_the_cap(settings):
    settings.WEBHOOKS_RETRY_BASE_SECONDS = 60
    settings.WEBHOOKS_RETRY_MAX_DELAY = 3600
    minutes = [retry_delay(attempts).total_seconds() / 60 for attempts in range(1, 10)]
    assert minutes == [1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_after_the_last_attempt_the_delivery_is_failed(receiver, settings):
    settings.WEBHOOKS_MAX_ATTEMPTS = 3
    subscription = WebhookSubscriptionFactory(target_url=receiver.url)
    created = enqueue(subscription)
    receiver.answer(502, 503, 500)
    now = timezone.now()
    for step in range(3):
        moment = now + datetime.timedelta(hours=step)
        assert deliver_due(worker_id="w1", now=lambda moment=moment: moment) == 1
    created.refresh_from_db()
    assert (created.status, created.attempts, created.last_status_code) == (
        DeliveryStatus.FAILED,
        3,
        500,
    )
    assert created.next_attempt_at is None
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 1
    assert deliver_due(worker_id="w1", now=lambda: now + datetime.timedelta(days=1)) == 0


def test_a_timeout_is_a_failed_attempt(receiver, settings):
    settings.WEBHOOKS_TIMEOUT = 0.3
    receiver.delay = 1
    subscription = WebhookSubscriptionFactory(target_url=receiver.url)
    created = enqueue(subscription)
    deliver_due(worker_id="w1")
    created.refresh_from_db()
    assert created.status == DeliveryStatus.PENDING
    assert created.last_status_code is None
    assert created.error == "The receiver did not answer in time."


def test_a_redirect_is_not_followed_and_counts_as_failed(receiver):
    subscription = WebhookSubscriptionFactory(target_url=receiver.url)
    created = enqueue(subscription)
    receiver.answer(302)
    deliver_due(worker_id="w1")
    created.refresh_from_db()
    assert (created.status, created.last_status_code) == (DeliveryStatus.PENDING, 302)
    assert len(receiver.requests) == 1


def test_a_refused_connection_is_retried(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    subscription = WebhookSubscriptionFactory(target_url="http://127.0.0.1:9/nothing-listens")
    created = enqueue(subscription)
    deliver_due(worker_id="w1")
    created.refresh_from_db()
    assert created.status == DeliveryStatus.PENDING
    assert created.attempts == 1 and created.error


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "ftp://example.com/hook",
    ],
)
def test_private_and_odd_targets_are_refused(url):
    with pytest.raises(sender.TargetRefused):
        sender.check_target(url)
    outcome = sender.send(url, b"{}", "application/json")
    assert outcome.status_code is None and not outcome.ok and outcome.error


def test_a_name_resolving_to_a_private_address_is_refused(monkeypatch):
    monkeypatch.setattr(
        sender.socket,
        "getaddrinfo",
        lambda host, port, **kwargs: [(2, 1, 6, "", ("10.0.0.5", port))],
    )
    with pytest.raises(sender.TargetRefused):
        sender.check_target("https://innocent.example.com/hook")


def test_a_public_address_passes(monkeypatch):
    monkeypatch.setattr(
        sender.socket,
        "getaddrinfo",
        lambda host, port, **kwargs: [(2, 1, 6, "", ("93.184.216.34", port))],
    )
    sender.check_target("https://example.com/hook")


def test_a_refused_target_is_recorded_on_the_delivery_without_a_request():
    subscription = WebhookSubscriptionFactory(target_url="http://127.0.0.1:1/hook")
    created = enqueue(subscription)
    deliver_due(worker_id="w1")
    created.refresh_from_db()
    assert created.status == DeliveryStatus.PENDING
    assert "private or local network" in created.error


def test_a_worker_that_lost_its_lease_does_not_overwrite_the_new_owner(receiver):
    subscription = WebhookSubscriptionFactory(target_url=receiver.url)
    created = enqueue(subscription)
    now = timezone.now()
    assert claim_due_deliveries(worker_id="w1", now=now, lease_seconds=10) == [created.pk]
    # w1 stalls; after its lease w2 claims the row again.
    later = now + datetime.timedelta(seconds=11)
    assert claim_due_deliveries(worker_id="w2", now=later) == [created.pk]
    created.refresh_from_db()
    assert (created.lease_owner, created.attempts) == ("w2", 2)
    from voronka.integrations.services import record_outcome

    assert record_outcome(created, sender.Outcome(status_code=500), worker_id="w1") is None
    assert record_outcome(created, sender.Outcome(status_code=200), worker_id="w2") == "delivered"


def test_deliveries_of_a_switched_off_subscription_wait(receiver):
    subscription = WebhookSubscriptionFactory(target_url=receiver.url, is_active=False)
    enqueue(subscription)
    assert deliver_due(worker_id="w1") == 0
    assert WebhookDelivery.objects.get().status == DeliveryStatus.PENDING


def test_another_format_builds_its_own_body_through_the_same_sender(receiver, monkeypatch):
    """How a Bitrix24 ``event.bind`` subscription is sent: its format's encoder builds a
    form-encoded body; retries, the log and the signature headers stay the same."""
    from urllib.parse import parse_qs, urlencode

    monkeypatch.setattr(sender, "_encoders", dict(sender._encoders))

    def bitrix24_form(subscription, delivery):
        body = urlencode(
            {
                "event": subscription.options["event"],
                "data[FIELDS][ID]": delivery.payload["data"]["id"],
                "auth[application_token]": subscription.options["application_token"],
            }
        ).encode()
        return body, "application/x-www-form-urlencoded", {}

    sender.register_format("bitrix24-form", bitrix24_form)
    subscription = WebhookSubscriptionFactory(
        target_url=receiver.url,
        format="bitrix24-form",
        event_types=["deal.created"],
        options={"event": "ONCRMDEALADD", "application_token": "abc"},
    )
    deliveries_enqueue(event_type="deal.created", payload={"data": {"id": 42}})
    assert deliver_due(worker_id="w1") == 1
    [request] = receiver.requests
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(request.body.decode()) == {
        "event": ["ONCRMDEALADD"],
        "data[FIELDS][ID]": ["42"],
        "auth[application_token]": ["abc"],
    }
    assert documented_verifier()(subscription.secret, request.headers, request.body)
