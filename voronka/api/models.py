"""Idempotency keys: a POST repeated with the same ``Idempotency-Key`` by the same employee
gets the first answer again instead of creating a second card."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

IDEMPOTENCY_TTL = timedelta(hours=24)


class IdempotencyKey(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("employee"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    key = models.CharField(_("key"), max_length=255)
    request_hash = models.CharField(_("request digest"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("status"))
    response_body = models.JSONField(_("response"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="api_idempotency_unique_key")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.key}"

    @property
    def is_fresh(self) -> bool:
        return self.created_at > timezone.now() - IDEMPOTENCY_TTL
