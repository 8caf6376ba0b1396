"""Tasks: something one employee is to do, with co-executors, observers, a deadline policy, a
checklist and a history of every change, optionally linked to a CRM card."""

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.core.models import TimeStampedModel, VersionedModel


class TaskStatus(models.TextChoices):
    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    AWAITING_CONTROL = "awaiting_control", _("Awaiting control")
    DONE = "done", _("Done")
    DEFERRED = "deferred", _("Deferred")


# Statuses in which somebody still has to act on the task.
OPEN_STATUSES = (
    TaskStatus.NEW,
    TaskStatus.IN_PROGRESS,
    TaskStatus.AWAITING_CONTROL,
    TaskStatus.DEFERRED,
)


class Task(TimeStampedModel, VersionedModel):
    title = models.CharField(_("title"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    created_by = models.ForeignKey(
        "staff.User",
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks_created",
    )
    responsible = models.ForeignKey(
        "staff.User",
        verbose_name=_("responsible"),
        on_delete=models.PROTECT,
        related_name="tasks_responsible",
    )
    co_executors = models.ManyToManyField(
        "staff.User", verbose_name=_("co-executors"), blank=True, related_name="tasks_co_executing"
    )
    observers = models.ManyToManyField(
        "staff.User", verbose_name=_("observers"), blank=True, related_name="tasks_observing"
    )
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=TaskStatus.choices, default=TaskStatus.NEW
    )
    requires_control = models.BooleanField(
        _("accept the result"),
        default=False,
        help_text=_("When the responsible finishes, the creator checks the result and accepts it."),
    )
    result = models.TextField(_("result"), blank=True)
    card_type = models.ForeignKey(
        ContentType,
        verbose_name=_("card type"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    card_id = models.PositiveBigIntegerField(_("card"), null=True, blank=True)
    card = GenericForeignKey("card_type", "card_id")
    robot_run_id = models.CharField(
        _("robot run"),
        max_length=64,
        null=True,
        blank=True,
        editable=False,
        help_text=_("The automation run that created the task; a retry finds it here."),
    )
    started_at = models.DateTimeField(_("started"), null=True, blank=True, editable=False)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["deadline", "pk"]
        indexes = [
            models.Index(fields=["responsible", "status", "deadline"], name="task_responsible"),
            models.Index(fields=["created_by", "status", "deadline"], name="task_created_by"),
            models.Index(fields=["card_type", "card_id", "status"], name="task_card"),
            # Monitoring's overdue check: open tasks past their deadline, whoever holds them.
            models.Index(fields=["status", "deadline"], name="task_status_deadline"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["robot_run_id"],
                condition=Q(robot_run_id__isnull=False),
                name="task_unique_robot_run",
            ),
            models.CheckConstraint(
                condition=Q(card_type__isnull=True, card_id__isnull=True)
                | Q(card_type__isnull=False, card_id__isnull=False),
                name="task_card_type_and_id_together",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status != TaskStatus.DONE

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.deadline is not None and self.deadline < timezone.now()


class ChecklistItem(models.Model):
    task = models.ForeignKey(
        Task, verbose_name=_("task"), on_delete=models.CASCADE, related_name="checklist"
    )
    text = models.CharField(_("text"), max_length=500)
    done = models.BooleanField(_("done"), default=False)
    sort = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["sort", "pk"]

    def __str__(self) -> str:
        return self.text


class TaskEntryKind(models.TextChoices):
    CREATED = "created", _("Created")
    COMMENT = "comment", _("Comment")
    STATUS = "status", _("Status changed")
    FIELD_CHANGED = "field_changed", _("Field changed")
    DEADLINE = "deadline", _("Deadline changed")
    CHECKLIST = "checklist", _("Checklist")


class TaskEntry(models.Model):
    """One line of a task's feed: a comment or a change (status, deadline, responsible…)."""

    task = models.ForeignKey(
        Task, verbose_name=_("task"), on_delete=models.CASCADE, related_name="entries"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=TaskEntryKind.choices)
    author = models.ForeignKey(
        "staff.User",
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    text = models.TextField(_("text"), blank=True)
    payload = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("task feed entry")
        verbose_name_plural = _("task feed entries")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["task", "-created_at", "-id"], name="task_entry_feed")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%d.%m.%Y %H:%M}"


class DeadlineChange(models.Model):
    """Every move of a task's deadline: who moved it, from when to when, and why."""

    task = models.ForeignKey(
        Task, verbose_name=_("task"), on_delete=models.CASCADE, related_name="deadline_changes"
    )
    old_deadline = models.DateTimeField(_("old deadline"), null=True, blank=True)
    new_deadline = models.DateTimeField(_("new deadline"), null=True, blank=True)
    changed_by = models.ForeignKey(
        "staff.User",
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("changed"), default=timezone.now)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("deadline change")
        verbose_name_plural = _("deadline changes")
        ordering = ["-changed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.task_id}: {self.old_deadline} → {self.new_deadline}"
