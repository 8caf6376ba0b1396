"""Reads about employees and the departments tree."""

import datetime

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
