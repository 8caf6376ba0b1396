"""Writes for employees, departments and absences."""

import datetime

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from voronka.access.models import Action, Entity
from voronka.access.predicates import require
from voronka.core.inputs import check_active, check_editable, model_errors, prepare_values
from voronka.core.normalization import normalize_email, normalize_phone
from voronka.staff.models import Absence, Department, User
from voronka.staff.selectors import department_descendant_ids


@transaction.atomic
def department_create(
    *, actor: User | None, name: str, parent: Department | None = None, head: User | None = None
) -> Department:
    require(actor, Action.ADD, Entity.SETTINGS)
    department = Department(name=name, parent=parent, head=head)
    department.full_clean()
    department.save()
    return department


@transaction.atomic
def department_set_parent(
    *, actor: User | None, department: Department, parent: Department | None
) -> Department:
    """Move a department in the tree; a department cannot end up below itself."""
    require(actor, Action.UPDATE, Entity.SETTINGS)
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
    require(actor, Action.ADD, Entity.SETTINGS)
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


# ---- Employees, departments and absences as administrators keep them ------------------------

EMPLOYEE_FIELDS = frozenset(
    {
        "username",
        "first_name",
        "last_name",
        "middle_name",
        "email",
        "position",
        "department",
        "phone",
        "hourly_cost_rate",
        "work_day_start",
        "work_day_end",
        "work_days",
        "is_staff",
    }
)
EMPLOYEE_UPDATE_FIELDS = EMPLOYEE_FIELDS - {"username"}
DEPARTMENT_UPDATE_FIELDS = frozenset({"name", "parent", "head", "sort"})


def _clean_work_days(value, errors: dict[str, list[str]]) -> list[int]:
    try:
        days = sorted({int(day) for day in value or []})
    except (TypeError, ValueError):
        days = []
    if not days or not all(1 <= day <= 7 for day in days):
        errors.setdefault("work_days", []).append(
            _("Choose the working days (1 is Monday, 7 is Sunday).")
        )
    return days


def _apply_employee(employee: User, data: dict, errors: dict[str, list[str]]) -> list[str]:

    values = dict(data)
    work_days = values.pop("work_days", None) if "work_days" in values else None
    changed = prepare_values(User, values, errors)
    if "work_days" in data:
        changed["work_days"] = _clean_work_days(work_days, errors)
    if changed.get("email"):
        changed["email"] = normalize_email(changed["email"]) or changed["email"]
    if changed.get("phone"):
        phone = normalize_phone(changed["phone"])
        if phone is None:
            errors.setdefault("phone", []).append(
                _("Enter a phone number such as +7 999 123-45-67.")
            )
        else:
            changed["phone"] = phone
    for key, value in changed.items():
        setattr(employee, key, value)
    if not (employee.first_name or employee.last_name):
        errors.setdefault("last_name", []).append(_("Enter the employee's name."))
    start, end = employee.work_day_start, employee.work_day_end
    if start and end and end <= start:
        errors.setdefault("work_day_end", []).append(_("The working day must end after it starts."))
    if employee.hourly_cost_rate is not None and employee.hourly_cost_rate < 0:
        errors.setdefault("hourly_cost_rate", []).append(_("The rate cannot be negative."))
    return list(changed)


@transaction.atomic
def employee_create(*, actor: User | None, data: dict, password: str) -> User:
    """Add an employee who signs in with ``username`` and ``password`` (checked by the
    password rules); the employee changes the password later themselves."""
    require(actor, Action.ADD, Entity.SETTINGS)

    check_editable(data, EMPLOYEE_FIELDS)
    errors: dict[str, list[str]] = {}
    employee = User()
    _apply_employee(employee, data, errors)
    if not employee.username:
        errors.setdefault("username", []).append(_("Enter the login."))
    if not password:
        errors.setdefault("password", []).append(_("Set a password."))
    else:
        try:
            validate_password(password, employee)
        except ValidationError as error:
            errors.setdefault("password", []).extend(error.messages)
    model_errors(employee, errors, exclude=["password", "photo"])
    if errors:
        raise ValidationError(errors)
    employee.set_password(password)
    employee.save()
    return employee


@transaction.atomic
def employee_update(*, actor: User | None, employee: User, data: dict) -> User:
    """Change an employee's card; the login stays (others know them by it)."""
    require(actor, Action.UPDATE, Entity.SETTINGS)

    check_editable(data, EMPLOYEE_UPDATE_FIELDS)
    employee = User.objects.select_for_update().get(pk=employee.pk)
    errors: dict[str, list[str]] = {}
    fields = _apply_employee(employee, data, errors)
    if actor is not None and employee.pk == actor.pk and data.get("is_staff") is False:
        errors.setdefault("is_staff", []).append(
            _("You cannot take the administrator's rights from yourself.")
        )
    model_errors(employee, errors, exclude=["password", "photo"])
    if errors:
        raise ValidationError(errors)
    if fields:
        employee.save(update_fields=fields)
    return employee


@transaction.atomic
def employee_set_active(*, actor: User | None, employee: User, active: bool) -> User:
    """Let an employee sign in again, or stop them (never deleted: their cards, history and
    time stay theirs)."""
    require(actor, Action.UPDATE, Entity.SETTINGS)
    if not active and actor is not None and employee.pk == actor.pk:
        raise ValidationError({"is_active": _("You cannot deactivate yourself.")})
    employee = User.objects.select_for_update().get(pk=employee.pk)
    if employee.is_active != active:
        employee.is_active = active
        employee.save(update_fields=["is_active"])
    return employee


@transaction.atomic
def department_update(*, actor: User | None, department: Department, data: dict) -> Department:
    """Rename a department, move it in the tree (never below itself), re-sort it or appoint
    its head (an active employee)."""
    require(actor, Action.UPDATE, Entity.SETTINGS)
    check_editable(data, DEPARTMENT_UPDATE_FIELDS)
    department = Department.objects.select_for_update().get(pk=department.pk)
    errors: dict[str, list[str]] = {}
    values = prepare_values(Department, data, errors)
    moving = "parent" in values and values["parent"] != department.parent
    parent = values.pop("parent", None)
    for key, value in values.items():
        setattr(department, key, value)
    check_active(department, set(values), errors)
    model_errors(department, errors, exclude=["parent"])
    if moving and not errors:
        try:
            department = department_set_parent(actor=actor, department=department, parent=parent)
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    if values:
        department.save(update_fields=[*values, "updated_at"])
    return department


@transaction.atomic
def absence_delete(*, actor: User | None, absence: Absence) -> None:
    """Remove an absence entered by mistake or cancelled."""
    require(actor, Action.DELETE, Entity.SETTINGS)
    Absence.objects.filter(pk=absence.pk).delete()
