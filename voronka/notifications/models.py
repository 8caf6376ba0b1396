"""Notifications: a line of text for one employee, optionally leading to a card or a page.

The text is written when the notification is created and never re-read from the card: an
employee who later loses sight of the card keeps the line but its link answers 404 like any
card they may not see. ``key`` makes a notification idempotent per recipient, so a retried
robot run or a periodic check that looks at the same card again never notifies twice.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    text = models.TextField(_("text"))
    kind = models.CharField(_("kind"), max_length=50, blank=True)
    card_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    card_id = models.PositiveBigIntegerField(null=True, blank=True)
    card = GenericForeignKey("card_type", "card_id")
    url = models.CharField(_("link"), max_length=500, blank=True)
    key = models.CharField(_("key"), max_length=200, null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The list: a recipient's notifications, newest first (unread first is a filter).
            models.Index(fields=["recipient", "read_at", "-created_at", "-id"], name="notif_list"),
            # The bell: a recipient's unread count reads this partial index alone.
            models.Index(
                fields=["recipient"], condition=Q(read_at__isnull=True), name="notif_unread"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"], condition=Q(key__isnull=False), name="notif_unique_key"
            ),
            models.CheckConstraint(
                condition=Q(card_type__isnull=True, card_id__isnull=True)
                | Q(card_type__isnull=False, card_id__isnull=False),
                name="notif_card_type_and_id_together",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.text[:50]}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
