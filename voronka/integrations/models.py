"""Outbound webhooks: who wants which events at which address, and every delivery to it.

A delivery is a row written in the transaction that produced its event (an outbox), so an
event is never lost and never delivered for a change that was rolled back. Workers claim due
rows under a lease, post them and record the answer; failures are retried with exponential
back-off, and a subscription whose deliveries keep failing is switched off.
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def generate_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class WebhookFormat(models.TextChoices):
    # Our own: a JSON document signed with HMAC-SHA256.
    JSON = "json", _("JSON, signed")
    # Bitrix24 applications bound with event.bind: a form-encoded body (built by that app).
    BITRIX24_FORM = "bitrix24-form", _("Bitrix24 form")


class WebhookSubscription(models.Model):
    name = models.CharField(_("name"), max_length=200)
    target_url = models.URLField(_("target URL"), max_length=2000)
    secret = models.CharField(_("secret"), max_length=100, default=generate_secret)
    event_types = models.JSONField(_("events"), default=list, blank=True)
    format = models.CharField(
        _("format"), max_length=20, choices=WebhookFormat.choices, default=WebhookFormat.JSON
    )
    # What a non-JSON format needs to build its bodies (e.g. a Bitrix24 application's keys).
    options = models.JSONField(_("format options"), default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    consecutive_failures = models.PositiveIntegerField(_("failed deliveries in a row"), default=0)
    disabled_at = models.DateTimeField(_("switched off"), null=True, blank=True)
    disabled_reason = models.CharField(_("why switched off"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["is_active", "format"])]

    def __str__(self) -> str:
        return self.name


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("waiting")
    DELIVERING = "delivering", _("sending")
    DELIVERED = "delivered", _("delivered")
    FAILED = "failed", _("failed")


class WebhookDelivery(models.Model):
    subscription = models.ForeignKey(
        WebhookSubscription,
        verbose_name=_("webhook"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    event_type = models.CharField(_("event"), max_length=64)
    event_id = models.UUIDField(_("event id"))
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    lease_owner = models.CharField(max_length=100, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("answer code"), null=True, blank=True)
    response_excerpt = models.TextField(_("answer"), blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-pk"]
        indexes = [
            # The claim: due waiting rows, and sending rows whose worker's lease ran out.
            models.Index(
                fields=["next_attempt_at"],
                name="integ_delivery_due",
                condition=models.Q(status="pending"),
            ),
            models.Index(
                fields=["lease_until"],
                name="integ_delivery_leased",
                condition=models.Q(status="delivering"),
            ),
            # The log of one subscription, newest first.
            models.Index(fields=["subscription", "-id"], name="integ_delivery_log"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.subscription_id} ({self.status})"
