import datetime

import pytest
from django.core.exceptions import ValidationError

from voronka.staff.models import Absence
from voronka.staff.selectors import (
    absent_user_ids,
    department_descendant_ids,
    head_of,
    is_absent,
)
from voronka.staff.services import absence_create, department_create, department_set_parent
from voronka.staff.tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2026, 3, 2)


def days(number: int) -> datetime.date:
    return MONDAY + datetime.timedelta(days=number)


@pytest.fixture
def tree(admin_user):
    """Компания → Продажи → Продажи Москва."""
    company = department_create(actor=admin_user, name="Компания")
    sales = department_create(actor=admin_user, name="Продажи", parent=company)
    moscow = department_create(actor=admin_user, name="Продажи Москва", parent=sales)
    return company, sales, moscow


class TestDepartments:
    def test_create_needs_a_name(self, admin_user):
        with pytest.raises(ValidationError) as error:
            department_create(actor=admin_user, name="")
        assert "name" in error.value.message_dict

    def test_descendants_include_the_department_itself(self, tree):
        company, sales, moscow = tree
        assert department_descendant_ids(company.pk) == {company.pk, sales.pk, moscow.pk}
        assert department_descendant_ids(moscow.pk) == {moscow.pk}

    def test_department_cannot_go_below_itself(self, admin_user, tree):
        _company, sales, _moscow = tree
        with pytest.raises(ValidationError) as error:
            department_set_parent(actor=admin_user, department=sales, parent=sales)
        assert "inside itself" in error.value.message_dict["parent"][0]

    def test_department_cannot_go_below_its_sub_department(self, admin_user, tree):
        company, _sales, moscow = tree
        with pytest.raises(ValidationError):
            department_set_parent(actor=admin_user, department=company, parent=moscow)
        company.refresh_from_db()
        assert company.parent is None

    def test_moving_to_another_branch_is_allowed(self, admin_user, tree):
        company, _sales, moscow = tree
        support = department_create(actor=admin_user, name="Поддержка", parent=company)
        department_set_parent(actor=admin_user, department=moscow, parent=support)
        moscow.refresh_from_db()
        assert moscow.parent == support
        assert (
            department_set_parent(actor=admin_user, department=moscow, parent=None).parent is None
        )


class TestHeadOf:
    def test_head_of_the_own_department(self, head, manager):
        assert head_of(manager) == head

    def test_walks_up_to_the_nearest_department_with_a_head(self, tree):
        company, _sales, moscow = tree
        director = UserFactory(department=company)
        company.head = director
        company.save(update_fields=["head"])
        assert head_of(UserFactory(department=moscow)) == director

    def test_a_head_reports_to_the_head_above(self, tree):
        company, sales, _moscow = tree
        director, sales_head = UserFactory(department=company), UserFactory(department=sales)
        company.head, sales.head = director, sales_head
        company.save(update_fields=["head"])
        sales.save(update_fields=["head"])
        assert head_of(sales_head) == director

    def test_no_head_anywhere_or_no_department(self, tree):
        assert head_of(UserFactory(department=tree[2])) is None
        assert head_of(UserFactory(department=None)) is None

    def test_a_cycle_left_in_the_data_does_not_hang(self):
        first = DepartmentFactory()
        second = DepartmentFactory(parent=first)
        first.parent = second
        first.save(update_fields=["parent"])
        assert head_of(UserFactory(department=first)) is None


class TestAbsences:
    def test_absence_is_recorded_and_seen_on_its_days(self, admin_user, manager):
        absence_create(
            actor=admin_user, user=manager, kind="vacation", starts_on=days(0), ends_on=days(13)
        )
        assert is_absent(manager, days(0))
        assert is_absent(manager, days(13))
        assert not is_absent(manager, days(14))
        assert absent_user_ids(days(5)) == {manager.pk}

    @pytest.mark.parametrize(
        ("starts", "ends"),
        [(5, 6), (0, 0), (9, 20), (-3, 0), (-3, 30)],
    )
    def test_overlapping_absences_are_refused(self, admin_user, manager, starts, ends):
        absence_create(
            actor=admin_user, user=manager, kind="vacation", starts_on=days(0), ends_on=days(9)
        )
        with pytest.raises(ValidationError) as error:
            absence_create(
                actor=admin_user,
                user=manager,
                kind="sick_leave",
                starts_on=days(starts),
                ends_on=days(ends),
            )
        assert "already has an absence" in error.value.message_dict["starts_on"][0]
        assert Absence.objects.count() == 1

    def test_adjacent_absences_and_other_employees_are_fine(
        self, admin_user, manager, other_manager
    ):
        absence_create(
            actor=admin_user, user=manager, kind="vacation", starts_on=days(0), ends_on=days(9)
        )
        absence_create(
            actor=admin_user, user=manager, kind="day_off", starts_on=days(10), ends_on=days(10)
        )
        absence_create(
            actor=admin_user,
            user=other_manager,
            kind="vacation",
            starts_on=days(0),
            ends_on=days(9),
        )
        assert Absence.objects.count() == 3

    def test_absence_cannot_end_before_it_starts(self, admin_user, manager):
        with pytest.raises(ValidationError) as error:
            absence_create(
                actor=admin_user, user=manager, kind="vacation", starts_on=days(5), ends_on=days(1)
            )
        assert "ends_on" in error.value.message_dict

    def test_unknown_kind_is_refused(self, admin_user, manager):
        with pytest.raises(ValidationError) as error:
            absence_create(
                actor=admin_user, user=manager, kind="holiday", starts_on=days(0), ends_on=days(1)
            )
        assert "kind" in error.value.message_dict
