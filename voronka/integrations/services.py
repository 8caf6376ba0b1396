"""Writes of outbound webhooks: subscriptions, the deliveries of events, and the workers'
claim → send → record cycle with retries, back-off and switching a failing subscription off.
"""

import datetime
import logging
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.access.predicates import can
from voronka.access.services import audit_record
from voronka.integrations import delivery as sender
from voronka.integrations.conf import setting
from voronka.integrations.events import CATALOGUE, TEST_EVENT
from voronka.integrations.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookFormat,
    WebhookSubscription,
    generate_secret,
)

logger = logging.getLogger(__name__)


def _require_settings(actor, action: str) -> None:
    """``actor`` None is the system (workers, other apps' services) and passes."""
    if actor is not None and not can(actor, action, "settings"):
        raise PermissionDenied


# ---- Subscriptions ---------------------------------------------------------------------------


def _clean(
    *, name: str, target_url: str, event_types: Iterable[str], format: str, exclude_pk=None
) -> tuple[str, str, list[str]]:
    errors: dict[str, list[str]] = {}
    name = name.strip()
    if not name:
        errors["name"] = [_("Give the webhook a name.")]
    target_url = target_url.strip()
    try:
        sender.validate_target_url(target_url)
    except ValidationError as error:
        errors["target_url"] = error.messages
    event_types = list(dict.fromkeys(event_types))
    if format == WebhookFormat.JSON:
        unknown = [name for name in event_types if name not in CATALOGUE]
        if unknown:
            errors["event_types"] = [
                _("Unknown events: %(names)s.") % {"names": ", ".join(unknown)}
            ]
        elif not event_types:
            errors["event_types"] = [_("Choose at least one event.")]
    if format not in WebhookFormat.values:
        errors["format"] = [_("Unknown format.")]
    if errors:
        raise ValidationError(errors)
    return name, target_url, event_types


def subscription_create(
    *,
    actor,
    name: str,
    target_url: str,
    event_types: Iterable[str],
    format: str = WebhookFormat.JSON,
    options: dict | None = None,
    request=None,
) -> WebhookSubscription:
    """A new active subscription with a freshly generated secret (``subscription.secret``:
    show it to its creator once)."""
    _require_settings(actor, "add")
    name, target_url, event_types = _clean(
        name=name, target_url=target_url, event_types=event_types, format=format
    )
    with transaction.atomic():
        subscription = WebhookSubscription.objects.create(
            name=name,
            target_url=target_url,
            event_types=event_types,
            format=format,
            options=options or {},
            created_by=actor,
        )
        audit_record(
            action="webhook.created",
            actor=actor,
            request=request,
            obj=subscription,
            details={"target_url": target_url, "event_types": event_types},
        )
    return subscription


def subscription_update(
    *,
    actor,
    subscription: WebhookSubscription,
    name: str,
    target_url: str,
    event_types: Iterable[str],
    request=None,
) -> WebhookSubscription:
    _require_settings(actor, "update")
    name, target_url, event_types = _clean(
        name=name,
        target_url=target_url,
        event_types=event_types,
        format=subscription.format,
        exclude_pk=subscription.pk,
    )
    changed = {
        key: value
        for key, value in (
            ("name", name),
            ("target_url", target_url),
            ("event_types", event_types),
        )
        if getattr(subscription, key) != value
    }
    if not changed:
        return subscription
    with transaction.atomic():
        for key, value in changed.items():
            setattr(subscription, key, value)
        subscription.save(update_fields=[*changed, "updated_at"])
        audit_record(
            action="webhook.updated",
            actor=actor,
            request=request,
            obj=subscription,
            details={key: value for key, value in changed.items()},
        )
    return subscription


def subscription_set_active(
    *, actor, subscription: WebhookSubscription, active: bool, request=None
) -> WebhookSubscription:
    """Switch a subscription on (its waiting deliveries go out again, the failure count starts
    over) or off (nothing is sent while it is off; new events are still recorded)."""
    _require_settings(actor, "update")
    if subscription.is_active == active:
        return subscription
    with transaction.atomic():
        subscription.is_active = active
        if active:
            subscription.consecutive_failures = 0
            subscription.disabled_at = None
            subscription.disabled_reason = ""
        else:
            subscription.disabled_at = timezone.now()
            subscription.disabled_reason = _("Switched off by %(name)s.") % {
                "name": actor.get_full_name() or actor.get_username() if actor else _("the system")
            }
        subscription.save(
            update_fields=[
                "is_active",
                "consecutive_failures",
                "disabled_at",
                "disabled_reason",
                "updated_at",
            ]
        )
        audit_record(
            action="webhook.enabled" if active else "webhook.switched_off",
            actor=actor,
            request=request,
            obj=subscription,
        )
        if active:
            # Deliveries that waited while it was off go out now rather than at their old time.
            subscription.deliveries.filter(status=DeliveryStatus.PENDING).update(
                next_attempt_at=timezone.now()
            )
            kick_workers()
    return subscription


def subscription_delete(*, actor, subscription: WebhookSubscription, request=None) -> None:
    _require_settings(actor, "delete")
    with transaction.atomic():
        audit_record(action="webhook.deleted", actor=actor, request=request, obj=subscription)
        subscription.delete()


def subscription_secret_reveal(*, actor, subscription: WebhookSubscription, request=None) -> str:
    """The secret, for someone who may change the settings; every look is in the audit log."""
    _require_settings(actor, "update")
    audit_record(action="webhook.secret_shown", actor=actor, request=request, obj=subscription)
    return subscription.secret


def subscription_secret_rotate(*, actor, subscription: WebhookSubscription, request=None) -> str:
    """A new secret; deliveries from now on are signed with it."""
    _require_settings(actor, "update")
    with transaction.atomic():
        subscription.secret = generate_secret()
        subscription.save(update_fields=["secret", "updated_at"])
        audit_record(
            action="webhook.secret_rotated", actor=actor, request=request, obj=subscription
        )
    return subscription.secret


# ---- Deliveries of events --------------------------------------------------------------------


def active_subscriptions(event_type: str) -> list[WebhookSubscription]:
    """The active subscriptions that want ``event_type``: one query over the (short) table of
    active subscriptions, filtered here because JSON containment differs between databases."""
    return [
        subscription
        for subscription in WebhookSubscription.objects.filter(is_active=True).only(
            "pk", "event_types"
        )
        if event_type in subscription.event_types
    ]


def deliveries_enqueue(
    *,
    event_type: str,
    payload: dict | Callable[[uuid.UUID], dict],
    subscriptions: list[WebhookSubscription] | None = None,
    event_id: uuid.UUID | None = None,
) -> list[WebhookDelivery]:
    """Write one waiting delivery of the event per matching subscription, in the current
    transaction (one bulk insert), and ask a worker to send them once it commits.

    ``payload`` may be a function of the event id, called only when somebody is subscribed
    (building it reads the card). ``subscriptions`` overrides the lookup by ``event_type``
    (a Bitrix24 ``event.bind`` may match by its own names)."""
    if subscriptions is None:
        subscriptions = active_subscriptions(event_type)
    if not subscriptions:
        return []
    event_id = event_id or uuid.uuid4()
    body = payload(event_id) if callable(payload) else payload
    now = timezone.now()
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                subscription_id=subscription.pk,
                event_type=event_type,
                event_id=event_id,
                payload=body,
                next_attempt_at=now,
                created_at=now,
            )
            for subscription in subscriptions
        ]
    )
    kick_workers()
    return deliveries


def subscription_send_test(
    *, actor, subscription: WebhookSubscription, request=None
) -> WebhookDelivery:
    """Queue a ``webhook.test`` event to the subscription alone (it must be on)."""
    _require_settings(actor, "update")
    if not subscription.is_active:
        raise ValidationError(_("Switch the webhook on to send it a test event."))
    event_id = uuid.uuid4()
    payload = {
        "id": str(event_id),
        "type": TEST_EVENT,
        "occurred_at": timezone.now().isoformat(),
        "actor_id": actor.pk if actor is not None else None,
        "data": {"subscription_id": subscription.pk, "name": subscription.name},
        "changes": {},
    }
    with transaction.atomic():
        [created] = deliveries_enqueue(
            event_type=TEST_EVENT, payload=payload, subscriptions=[subscription], event_id=event_id
        )
    return created


def delivery_redeliver(*, actor, delivery: WebhookDelivery, request=None) -> WebhookDelivery:
    """Send a delivery's event again as a new delivery (same event id, so a receiver that
    already has it can tell), kept in the log beside the original."""
    _require_settings(actor, "update")
    subscription = delivery.subscription
    if not subscription.is_active:
        raise ValidationError(_("Switch the webhook on to send its events again."))
    with transaction.atomic():
        [created] = deliveries_enqueue(
            event_type=delivery.event_type,
            payload=delivery.payload,
            subscriptions=[subscription],
            event_id=delivery.event_id,
        )
        audit_record(
            action="webhook.redelivered",
            actor=actor,
            request=request,
            obj=subscription,
            details={"delivery": delivery.pk, "new_delivery": created.pk},
        )
    return created


def _kick() -> None:
    from voronka.integrations.tasks import deliver_due

    try:
        deliver_due.delay()
    except Exception:  # a broker hiccup must not fail the change; beat catches up
        logger.warning(
            "Could not enqueue integrations.deliver_due; beat picks it up", exc_info=True
        )


def kick_workers() -> None:
    """Ask a worker to send waiting deliveries once the transaction commits — once per
    transaction however many events it produced."""
    pending = getattr(connection, "run_on_commit", None) or ()
    if any(entry[1] is _kick for entry in pending):
        return
    transaction.on_commit(_kick)


# ---- Claiming and sending --------------------------------------------------------------------


def _lock_options() -> dict[str, Any]:
    # SQLite has one writer at a time; the claim's transaction is that writer, so no hints.
    # On PostgreSQL only the delivery rows are locked, not their subscriptions' rows.
    features = connection.features
    options: dict[str, Any] = {}
    if features.has_select_for_update_skip_locked:
        options["skip_locked"] = True
    if features.has_select_for_update_of:
        options["of"] = ("self",)
    return options


def retry_delay(attempts: int) -> datetime.timedelta:
    """How long to wait after the ``attempts``-th failed attempt: 1, 2, 4 … minutes, capped."""
    base = setting("WEBHOOKS_RETRY_BASE_SECONDS")
    seconds = min(base * 2 ** max(attempts - 1, 0), setting("WEBHOOKS_RETRY_MAX_DELAY"))
    return datetime.timedelta(seconds=seconds)


def claim_due_deliveries(
    *,
    worker_id: str,
    limit: int | None = None,
    lease_seconds: int | None = None,
    now: datetime.datetime | None = None,
) -> list[int]:
    """Claim up to ``limit`` deliveries of active subscriptions for ``worker_id``: waiting ones
    that are due, and those whose worker's lease ran out. Rows another worker is claiming at
    the same moment are skipped, never waited for or taken twice."""
    limit = limit or setting("WEBHOOKS_BATCH_SIZE")
    lease_seconds = lease_seconds or setting("WEBHOOKS_LEASE_SECONDS")
    now = now or timezone.now()
    active = WebhookSubscription.objects.filter(is_active=True).values("pk")
    with transaction.atomic():
        rows = WebhookDelivery.objects.select_for_update(**_lock_options()).filter(
            subscription_id__in=active
        )
        ids = list(
            rows.filter(status=DeliveryStatus.DELIVERING, lease_until__lt=now)
            .order_by("lease_until", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        if len(ids) < limit:
            ids += list(
                rows.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
                .order_by("next_attempt_at", "pk")
                .values_list("pk", flat=True)[: limit - len(ids)]
            )
        if ids:
            WebhookDelivery.objects.filter(pk__in=ids).update(
                status=DeliveryStatus.DELIVERING,
                lease_owner=worker_id,
                lease_until=now + datetime.timedelta(seconds=lease_seconds),
                attempts=F("attempts") + 1,
                last_attempt_at=now,
            )
    return ids


def attempt(
    delivery: WebhookDelivery,
    *,
    worker_id: str,
    now: Callable[[], datetime.datetime] = timezone.now,
) -> str | None:
    """Send one claimed delivery and record the answer; returns its new status (None when
    another worker took it over meanwhile)."""
    subscription = delivery.subscription
    timestamp = int(timezone.now().timestamp())
    body, content_type, headers = sender.build_request(subscription, delivery, timestamp=timestamp)
    outcome = sender.send(subscription.target_url, body, content_type, headers)
    return record_outcome(delivery, outcome, worker_id=worker_id, now=now())


def record_outcome(
    delivery: WebhookDelivery,
    outcome: sender.Outcome,
    *,
    worker_id: str,
    now: datetime.datetime | None = None,
) -> str | None:
    now = now or timezone.now()
    fields: dict[str, Any] = {
        "last_status_code": outcome.status_code,
        "response_excerpt": outcome.excerpt,
        "error": outcome.error[:500],
        "lease_owner": "",
        "lease_until": None,
    }
    if outcome.ok:
        status = DeliveryStatus.DELIVERED
        fields.update(status=status, delivered_at=now, next_attempt_at=None)
    elif delivery.attempts >= setting("WEBHOOKS_MAX_ATTEMPTS"):
        status = DeliveryStatus.FAILED
        fields.update(status=status, next_attempt_at=None)
    else:
        status = DeliveryStatus.PENDING
        fields.update(status=status, next_attempt_at=now + retry_delay(delivery.attempts))
    with transaction.atomic():
        updated = WebhookDelivery.objects.filter(
            pk=delivery.pk, status=DeliveryStatus.DELIVERING, lease_owner=worker_id
        ).update(**fields)
        if not updated:
            return None
        if status == DeliveryStatus.DELIVERED:
            if delivery.subscription.consecutive_failures:
                WebhookSubscription.objects.filter(pk=delivery.subscription_id).update(
                    consecutive_failures=0
                )
        elif status == DeliveryStatus.FAILED:
            _count_failure(delivery.subscription_id, last_error=outcome.error)
    return status


def _count_failure(subscription_id: int, *, last_error: str) -> None:
    """One more delivery failed for good; switch the subscription off when they keep failing."""
    subscription = (
        WebhookSubscription.objects.select_for_update().filter(pk=subscription_id).first()
    )
    if subscription is None:
        return
    subscription.consecutive_failures += 1
    subscription.save(update_fields=["consecutive_failures"])
    limit = setting("WEBHOOKS_DISABLE_AFTER_FAILURES")
    if subscription.is_active and subscription.consecutive_failures >= limit:
        _disable(subscription, last_error=last_error)


def _disable(subscription: WebhookSubscription, *, last_error: str) -> None:
    subscription.is_active = False
    subscription.disabled_at = timezone.now()
    subscription.disabled_reason = _(
        "%(count)s deliveries in a row failed; the last one: %(error)s"
    ) % {"count": subscription.consecutive_failures, "error": last_error or "—"}
    subscription.disabled_reason = subscription.disabled_reason[:500]
    subscription.save(update_fields=["is_active", "disabled_at", "disabled_reason", "updated_at"])
    audit_record(
        action="webhook.disabled",
        obj=subscription,
        details={
            "consecutive_failures": subscription.consecutive_failures,
            "last_error": last_error,
        },
    )
    notify_administrators_disabled(subscription)


def administrators():
    from voronka.staff.models import User

    return User.objects.filter(
        Q(is_superuser=True) | Q(access_roles__code="administrator"), is_active=True
    ).distinct()


def notify_administrators_disabled(subscription: WebhookSubscription) -> int:
    """Tell the administrators (in their notifications, and by e-mail where those are sent)
    that a webhook was switched off, in the transaction that switched it off. Returns how many
    were told."""
    from voronka.notifications.services import Message, notify_many

    text = _("The webhook “%(name)s” (%(url)s) was switched off: %(reason)s") % {
        "name": subscription.name,
        "url": subscription.target_url,
        "reason": subscription.disabled_reason,
    }
    url = reverse("integrations:webhook_detail", args=[subscription.pk])
    key = f"webhook-disabled:{subscription.pk}:{subscription.disabled_at:%Y%m%d%H%M%S%f}"
    return notify_many(
        Message(recipient=user_id, text=text, url=url, kind="webhook", key=key)
        for user_id in administrators().values_list("pk", flat=True)
    )


def deliver_due(
    *,
    worker_id: str,
    batch: int | None = None,
    max_seconds: float | None = None,
    now: Callable[[], datetime.datetime] = timezone.now,
) -> int:
    """Claim and send due deliveries batch after batch until none is due or ``max_seconds``
    pass. Returns how many attempts were made."""
    started = now()
    done = 0
    while True:
        ids = claim_due_deliveries(worker_id=worker_id, limit=batch, now=now())
        if not ids:
            return done
        deliveries = WebhookDelivery.objects.select_related("subscription").filter(pk__in=ids)
        for delivery in deliveries.order_by("pk"):
            attempt(delivery, worker_id=worker_id, now=now)
            done += 1
        if max_seconds is not None and (now() - started).total_seconds() > max_seconds:
            return done


def deliveries_purge(*, now: datetime.datetime | None = None) -> int:
    """Remove delivered and failed deliveries older than ``WEBHOOKS_KEEP_DAYS`` from the log;
    waiting ones stay whatever their age. Returns how many went."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=setting("WEBHOOKS_KEEP_DAYS"))
    deleted, _by_model = WebhookDelivery.objects.filter(
        status__in=(DeliveryStatus.DELIVERED, DeliveryStatus.FAILED), created_at__lt=cutoff
    ).delete()
    return deleted
