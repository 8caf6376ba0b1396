"""Assignment passes over employees outside their working day or hours, says why, and assigns
all the same when nobody is at work; a robot may switch the check off."""

import datetime

import pytest
from django.utils import timezone

from voronka.automation.assignment import outside_working_hours
from voronka.automation.models import RobotRun
from voronka.automation.services import claim_due_runs, execute_run
from voronka.automation.tests.factories import RobotFactory
from voronka.sales.models import Deal
from voronka.staff.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def next_wednesday_at(hour: int, minute: int = 0) -> datetime.datetime:
    today = timezone.localdate()
    ahead = (2 - today.weekday()) % 7 or 7
    day = today + datetime.timedelta(days=ahead)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


@pytest.fixture
def shifts(department):
    """An office worker (9–18, Mon–Fri), an evening shift (14–22) and a weekend worker."""
    return [
        UserFactory(username="day", last_name="Дневной", department=department),
        UserFactory(
            username="evening",
            last_name="Вечерний",
            department=department,
            work_day_start=datetime.time(14),
            work_day_end=datetime.time(22),
        ),
        UserFactory(
            username="weekend", last_name="Выходной", department=department, work_days=[6, 7]
        ),
    ]


def assign_at(make_deal, stage, users, moment, **params):
    RobotFactory(
        stage=stage,
        action="assign",
        params={"strategy": "round_robin", "users": [user.pk for user in users], **params},
    )
    deal = make_deal()
    run = RobotRun.objects.get(card_id=deal.pk)
    claim_due_runs(worker_id="test", now=moment)
    result = execute_run(run.pk, "test", now=moment)
    run.refresh_from_db()
    return Deal.objects.get(pk=deal.pk).responsible, run, result


def test_those_outside_their_hours_are_passed_over_and_the_trace_says_why(
    make_deal, first_stage, shifts
):
    day, evening, weekend = shifts

    picked, run, result = assign_at(
        make_deal, first_stage, [evening, weekend, day], next_wednesday_at(11)
    )

    assert picked == day
    assert [c.get("skipped") for c in run.trace["action"]["candidates"]] == [
        "outside working hours 14:00–22:00",
        "a day off: works Sat, Sun, 09:00–18:00",
        None,
    ]
    assert result.outcome.endswith(
        f"Passed over: {evening} (outside working hours 14:00–22:00), "
        f"{weekend} (a day off: works Sat, Sun, 09:00–18:00)."
    )


def test_in_the_evening_the_evening_shift_is_picked(make_deal, first_stage, shifts):
    day, evening, _weekend = shifts

    picked, _run, _result = assign_at(make_deal, first_stage, [day, evening], next_wednesday_at(19))

    assert picked == evening


def test_when_nobody_is_at_work_somebody_is_assigned_all_the_same(make_deal, first_stage, shifts):
    day, evening, _weekend = shifts

    picked, run, result = assign_at(make_deal, first_stage, [day, evening], next_wednesday_at(23))

    assert picked == day
    assert result.outcome.endswith("Nobody is at work now; assigned all the same.")
    assert [c.get("off_hours") for c in run.trace["action"]["candidates"]] == [
        "outside working hours 09:00–18:00",
        "outside working hours 14:00–22:00",
    ]


def test_a_robot_may_assign_at_any_time(make_deal, first_stage, shifts):
    _day, _evening, weekend = shifts

    picked, run, _result = assign_at(
        make_deal, first_stage, [weekend, _day], next_wednesday_at(11), any_time=True
    )

    assert picked == weekend
    assert "skipped" not in run.trace["action"]["candidates"][0]


def test_working_hours_are_read_in_the_installation_s_time_zone(settings, shifts):
    day = shifts[0]
    moment = next_wednesday_at(17, 30)  # 17:30 in Moscow, 14:30 UTC

    assert outside_working_hours(day, moment) is None
    settings.TIME_ZONE = "Asia/Vladivostok"  # 00:30 on Thursday there
    assert outside_working_hours(day, moment) == "outside working hours 09:00–18:00"


def test_least_loaded_weighs_open_tasks_like_activities(make_deal, first_stage, shifts):
    from voronka.tasks.services import task_create

    day, evening, _weekend = shifts
    for _ in range(3):
        task_create(actor=None, title="Позвонить", responsible=day)
    done = task_create(actor=None, title="Старая", responsible=evening)
    done.status = "done"
    done.save(update_fields=["status"])

    picked, run, _result = assign_at(
        make_deal, first_stage, [day, evening], next_wednesday_at(15), strategy="least_loaded"
    )

    assert picked == evening
    assert [c["load"] for c in run.trace["action"]["candidates"]] == ["1.5", "0"]
