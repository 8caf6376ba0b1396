"""Writes for employees, departments and absences."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from voronka.staff.models import Absence, Department, User
from voronka.staff.selectors import department_descendant_ids


@transaction.atomic
def department_create(
    *, actor: User | None, name: str, parent: Department | None = None, head: User | None = None
) -> Department:
    department = Department(name=name, parent=parent, head=head)
    department.full_clean()
    department.save()
    return department


@transaction.atomic
def department_set_parent(
    *, actor: User | None, department: Department, parent: Department | None
) -> Department:
    """Move a department in the tree; a department cannot end up below itself."""
    if parent is not None and parent.pk in department_descendant_ids(department.pk):
        raise ValidationError(
            {"parent": _("A department cannot be placed inside itself or its sub-department.")}
        )
    department.parent = parent
    department.save(update_fields=["parent", "updated_at"])
    return department


@transaction.atomic
def absence_create(
    *,
    actor: User | None,
    user: User,
    kind: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    comment: str = "",
) -> Absence:
    """Record an absence; overlapping absences of one employee are refused."""
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("The absence cannot end before it starts.")})
    # Lock the employee so two simultaneous requests cannot both pass the overlap check.
    User.objects.select_for_update().filter(pk=user.pk).first()
    overlapping = Absence.objects.filter(user=user, starts_on__lte=ends_on, ends_on__gte=starts_on)
    if overlapping.exists():
        raise ValidationError(
            {"starts_on": _("The employee already has an absence in these dates.")}
        )
    absence = Absence(user=user, kind=kind, starts_on=starts_on, ends_on=ends_on, comment=comment)
    absence.full_clean()
    absence.save()
    return absence


def user_set_language(*, user: User, language: str) -> User:
    """Remember the interface language an employee chose; an unknown code is refused."""
    if language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Unknown language: %(code)s.") % {"code": language}})
    user.language = language
    user.save(update_fields=["language"])
    return user
