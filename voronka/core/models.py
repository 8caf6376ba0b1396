"""Abstract building blocks shared by every domain model. No domain nouns here."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class SoftDeleteQuerySet(models.QuerySet):
    def alive(self):
        return self.filter(deleted_at__isnull=True)

    def deleted(self):
        return self.filter(deleted_at__isnull=False)


class AliveManager(models.Manager.from_queryset(SoftDeleteQuerySet)):
    """The default manager: cards in the recycle bin are invisible unless asked for."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


class SoftDeleteModel(models.Model):
    """A card that goes to the recycle bin instead of being removed."""

    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True, editable=False)
    deleted_by = models.ForeignKey(
        "staff.User",
        verbose_name=_("deleted by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = AliveManager()
    all_objects = models.Manager.from_queryset(SoftDeleteQuerySet)()

    class Meta:
        abstract = True
        base_manager_name = "all_objects"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class VersionedModel(models.Model):
    """Row version for optimistic concurrency: a stale write is a conflict, never an overwrite."""

    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        abstract = True


class CustomFieldsModel(models.Model):
    """Values of administrator-defined fields, keyed by field code, validated by services."""

    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)

    class Meta:
        abstract = True


class Heartbeat(models.Model):
    """Last sign of life of a background process, so health checks can tell it is running."""

    name = models.CharField(_("process"), max_length=100, unique=True)
    beat_at = models.DateTimeField(_("last beat"))

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return f"{self.name} {self.beat_at:%d.%m.%Y %H:%M:%S}"


class UserPreference(models.Model):
    """A small per-employee setting of the interface (the columns of a list…), as JSON."""

    user = models.ForeignKey(
        "staff.User", on_delete=models.CASCADE, related_name="preferences", verbose_name=_("user")
    )
    key = models.CharField(_("key"), max_length=100)
    value = models.JSONField(_("value"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("user preference")
        verbose_name_plural = _("user preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="userpreference_unique_key")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.key}"
