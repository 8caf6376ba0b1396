"""The chronological feed of every card and the activities planned on it."""

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EntryKind(models.TextChoices):
    CREATED = "created", _("Created")
    FIELD_CHANGED = "field_changed", _("Field changed")
    STAGE_CHANGED = "stage_changed", _("Stage changed")
    COMMENT = "comment", _("Comment")
    ACTIVITY = "activity", _("Activity")
    ACTIVITY_DONE = "activity_done", _("Activity completed")
    CONVERTED = "converted", _("Converted")
    LINKED = "linked", _("Linked")
    DELETED = "deleted", _("Moved to the recycle bin")
    RESTORED = "restored", _("Restored")
    ROBOT = "robot", _("Robot")
    TASK = "task", _("Task")


class TimelineEntry(models.Model):
    """One line of a card's feed. ``payload`` holds the details (changes, stages, links)."""

    card_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    card_id = models.PositiveBigIntegerField()
    card = GenericForeignKey("card_type", "card_id")
    kind = models.CharField(_("kind"), max_length=20, choices=EntryKind.choices)
    author = models.ForeignKey(
        "staff.User",
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    text = models.TextField(_("text"), blank=True)
    payload = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["card_type", "card_id", "-created_at", "-id"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%d.%m.%Y %H:%M}"


class ActivityKind(models.TextChoices):
    CALL = "call", _("Call")
    MEETING = "meeting", _("Meeting")
    EMAIL = "email", _("E-mail")
    TO_DO = "todo", _("To-do")


class Activity(models.Model):
    """Something planned on a card — a call, meeting, e-mail or to-do — with a deadline."""

    card_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    card_id = models.PositiveBigIntegerField()
    card = GenericForeignKey("card_type", "card_id")
    kind = models.CharField(_("kind"), max_length=20, choices=ActivityKind.choices)
    subject = models.CharField(_("subject"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    responsible = models.ForeignKey(
        "staff.User",
        verbose_name=_("responsible"),
        on_delete=models.PROTECT,
        related_name="activities",
    )
    created_by = models.ForeignKey(
        "staff.User",
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    completed_by = models.ForeignKey(
        "staff.User",
        verbose_name=_("completed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    result = models.TextField(_("result"), blank=True)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["deadline", "pk"]
        indexes = [
            models.Index(fields=["card_type", "card_id", "completed_at", "deadline"]),
            models.Index(fields=["responsible", "completed_at", "deadline"]),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_overdue(self) -> bool:
        return (
            self.completed_at is None
            and self.deadline is not None
            and self.deadline < timezone.now()
        )
