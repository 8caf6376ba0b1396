"""Reads about employees and the departments tree."""

import datetime

from django.db.models import Count, Q

from voronka.staff.models import Absence, Department, User


def department_descendant_ids(department_id: int) -> set[int]:
    """The department and every department below it, in one query over the (small) tree."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Department.objects.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found, stack = set(), [department_id]
    while stack:
        current = stack.pop()
        if current in found:
            continue
        found.add(current)
        stack.extend(children.get(current, ()))
    return found


def head_of(user: User) -> User | None:
    """The head of the user's department, or of the nearest department above that has one."""
    department = user.department
    seen = set()
    while department is not None and department.pk not in seen:
        seen.add(department.pk)
        if department.head_id and department.head_id != user.pk:
            return department.head
        department = department.parent
    return None


def absent_user_ids(on: datetime.date) -> set[int]:
    return set(
        Absence.objects.filter(starts_on__lte=on, ends_on__gte=on).values_list("user_id", flat=True)
    )


def is_absent(user: User, on: datetime.date) -> bool:
    return Absence.objects.filter(user=user, starts_on__lte=on, ends_on__gte=on).exists()


# ---- The settings pages ----------------------------------------------------------------------

EMPLOYEES_PER_PAGE = 100


def employee_settings_list(*, user, query: str = "", active: str = "yes"):
    """Employees for the settings list, with their departments, filtered by a fragment of the
    name or login and by status (``yes``, ``no`` or empty for all)."""
    employees = User.objects.select_related("department").order_by("last_name", "first_name", "pk")
    query = query.strip()
    if query:
        employees = employees.filter(
            Q(last_name__icontains=query)
            | Q(first_name__icontains=query)
            | Q(username__icontains=query)
            | Q(position__icontains=query)
        )
    if active == "yes":
        employees = employees.filter(is_active=True)
    elif active == "no":
        employees = employees.filter(is_active=False)
    return employees


def employee_choices(*, user):
    """Active employees to choose from (a head, an absent employee), names only."""
    return User.objects.filter(is_active=True).order_by("last_name", "first_name", "pk")


def department_settings_list(*, user):
    return Department.objects.select_related("head", "parent").order_by("sort", "name", "pk")


def department_settings_tree(*, user) -> list[tuple[Department, list]]:
    """The departments tree with each department's number of working employees."""
    departments = department_settings_list(user=user).annotate(
        employee_count=Count("employees", filter=Q(employees__is_active=True))
    )
    return department_tree(list(departments))


def department_tree(departments) -> list[tuple[Department, list]]:
    """``[(department, children), …]`` from a flat list, roots first, in the list's order."""
    children: dict[int | None, list[Department]] = {}
    known = {department.pk for department in departments}
    for department in departments:
        parent_id = department.parent_id if department.parent_id in known else None
        children.setdefault(parent_id, []).append(department)

    def build(parent_id, seen):
        nodes = []
        for department in children.get(parent_id, []):
            if department.pk in seen:
                continue
            nodes.append((department, build(department.pk, seen | {department.pk})))
        return nodes

    return build(None, frozenset())


def absence_settings_list(*, user, on: datetime.date, employee_id: int | None = None):
    """Absences that are going on or still ahead on ``on``, soonest first."""
    absences = (
        Absence.objects.filter(ends_on__gte=on)
        .select_related("user", "user__department")
        .order_by("starts_on", "user__last_name", "pk")
    )
    if employee_id is not None:
        absences = absences.filter(user_id=employee_id)
    return absences
