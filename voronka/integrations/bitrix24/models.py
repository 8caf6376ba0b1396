"""What the Bitrix24-compatible API keeps of its own: event bindings and telephony calls."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EventBinding(models.Model):
    """``event.bind``: POST the event ``event`` (``ONCRMLEADADD``…) to ``handler``,
    form-encoded as Bitrix24 does, with ``auth[application_token]``."""

    event = models.CharField(_("event"), max_length=100)
    handler = models.URLField(_("handler URL"), max_length=2000)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("employee"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    token = models.ForeignKey(
        "access.ApiToken",
        verbose_name=_("webhook"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    application_token = models.CharField(_("application token"), max_length=64)
    # The /rest/ address the binding was made through: the ``auth[client_endpoint]`` of events.
    client_endpoint = models.URLField(_("client endpoint"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("Bitrix24 event binding")
        verbose_name_plural = _("Bitrix24 event bindings")
        ordering = ["pk"]
        indexes = [models.Index(fields=["event"])]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "handler", "user"], name="b24_eventbinding_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.handler}"


class CallType(models.IntegerChoices):
    OUTGOING = 1, _("Outgoing")
    INCOMING = 2, _("Incoming")
    INCOMING_REDIRECTED = 3, _("Incoming with redirection")
    CALLBACK = 4, _("Callback")
    INFO = 5, _("Information call")


class ExternalCall(models.Model):
    """A call a PBX reported through ``telephony.externalCall.*``: registered when it rings,
    finished with its duration and status (a call activity on the card), then its record."""

    call_id = models.CharField(_("call id"), max_length=100, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("employee"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    phone = models.CharField(_("phone number"), max_length=64)
    phone_normalized = models.CharField(_("normalised phone"), max_length=64, blank=True)
    call_type = models.PositiveSmallIntegerField(_("type"), choices=CallType.choices)
    line_number = models.CharField(_("line"), max_length=64, blank=True)
    external_call_id = models.CharField(_("PBX call id"), max_length=255, blank=True)
    card_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    card_id = models.PositiveBigIntegerField(null=True, blank=True)
    created_lead_id = models.PositiveBigIntegerField(_("created lead"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    duration = models.PositiveIntegerField(_("duration, s"), null=True, blank=True)
    status_code = models.CharField(_("status"), max_length=10, blank=True)
    failed_reason = models.CharField(_("failure reason"), max_length=255, blank=True)
    cost = models.DecimalField(_("cost"), max_digits=12, decimal_places=2, null=True, blank=True)
    cost_currency = models.CharField(_("cost currency"), max_length=3, blank=True)
    vote = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    activity_id = models.PositiveBigIntegerField(_("call activity"), null=True, blank=True)
    record = models.FileField(_("record"), upload_to="calls/%Y/%m/", blank=True)
    record_url = models.URLField(_("record URL"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("telephony call")
        verbose_name_plural = _("telephony calls")
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["phone_normalized", "started_at"])]

    def __str__(self) -> str:
        return f"{self.phone} {self.started_at:%d.%m.%Y %H:%M}"


class ImportedRecord(models.Model):
    """The id map of ``import_bitrix24``: one record of a Bitrix24 portal (an entity and its
    id there) → the object it became here, with a hash of what was last written from it, so a
    second run finds the object and changes it only when the source changed."""

    # The portal's address without the webhook token (``crm.example.ru``).
    portal = models.CharField(_("portal"), max_length=255)
    entity = models.CharField(_("entity"), max_length=40)
    external_id = models.CharField(_("id in Bitrix24"), max_length=100)
    object_id = models.PositiveBigIntegerField(_("object id"))
    source_hash = models.CharField(_("hash of the source record"), max_length=64)
    created_at = models.DateTimeField(_("imported"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("record imported from Bitrix24")
        verbose_name_plural = _("records imported from Bitrix24")
        ordering = ["portal", "entity", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["portal", "entity", "external_id"], name="b24_importedrecord_unique"
            )
        ]
        indexes = [models.Index(fields=["portal", "entity", "object_id"])]

    def __str__(self) -> str:
        return f"{self.portal} {self.entity} {self.external_id} → {self.object_id}"
