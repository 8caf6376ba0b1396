"""Pipelines and their stages are data: administrators shape the funnel, code reads the kind."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from voronka.core.models import TimeStampedModel


class PipelineEntity(models.TextChoices):
    LEAD = "lead", _("Leads")
    DEAL = "deal", _("Deals")


class Pipeline(TimeStampedModel):
    """A funnel: the lead funnel, or one deal "direction" (Projects, Support, Complaints…)."""

    entity = models.CharField(_("for"), max_length=10, choices=PipelineEntity.choices)
    name = models.CharField(_("name"), max_length=200)
    sort = models.PositiveIntegerField(_("sort"), default=100)
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")
        ordering = ["entity", "sort", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["entity"], condition=Q(is_default=True), name="pipeline_one_default"
            )
        ]

    def __str__(self) -> str:
        return self.name


class StageKind(models.TextChoices):
    OPEN = "open", _("In progress")
    WON = "won", _("Success")
    LOST = "lost", _("Failure")


class Stage(TimeStampedModel):
    """A column of a pipeline. ``required_fields`` lists the codes (standard field names or
    custom field codes) a card must have filled to enter this stage."""

    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("pipeline"), on_delete=models.CASCADE, related_name="stages"
    )
    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(_("code"), max_length=50)
    color = models.CharField(_("colour"), max_length=7, default="#2f6fed")
    kind = models.CharField(_("kind"), max_length=10, choices=StageKind.choices)
    sort = models.PositiveIntegerField(_("sort"), default=100)
    probability = models.PositiveSmallIntegerField(_("probability, %"), null=True, blank=True)
    required_fields = models.JSONField(_("required fields"), default=list, blank=True)

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["pipeline", "sort", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "code"], name="stage_unique_code"),
            models.CheckConstraint(
                condition=Q(color__regex=r"^#[0-9A-Fa-f]{6}$"), name="stage_color_hex"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.kind != StageKind.OPEN


class LossReason(TimeStampedModel):
    name = models.CharField(_("name"), max_length=200)
    sort = models.PositiveIntegerField(_("sort"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("loss reason")
        verbose_name_plural = _("loss reasons")
        ordering = ["sort", "name"]

    def __str__(self) -> str:
        return self.name
