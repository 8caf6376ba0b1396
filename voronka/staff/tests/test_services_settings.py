"""Employees, departments and absences as administrators keep them."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from voronka.staff.models import Absence, User
from voronka.staff.services import (
    absence_create,
    absence_delete,
    department_update,
    employee_create,
    employee_set_active,
    employee_update,
)
from voronka.staff.tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_an_employee_is_created_with_a_usable_password(admin_user, department):
    employee = employee_create(
        actor=admin_user,
        data={"username": "petrov", "last_name": "Петров", "department": department.pk},
        password="Correct-Horse-42",
    )

    employee.refresh_from_db()
    assert employee.check_password("Correct-Horse-42")
    assert employee.department == department
    assert employee.work_days == [1, 2, 3, 4, 5]


@pytest.mark.parametrize(
    ("field", "data", "password"),
    [
        ("username", {"username": ""}, "Correct-Horse-42"),
        ("last_name", {"last_name": "", "first_name": ""}, "Correct-Horse-42"),
        ("password", {}, "petrov"),
        ("work_days", {"work_days": [0, 8]}, "Correct-Horse-42"),
        ("work_day_end", {"work_day_start": "18:00", "work_day_end": "09:00"}, "Correct-Horse-42"),
        ("department", {"department": 999}, "Correct-Horse-42"),
        ("photo", {"photo": "x.png"}, "Correct-Horse-42"),
    ],
)
def test_a_bad_employee_is_refused_and_nothing_is_saved(admin_user, field, data, password):
    count = User.objects.count()

    with pytest.raises(ValidationError) as error:
        employee_create(
            actor=admin_user,
            data={"username": "petrov", "last_name": "Петров", **data},
            password=password,
        )

    assert field in error.value.message_dict
    assert User.objects.count() == count


def test_an_update_keeps_the_login_and_the_password(admin_user, manager):
    with pytest.raises(ValidationError):
        employee_update(actor=admin_user, employee=manager, data={"username": "other"})

    employee = employee_update(actor=admin_user, employee=manager, data={"position": "РОП"})

    employee.refresh_from_db()
    assert (employee.username, employee.position) == ("manager", "РОП")
    assert employee.check_password("password-for-tests")


def test_an_employee_is_deactivated_never_deleted(admin_user, manager):
    employee_set_active(actor=admin_user, employee=manager, active=False)

    manager.refresh_from_db()
    assert not manager.is_active
    with pytest.raises(ValidationError):
        employee_set_active(actor=admin_user, employee=admin_user, active=False)


def test_a_department_moves_renames_and_gets_a_head_at_once(admin_user, department, manager):
    top = DepartmentFactory(name="Дирекция")

    updated = department_update(
        actor=admin_user,
        department=department,
        data={"name": "Продажи", "parent": top.pk, "head": manager.pk},
    )

    updated.refresh_from_db()
    assert (updated.name, updated.parent, updated.head) == ("Продажи", top, manager)


def test_a_cycle_in_the_tree_changes_nothing(admin_user, department):
    child = DepartmentFactory(parent=department)
    grandchild = DepartmentFactory(parent=child)

    with pytest.raises(ValidationError) as error:
        department_update(
            actor=admin_user,
            department=department,
            data={"name": "Новое имя", "parent": grandchild.pk},
        )

    assert "parent" in error.value.message_dict
    department.refresh_from_db()
    assert (department.name, department.parent) == ("Отдел продаж", None)


def test_a_deactivated_employee_cannot_head_a_department(admin_user, department):
    gone = UserFactory(is_active=False)

    with pytest.raises(ValidationError) as error:
        department_update(actor=admin_user, department=department, data={"head": gone.pk})

    assert "head" in error.value.message_dict


def test_an_absence_is_deleted(admin_user, manager):
    absence = absence_create(
        actor=admin_user,
        user=manager,
        kind="vacation",
        starts_on=datetime.date(2030, 1, 1),
        ends_on=datetime.date(2030, 1, 5),
    )

    absence_delete(actor=admin_user, absence=absence)

    assert not Absence.objects.exists()
