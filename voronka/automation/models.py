"""Robots on pipeline stages and their runs.

A run is a row, never a timer in a worker's memory: it is created in the transaction that moves
the card, claimed by a worker under a lease, and finished with an outcome and a trace that say
what it did and why. Side effects are keyed by the run id so a retried run never repeats one.
"""

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.core.models import TimeStampedModel


class Robot(TimeStampedModel):
    """An action that runs when a card enters ``stage``: when (``timing``), if (``condition``)
    and what (``action`` with ``params``). ``state`` keeps what a strategy remembers between
    runs, such as the last employee of a round-robin."""

    pipeline = models.ForeignKey(
        "sales.Pipeline", verbose_name=_("pipeline"), on_delete=models.CASCADE, related_name="+"
    )
    stage = models.ForeignKey(
        "sales.Stage", verbose_name=_("stage"), on_delete=models.CASCADE, related_name="robots"
    )
    sort = models.PositiveIntegerField(_("sort"), default=100)
    name = models.CharField(_("name"), max_length=200)
    action = models.CharField(_("action"), max_length=50)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    condition = models.JSONField(_("condition"), default=dict, blank=True)
    timing = models.JSONField(_("timing"), default=dict, blank=True)
    state = models.JSONField(_("state"), default=dict, blank=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("robot")
        verbose_name_plural = _("robots")
        ordering = ["pipeline", "stage", "sort", "pk"]
        indexes = [models.Index(fields=["stage", "is_active", "sort"])]

    def __str__(self) -> str:
        return self.name


class RunStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    SKIPPED = "skipped", _("Skipped")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = (RunStatus.PLANNED, RunStatus.RUNNING)
FINISHED_STATUSES = (RunStatus.DONE, RunStatus.SKIPPED, RunStatus.FAILED, RunStatus.CANCELLED)


class RobotRun(models.Model):
    """One run of a robot for one card that entered the robot's stage."""

    robot = models.ForeignKey(
        Robot, verbose_name=_("robot"), on_delete=models.CASCADE, related_name="runs"
    )
    card_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    card_id = models.PositiveBigIntegerField()
    card = GenericForeignKey("card_type", "card_id")
    stage = models.ForeignKey(
        "sales.Stage",
        verbose_name=_("stage entered"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=RunStatus.choices, default=RunStatus.PLANNED
    )
    due_at = models.DateTimeField(_("due"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # How many robot runs led to this one: a robot moving a card into a stage whose robot moves
    # it back would otherwise loop for ever.
    depth = models.PositiveSmallIntegerField(_("chain depth"), default=0)
    lease_owner = models.CharField(_("worker"), max_length=200, blank=True)
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    trace = models.JSONField(_("trace"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("robot run")
        verbose_name_plural = _("robot runs")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The claim: planned runs that are due, oldest first…
            models.Index(fields=["status", "due_at"], name="robotrun_claim"),
            # …and running runs whose worker's lease has expired.
            models.Index(fields=["status", "lease_until"], name="robotrun_lease"),
            # A card's runs: the timeline panel and the cancellation on leaving a stage.
            models.Index(fields=["card_type", "card_id", "status"], name="robotrun_card"),
        ]

    def __str__(self) -> str:
        return f"{self.robot_id} → {self.card_type_id}:{self.card_id} {self.status}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class RunEffect(models.Model):
    """A side effect a run has performed, written in the transaction of the effect itself: a
    retried run finds it and does not repeat the effect."""

    run = models.ForeignKey(RobotRun, on_delete=models.CASCADE, related_name="effects")
    key = models.CharField(_("key"), max_length=100)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("robot run effect")
        verbose_name_plural = _("robot run effects")
        constraints = [models.UniqueConstraint(fields=["run", "key"], name="runeffect_unique_key")]

    def __str__(self) -> str:
        return f"{self.run_id}: {self.key}"


class Trigger(TimeStampedModel):
    """An event that moves a card of ``pipeline`` into ``stage`` when it happens: a task
    completed, a field changed, a call or e-mail from the client, a date reached, an inbound
    webhook called… ``kind`` names the event, ``params`` narrow it and ``condition`` (the robots'
    condition shape) must hold on the card. A card is moved only forward unless
    ``allow_backwards``."""

    pipeline = models.ForeignKey(
        "sales.Pipeline", verbose_name=_("pipeline"), on_delete=models.CASCADE, related_name="+"
    )
    stage = models.ForeignKey(
        "sales.Stage",
        verbose_name=_("target stage"),
        on_delete=models.CASCADE,
        related_name="triggers",
    )
    sort = models.PositiveIntegerField(_("sort"), default=100)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("event"), max_length=50)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    condition = models.JSONField(_("condition"), default=dict, blank=True)
    allow_backwards = models.BooleanField(_("may move a card back"), default=False)
    # The inbound webhook's secret: part of the trigger's URL, compared in constant time.
    secret = models.CharField(_("secret"), max_length=64, blank=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("trigger")
        verbose_name_plural = _("triggers")
        ordering = ["pipeline", "stage", "sort", "pk"]
        indexes = [models.Index(fields=["kind", "is_active"], name="trigger_kind")]

    def __str__(self) -> str:
        return self.name


class MonitoringRule(TimeStampedModel):
    """A periodic check (SLA of a new lead, overdue tasks, deals without a task, birthdays…):
    ``kind`` names the check, ``params`` its thresholds and what to do, ``pipeline`` narrows
    it to one pipeline where that makes sense. Switched off until an administrator turns it on."""

    kind = models.CharField(_("check"), max_length=50)
    name = models.CharField(_("name"), max_length=200)
    pipeline = models.ForeignKey(
        "sales.Pipeline",
        verbose_name=_("pipeline"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=False)
    last_checked_at = models.DateTimeField(_("last checked"), null=True, blank=True)

    class Meta:
        verbose_name = _("monitoring rule")
        verbose_name_plural = _("monitoring rules")
        ordering = ["kind", "pk"]

    def __str__(self) -> str:
        return self.name


class MonitoringHit(models.Model):
    """That a rule has already acted on a card for ``key`` (a day, a task, a deadline), so a
    check that runs every minute notifies or creates a task once, not every minute."""

    rule = models.ForeignKey(MonitoringRule, on_delete=models.CASCADE, related_name="hits")
    card_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    card_id = models.PositiveBigIntegerField()
    card = GenericForeignKey("card_type", "card_id")
    key = models.CharField(_("key"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("monitoring hit")
        verbose_name_plural = _("monitoring hits")
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "card_type", "card_id", "key"], name="monitoringhit_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} → {self.card_type_id}:{self.card_id} {self.key}"


class TriggerHit(models.Model):
    """That a periodic trigger (a date reached) has acted on a card for ``key`` (the date it
    waited for), so a check that runs every minute moves a card once per date value. A change
    of the card's date field clears the row: the new date may fire again."""

    trigger = models.ForeignKey(Trigger, on_delete=models.CASCADE, related_name="hits")
    card_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    card_id = models.PositiveBigIntegerField()
    key = models.CharField(_("key"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("trigger hit")
        verbose_name_plural = _("trigger hits")
        constraints = [
            models.UniqueConstraint(
                fields=["trigger", "card_type", "card_id"], name="triggerhit_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.trigger_id} → {self.card_type_id}:{self.card_id} {self.key}"
