"""Employees (the users of Voronka), the departments tree and absences."""

import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from voronka.core.models import TimeStampedModel


def default_work_days() -> list[int]:
    return [1, 2, 3, 4, 5]  # ISO weekdays, Monday to Friday


class Department(TimeStampedModel):
    name = models.CharField(_("name"), max_length=200)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    head = models.ForeignKey(
        "staff.User",
        verbose_name=_("head"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="headed_departments",
    )
    sort = models.PositiveIntegerField(_("sort"), default=100)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["sort", "name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """An employee. ``first_name``/``last_name`` come from Django; the patronymic is ours."""

    middle_name = models.CharField(_("patronymic"), max_length=150, blank=True)
    position = models.CharField(_("position"), max_length=200, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="employees",
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    photo = models.ImageField(_("photo"), upload_to="staff/photos/", blank=True)
    hourly_cost_rate = models.DecimalField(
        _("hourly cost rate"), max_digits=12, decimal_places=2, default=0
    )
    work_day_start = models.TimeField(_("working day starts"), default=datetime.time(9, 0))
    work_day_end = models.TimeField(_("working day ends"), default=datetime.time(18, 0))
    work_days = models.JSONField(
        _("working days"),
        default=default_work_days,
        help_text=_("ISO weekday numbers, 1 is Monday."),
    )
    # Empty means "the installation's default" (Russian unless configured otherwise).
    language = models.CharField(
        _("interface language"), max_length=10, blank=True, choices=settings.LANGUAGES
    )

    class Meta:
        verbose_name = _("employee")
        verbose_name_plural = _("employees")
        ordering = ["last_name", "first_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(work_day_end__gt=models.F("work_day_start")),
                name="staff_user_work_day_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(hourly_cost_rate__gte=0), name="staff_user_rate_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def get_full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)

    def get_short_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or self.username


class AbsenceKind(models.TextChoices):
    VACATION = "vacation", _("Vacation")
    SICK_LEAVE = "sick_leave", _("Sick leave")
    DAY_OFF = "day_off", _("Day off")
    BUSINESS_TRIP = "business_trip", _("Business trip")


class Absence(TimeStampedModel):
    user = models.ForeignKey(
        User, verbose_name=_("employee"), on_delete=models.CASCADE, related_name="absences"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=AbsenceKind.choices)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))
    comment = models.CharField(_("comment"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        ordering = ["-starts_on"]
        indexes = [models.Index(fields=["user", "starts_on", "ends_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="staff_absence_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        period = f"{self.starts_on:%d.%m.%Y}–{self.ends_on:%d.%m.%Y}"
        return f"{self.user}: {self.get_kind_display()} {period}"
