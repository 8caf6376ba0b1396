"""Task selectors: deadline buckets in Moscow time, the board, a card's tasks and the
"My tasks" filters — scoped to what the user may see, with query counts that do not grow."""

import datetime
import zoneinfo

import pytest
from django.utils import timezone

from voronka.sales.tests.factories import DealFactory
from voronka.staff.tests.factories import DepartmentFactory, UserFactory
from voronka.tasks import selectors
from voronka.tasks.models import TaskStatus
from voronka.tasks.tests.factories import TaskFactory

MOSCOW = zoneinfo.ZoneInfo("Europe/Moscow")
# A Wednesday noon in Moscow.
NOW = datetime.datetime(2026, 11, 25, 12, 0, tzinfo=MOSCOW)


def at(day, hour=12, minute=0):
    return datetime.datetime(2026, 11, day, hour, minute, tzinfo=MOSCOW)


@pytest.fixture(autouse=True)
def _moscow():
    with timezone.override(MOSCOW):
        yield


@pytest.mark.parametrize(
    ("deadline", "bucket"),
    [
        (None, "none"),
        (at(25, 11, 59), "overdue"),
        (at(24, 18), "overdue"),
        (at(25, 12, 1), "today"),
        (at(25, 23, 59), "today"),
        (at(26, 0, 0), "week"),
        (at(29, 23, 59), "week"),
        (at(30, 0, 0), "later"),
    ],
)
def test_bucket_of(deadline, bucket):
    assert selectors.bucket_of(deadline, NOW) == bucket


def test_bucket_deadlines_fall_into_their_bucket():
    for code in ("today", "week", "later"):
        assert selectors.bucket_of(selectors.bucket_deadline(code, NOW), NOW) == code
    assert selectors.bucket_deadline("today", NOW) == at(25, 19)
    assert selectors.bucket_deadline("week", NOW) == at(29, 19)
    assert selectors.bucket_deadline("later", NOW) == datetime.datetime(
        2026, 12, 6, 19, tzinfo=MOSCOW
    )
    assert selectors.bucket_deadline("none", NOW) is None
    late = at(25, 21)
    assert selectors.bucket_deadline("today", late) == at(25, 23, 59)
    with pytest.raises(ValueError):
        selectors.bucket_deadline("overdue", NOW)


def test_on_sunday_the_week_ends_today():
    sunday = at(29, 10)
    assert selectors.bucket_of(at(30, 1), sunday) == "later"
    assert selectors.bucket_of(at(29, 20), sunday) == "today"


def test_board_puts_open_tasks_in_buckets(manager, other_manager):
    now = timezone.now()
    overdue = TaskFactory(responsible=manager, deadline=now - datetime.timedelta(hours=1))
    later = TaskFactory(responsible=manager, deadline=now + datetime.timedelta(days=30))
    none = TaskFactory(responsible=manager)
    TaskFactory(responsible=manager, status=TaskStatus.DONE)
    TaskFactory(responsible=other_manager)  # a colleague's: not visible, not mine
    board = {bucket.code: bucket.tasks for bucket in selectors.task_board(user=manager)}
    assert board["overdue"] == [overdue] and board["later"] == [later] and board["none"] == [none]
    assert sum(len(tasks) for tasks in board.values()) == 3


def test_board_and_list_cost_one_query_whatever_the_size(manager, django_assert_num_queries):
    def add(count):
        for _index in range(count):
            task = TaskFactory(responsible=manager, deadline=timezone.now())
            task.observers.add(manager)

    add(2)
    selectors.my_tasks(user=manager)  # rights resolved and cached on the user
    with django_assert_num_queries(1):
        selectors.task_board(user=manager)
    with django_assert_num_queries(1):
        selectors.my_tasks(user=manager)
    add(6)
    with django_assert_num_queries(1):
        assert len(selectors.my_tasks(user=manager)) == 8  # no duplicates from participants
    with django_assert_num_queries(1):
        selectors.task_board(user=manager)


def test_my_tasks_roles(manager, other_manager):
    mine = TaskFactory(responsible=manager, created_by=manager)
    helping = TaskFactory(responsible=other_manager, created_by=other_manager)
    helping.co_executors.add(manager)
    observing = TaskFactory(responsible=other_manager, created_by=other_manager)
    observing.observers.add(manager)
    given = TaskFactory(responsible=other_manager, created_by=manager)
    TaskFactory(responsible=other_manager, created_by=other_manager)

    def found(role=""):
        return {task.pk for task in selectors.my_tasks(user=manager, role=role)}

    assert found() == {mine.pk, helping.pk, observing.pk, given.pk}
    assert found("responsible") == {mine.pk}
    assert found("co_executor") == {helping.pk}
    assert found("observer") == {observing.pk}
    assert found("created") == {mine.pk, given.pk}


def test_a_head_with_the_head_role_sees_the_departments_tasks_in_card_tasks(head, manager):
    from voronka.access.models import Role

    Role.objects.get(code="head").members.add(head)
    deal = DealFactory(responsible=manager)
    task = TaskFactory(responsible=manager, card_id=deal.pk, card_type=_deal_type())
    TaskFactory(
        responsible=UserFactory(department=DepartmentFactory()),
        card_id=deal.pk,
        card_type=_deal_type(),
    )
    assert selectors.card_tasks(user=head, card=deal) == [task]
    assert selectors.card_tasks(user=manager, card=deal) == [task]


def test_card_links_name_visible_cards_and_hide_the_others(manager, django_assert_num_queries):
    own = DealFactory(responsible=manager, title="Своя сделка")
    foreign = DealFactory(responsible=UserFactory(department=DepartmentFactory()))
    tasks = [
        TaskFactory(responsible=manager, card_type=_deal_type(), card_id=own.pk),
        TaskFactory(responsible=manager, card_type=_deal_type(), card_id=foreign.pk),
        TaskFactory(responsible=manager),
    ]
    tasks = selectors.my_tasks(user=manager)
    with django_assert_num_queries(1):
        links = selectors.card_links(user=manager, tasks=tasks)
    by_card = {task.card_id: links.get(task.pk) for task in tasks}
    assert by_card[own.pk].label == "Своя сделка" and by_card[own.pk].url
    assert by_card[foreign.pk].url is None and str(foreign.pk) in by_card[foreign.pk].label
    assert by_card[None] is None


def _deal_type():
    from django.contrib.contenttypes.models import ContentType

    from voronka.sales.models import Deal

    return ContentType.objects.get_for_model(Deal)
