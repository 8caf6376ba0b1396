"""The company settings: employees, departments and absences."""

import datetime
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from voronka.access.models import Action, AuditEvent, Entity, Role, Scope
from voronka.access.tests.factories import role_with
from voronka.staff.models import Absence, AbsenceKind, Department, User
from voronka.staff.services import absence_create
from voronka.staff.tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def _triggers(response) -> dict:
    return json.loads(response.headers.get("HX-Trigger", "{}"))


def _invalid(response, field: str) -> bool:
    html = response.content.decode()
    return bool(re.search(f'class="field invalid[^"]*" data-field="{field}"', html))


PAGES = [
    "staff:settings_employees",
    "staff:settings_employee_create",
    "staff:settings_departments",
    "staff:settings_department_create",
    "staff:settings_absences",
    "staff:settings_absence_create",
]


@pytest.mark.parametrize("name", PAGES)
def test_an_anonymous_visitor_is_sent_to_sign_in(client, name):
    response = client.get(reverse(name))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("name", PAGES)
def test_a_manager_may_not_open_the_company_settings(client, manager, name):
    client.force_login(manager)

    assert client.get(reverse(name)).status_code == 403


def test_a_manager_may_not_deactivate_a_colleague(client, manager, other_manager):
    client.force_login(manager)

    response = client.post(
        reverse("staff:settings_employee_set_active", args=[other_manager.pk]), {"active": "0"}
    )

    assert response.status_code == 403
    other_manager.refresh_from_db()
    assert other_manager.is_active


# ---- Employees -------------------------------------------------------------------------------


def _employee_data(**overrides) -> dict:
    data = {
        "username": "ivanova",
        "last_name": "Иванова",
        "first_name": "Мария",
        "middle_name": "Петровна",
        "email": "Ivanova@Example.ru",
        "phone": "8 (999) 123-45-67",
        "position": "Менеджер",
        "hourly_cost_rate": "1 250,50",
        "work_day_start": "10:00",
        "work_day_end": "19:00",
        "work_days": ["1", "2", "3", "4", "5"],
        "password": "Correct-Horse-42",
    }
    data.update(overrides)
    return data


def test_employees_are_listed_with_departments(
    admin_client, manager, other_manager, head, django_assert_num_queries
):
    UserFactory(username="gone", last_name="Уволенный", is_active=False)

    Role.objects.get(code="head").members.add(head)

    with django_assert_num_queries(4):  # session, user, employees with departments, roles
        response = admin_client.get(reverse("staff:settings_employees"))

    html = response.content.decode()
    assert response.status_code == 200
    assert manager.last_name in html and head.position in html and "Отдел продаж" in html
    assert "Уволенный" not in html
    gone = admin_client.get(reverse("staff:settings_employees"), {"active": "no"}, headers=HTMX)
    assert "Уволенный" in gone.content.decode() and "<html" not in gone.content.decode()
    found = admin_client.get(reverse("staff:settings_employees"), {"q": "head", "active": "all"})
    assert head.last_name in found.content.decode()
    assert manager.last_name not in found.content.decode()


def test_adding_an_employee_with_a_password(admin_client, department):
    response = admin_client.post(
        reverse("staff:settings_employee_create"),
        _employee_data(department=department.pk),
        headers=HTMX,
    )

    assert response.status_code == 204, response.content.decode()
    assert {"voronka:modal-close", "settings:changed"} <= set(_triggers(response))
    employee = User.objects.get(username="ivanova")
    assert employee.check_password("Correct-Horse-42")
    assert employee.department == department
    assert employee.phone == "+79991234567"
    assert employee.email == "ivanova@example.ru"
    assert str(employee.hourly_cost_rate) == "1250.50"
    assert (employee.work_day_start, employee.work_days) == (datetime.time(10), [1, 2, 3, 4, 5])
    assert not employee.is_staff


@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("username", {"username": "manager"}),
        ("password", {"password": "123"}),
        ("password", {"password": ""}),
        ("work_day_end", {"work_day_end": "09:00"}),
        ("work_days", {"work_days": []}),
        ("phone", {"phone": "12"}),
        ("hourly_cost_rate", {"hourly_cost_rate": "-1"}),
        ("email", {"email": "not-an-email"}),
    ],
)
def test_bad_employee_input_is_refused_naming_the_field(admin_client, manager, field, overrides):
    count = User.objects.count()

    response = admin_client.post(
        reverse("staff:settings_employee_create"), _employee_data(**overrides)
    )

    assert response.status_code == 422
    assert _invalid(response, field)
    assert User.objects.count() == count


def test_editing_an_employee_keeps_the_login(admin_client, manager, department):
    url = reverse("staff:settings_employee_update", args=[manager.pk])
    form = admin_client.get(url).content.decode()
    data = _employee_data(department=department.pk, position="Старший менеджер")
    del data["password"]

    response = admin_client.post(url, data)

    assert 'name="username"' not in form and 'name="password"' not in form
    assert response.status_code == 204
    manager.refresh_from_db()
    assert (manager.username, manager.position, manager.last_name) == (
        "manager",
        "Старший менеджер",
        "Иванова",
    )


def test_an_administrator_cannot_take_their_own_rights(admin_client, admin_user):
    data = _employee_data()
    del data["password"]

    response = admin_client.post(
        reverse("staff:settings_employee_update", args=[admin_user.pk]), data
    )

    assert response.status_code == 422
    assert _invalid(response, "is_staff")
    admin_user.refresh_from_db()
    assert admin_user.is_staff


def test_deactivating_and_activating_an_employee(admin_client, manager):
    url = reverse("staff:settings_employee_set_active", args=[manager.pk])

    response = admin_client.post(url, {"active": "0"}, headers=HTMX)

    assert response.status_code == 204
    manager.refresh_from_db()
    assert not manager.is_active
    assert User.objects.filter(pk=manager.pk).exists()

    admin_client.post(url, {"active": "1"})
    manager.refresh_from_db()
    assert manager.is_active


def test_an_administrator_cannot_deactivate_themselves(admin_client, admin_user):
    response = admin_client.post(
        reverse("staff:settings_employee_set_active", args=[admin_user.pk]), {"active": "0"}
    )

    assert response.status_code == 422
    assert "yourself" in _triggers(response)["voronka:toast"]["message"]
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_a_missing_employee_is_404(admin_client):
    assert (
        admin_client.get(reverse("staff:settings_employee_update", args=[999])).status_code == 404
    )
    url = reverse("staff:settings_employee_set_active", args=[999])
    assert admin_client.post(url, {"active": "0"}).status_code == 404


# ---- Departments -----------------------------------------------------------------------------


def test_departments_are_shown_as_a_tree(admin_client, head, django_assert_num_queries):
    sales = head.department
    DepartmentFactory(name="Отдел оптовых продаж", parent=sales)
    DepartmentFactory(name="Бухгалтерия")

    with django_assert_num_queries(3):  # session, user, departments with heads
        response = admin_client.get(reverse("staff:settings_departments"))

    html = response.content.decode()
    assert response.status_code == 200
    nested = html.split(f'data-department-id="{sales.pk}"', 1)[1].split("</li>\n</li>")[0]
    assert "Отдел оптовых продаж" in nested
    assert str(head) in html and "Бухгалтерия" in html


def test_creating_a_department_with_a_parent_and_a_head(admin_client, department, manager):
    response = admin_client.post(
        reverse("staff:settings_department_create"),
        {"name": "Опт", "parent": department.pk, "head": manager.pk},
    )

    assert response.status_code == 204
    created = Department.objects.get(name="Опт")
    assert (created.parent, created.head) == (department, manager)


def test_a_department_without_a_name_is_refused(admin_client, department):
    response = admin_client.post(reverse("staff:settings_department_create"), {"name": ""})

    assert response.status_code == 422
    assert _invalid(response, "name")
    assert Department.objects.count() == 1


def test_renaming_moving_and_appointing_a_head(admin_client, department, manager):
    other = DepartmentFactory(name="Дирекция")

    response = admin_client.post(
        reverse("staff:settings_department_update", args=[department.pk]),
        {"name": "Продажи", "parent": other.pk, "head": manager.pk, "sort": "5"},
    )

    assert response.status_code == 204
    department.refresh_from_db()
    assert (department.name, department.parent, department.head, department.sort) == (
        "Продажи",
        other,
        manager,
        5,
    )


def test_a_department_cannot_go_below_its_own_sub_department(admin_client, department):
    child = DepartmentFactory(name="Опт", parent=department)

    response = admin_client.post(
        reverse("staff:settings_department_update", args=[department.pk]),
        {"name": "Переименован", "parent": child.pk, "sort": "1"},
    )

    assert response.status_code == 422
    assert _invalid(response, "parent")
    assert "cannot be placed inside itself" in response.content.decode()
    department.refresh_from_db()
    assert (department.parent, department.name) == (None, "Отдел продаж")


def test_a_deactivated_employee_cannot_become_head(admin_client, department):
    gone = UserFactory(is_active=False)

    response = admin_client.post(
        reverse("staff:settings_department_update", args=[department.pk]),
        {"name": department.name, "head": gone.pk, "sort": "1"},
    )

    assert response.status_code == 422
    assert _invalid(response, "head")


def test_a_missing_department_is_404(admin_client):
    url = reverse("staff:settings_department_update", args=[999])
    assert admin_client.get(url).status_code == 404


# ---- Absences --------------------------------------------------------------------------------


def test_absences_list_current_and_upcoming_ones(
    admin_client, manager, other_manager, head, django_assert_num_queries
):
    today = timezone.localdate()
    day = datetime.timedelta(days=1)
    absence_create(
        actor=None, user=manager, kind=AbsenceKind.VACATION, starts_on=today - day, ends_on=today
    )
    absence_create(
        actor=None,
        user=other_manager,
        kind=AbsenceKind.SICK_LEAVE,
        starts_on=today + 3 * day,
        ends_on=today + 5 * day,
    )
    absence_create(
        actor=None,
        user=head,
        kind=AbsenceKind.DAY_OFF,
        starts_on=today - 10 * day,
        ends_on=today - 9 * day,
    )

    with django_assert_num_queries(3):  # session, user, absences with employees
        response = admin_client.get(reverse("staff:settings_absences"))

    html = response.content.decode()
    assert str(manager) in html and str(other_manager) in html
    assert str(head) not in html
    assert html.index(str(manager)) < html.index(str(other_manager))
    assert "Sick leave" in html


def test_recording_an_absence(admin_client, manager):
    response = admin_client.post(
        reverse("staff:settings_absence_create"),
        {
            "user": manager.pk,
            "kind": "vacation",
            "starts_on": "2030-07-01",
            "ends_on": "2030-07-14",
            "comment": "Отпуск",
        },
    )

    assert response.status_code == 204
    absence = Absence.objects.get()
    assert (absence.user, absence.starts_on) == (manager, datetime.date(2030, 7, 1))


@pytest.mark.parametrize(
    ("field", "dates"),
    [("ends_on", ("2030-07-14", "2030-07-01")), ("starts_on", ("2030-07-05", "2030-07-20"))],
)
def test_a_bad_absence_is_refused_naming_the_field(admin_client, manager, field, dates):
    absence_create(
        actor=None,
        user=manager,
        kind="vacation",
        starts_on=datetime.date(2030, 7, 1),
        ends_on=datetime.date(2030, 7, 10),
    )

    response = admin_client.post(
        reverse("staff:settings_absence_create"),
        {"user": manager.pk, "kind": "day_off", "starts_on": dates[0], "ends_on": dates[1]},
    )

    assert response.status_code == 422
    assert _invalid(response, field)
    assert Absence.objects.count() == 1


def test_deleting_an_absence(admin_client, manager):
    absence = absence_create(
        actor=None,
        user=manager,
        kind="vacation",
        starts_on=datetime.date(2030, 7, 1),
        ends_on=datetime.date(2030, 7, 10),
    )

    response = admin_client.post(reverse("staff:settings_absence_delete", args=[absence.pk]))
    missing = admin_client.post(reverse("staff:settings_absence_delete", args=[absence.pk]))

    assert response.status_code == 204
    assert not Absence.objects.exists()
    assert missing.status_code == 404


# ---- Choosing an employee without sending the whole staff -------------------------------------


def test_the_employee_picker_lists_only_the_chosen_employee(admin_client, head, other_manager):
    url = reverse("staff:settings_department_update", args=[head.department.pk])

    html = admin_client.get(url).content.decode()

    assert f'<option value="{head.pk}" selected>{head}</option>' in html
    assert str(other_manager) not in html
    assert reverse("staff:settings_employee_options") in html


def test_employee_options_match_a_fragment_of_the_name(
    admin_client, manager, other_manager, django_assert_num_queries
):
    found = UserFactory(username="yolkina", last_name="Ёлкина", first_name="Анна")
    UserFactory(username="gone", last_name="Ёлкин", is_active=False)

    with django_assert_num_queries(3):
        response = admin_client.get(
            reverse("staff:settings_employee_options"), {"head__search": "ёлкин"}
        )

    html = response.content.decode()
    assert html.count("<option") == 1
    assert f'<option value="{found.pk}">{found}' in html


def test_employee_options_are_for_administrators(client, manager):
    client.force_login(manager)

    assert client.get(reverse("staff:settings_employee_options")).status_code == 403


# ---- Rights: the settings right, the employee's roles ----------------------------------------


def test_a_settings_reader_sees_employees_but_changes_nothing(client, manager, other_manager):
    role_with((Entity.SETTINGS, Action.READ, Scope.ALL), members=[manager])
    client.force_login(manager)

    pages = [
        client.get(reverse(name)).status_code
        for name in ("staff:settings_employees", "staff:settings_departments")
    ]
    writes = [
        client.get(reverse("staff:settings_employee_create")).status_code,
        client.post(
            reverse("staff:settings_employee_set_active", args=[other_manager.pk]), {"active": "0"}
        ).status_code,
        client.post(reverse("staff:settings_department_create"), {"name": "Склад"}).status_code,
    ]

    assert pages == [200, 200]
    assert writes == [403, 403, 403]
    other_manager.refresh_from_db()
    assert other_manager.is_active


def test_the_staff_services_check_the_settings_right(manager, other_manager):
    from django.core.exceptions import PermissionDenied

    from voronka.staff.services import department_create, employee_set_active

    with pytest.raises(PermissionDenied):
        employee_set_active(actor=manager, employee=other_manager, active=False)
    with pytest.raises(PermissionDenied):
        department_create(actor=manager, name="Склад")


def test_the_employee_dialog_shows_and_changes_the_roles(admin_client, manager):
    head_role = Role.objects.get(code="head")
    operator = Role.objects.get(code="operator")
    operator.members.add(manager)

    dialog = admin_client.get(reverse("staff:settings_employee_update", args=[manager.pk]))
    html = dialog.content.decode()
    assert re.search(rf'name="roles" value="{operator.pk}"[^>]* checked', html)
    assert not re.search(rf'name="roles" value="{head_role.pk}"[^>]* checked', html)

    data = _employee_data()
    del data["password"]
    data["roles"] = [str(head_role.pk)]
    response = admin_client.post(
        reverse("staff:settings_employee_update", args=[manager.pk]), data, headers=HTMX
    )

    assert response.status_code == 204
    assert list(Role.objects.filter(members=manager)) == [head_role]
    assert list(
        AuditEvent.objects.filter(action__startswith="role.").values_list("action", flat=True)
    ) == ["role.assign", "role.unassign"]
