"""Runs that wait: back to planned with the same id, a round counter, the robots after a "wait"
robot held until it finishes; waiting until a condition holds and reminding until a field is
filled."""

import datetime

import pytest
from django.utils import timezone

from voronka.automation.actions import get_action
from voronka.automation.models import RobotRun, RunEffect, RunStatus
from voronka.automation.services import claim_due_runs, execute_run, run_due_runs
from voronka.automation.tests.factories import RobotFactory
from voronka.sales.models import Deal
from voronka.sales.services import deal_move_to_stage, deal_update
from voronka.timeline.models import EntryKind, TimelineEntry

pytestmark = pytest.mark.django_db

AMOUNT_OVER_100 = {"join": "and", "rules": [{"field": "amount", "op": "gt", "value": "100"}]}


def later(**delta) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(**delta)


def execute_at(moment: datetime.datetime):
    """Claim what is due at ``moment`` and execute it as then; the results."""
    return [
        execute_run(run_id, "test", now=moment)
        for run_id in claim_due_runs(worker_id="test", now=moment)
    ]


def runs_of(deal):
    return list(RobotRun.objects.filter(card_id=deal.pk).select_related("robot").order_by("pk"))


def feed(card, kind):
    return TimelineEntry.objects.filter(
        card_id=card.pk, card_type__model=card._meta.model_name, kind=kind
    )


@pytest.fixture
def waiting_robots(first_stage):
    wait = RobotFactory(
        stage=first_stage,
        sort=10,
        action="wait_until",
        params={"every_minutes": 5, "timeout_days": 2},
        condition=AMOUNT_OVER_100,
        name="Wait for the amount",
    )
    beside = RobotFactory(stage=first_stage, sort=10, params={"text": "Same sort"})
    after = RobotFactory(stage=first_stage, sort=20, params={"text": "After the wait"})
    return wait, beside, after


def test_a_wait_robot_holds_the_robots_after_it(make_deal, waiting_robots):
    wait, beside, after = waiting_robots

    deal = make_deal(amount="0")

    runs = runs_of(deal)
    assert [run.robot for run in runs] == [wait, beside]
    assert runs[0].trace["holds"] == [after.pk]


def test_the_wait_goes_back_to_planned_with_the_same_id_until_the_condition_holds(
    make_deal, waiting_robots, manager
):
    wait, _beside, after = waiting_robots
    deal = make_deal(amount="0")
    run_due_runs(worker_id="test")

    run = RobotRun.objects.get(robot=wait)
    assert (run.status, run.attempts, run.trace["iteration"]) == (RunStatus.PLANNED, 0, 1)
    assert run.due_at > later(minutes=4)
    assert run.outcome.startswith("Waiting: Amount > 100: 0 → no; next check at ")
    assert run.trace["timing"] == run.outcome  # what the card's panel shows under the run
    assert not RobotRun.objects.filter(robot=after).exists()

    # Not yet due: nothing happens; due and still false: one more round, no new feed entry.
    assert execute_at(later(minutes=1)) == []
    [result] = execute_at(later(minutes=6))
    run.refresh_from_db()
    assert (result.run_id, result.status, run.trace["iteration"]) == (
        run.pk,
        RunStatus.PLANNED,
        2,
    )
    # The feed hears of the first wait only.
    assert feed(deal, EntryKind.ROBOT).filter(payload__robot_id=wait.pk).count() == 1

    deal_update(actor=manager, deal=Deal.objects.get(pk=deal.pk), data={"amount": "500"})
    [result] = execute_at(later(minutes=12))

    run.refresh_from_db()
    assert (run.status, run.outcome) == (
        RunStatus.DONE,
        "The condition holds: Amount > 100: 500 → yes",
    )
    assert run.trace["action"] == {"checks": 3}
    # The log tells when the run was first due, not its last wait.
    assert run.trace["timing"] == "At once."
    # The robot after the wait starts now, and does its work.
    follower = RobotRun.objects.get(robot=after)
    assert (follower.status, follower.depth) == (RunStatus.PLANNED, run.depth)
    run_due_runs(worker_id="test")
    assert feed(deal, EntryKind.COMMENT).filter(text="After the wait").exists()


def test_a_wait_gives_up_after_its_timeout_and_lets_the_others_go(make_deal, waiting_robots):
    wait, _beside, after = waiting_robots
    deal = make_deal(amount="0")
    run_due_runs(worker_id="test")

    execute_at(later(days=1))
    assert RobotRun.objects.get(robot=wait).status == RunStatus.PLANNED
    results = execute_at(later(days=2, minutes=10))

    run = RobotRun.objects.get(robot=wait)
    assert [result.run_id for result in results] == [run.pk]
    assert (run.status, run.outcome) == (
        RunStatus.SKIPPED,
        "Gave up waiting after 2 days: Amount > 100: 0 → no",
    )
    assert RobotRun.objects.get(robot=after, card_id=deal.pk).status == RunStatus.PLANNED


def test_leaving_the_stage_cancels_the_wait_and_its_followers_never_start(
    make_deal, waiting_robots, manager, second_stage
):
    wait, _beside, after = waiting_robots
    deal = make_deal(amount="0")
    run_due_runs(worker_id="test")

    deal_move_to_stage(actor=manager, deal=Deal.objects.get(pk=deal.pk), stage=second_stage)

    assert RobotRun.objects.get(robot=wait).status == RunStatus.CANCELLED
    assert execute_at(later(minutes=10)) == []
    assert not RobotRun.objects.filter(robot=after).exists()


def test_a_wait_robot_whose_own_run_is_skipped_still_releases_the_others(make_deal, waiting_robots):
    wait, _beside, after = waiting_robots
    wait.is_active = False
    wait.save(update_fields=["is_active"])
    deal = make_deal(amount="0")

    # A switched-off robot plans nothing: the robots after it start at once.
    assert {run.robot for run in runs_of(deal)} == {_beside, after}


def test_a_wait_needs_a_condition_and_a_positive_interval(first_stage):
    from django.core.exceptions import ValidationError

    from voronka.automation.services import robot_create

    with pytest.raises(ValidationError) as error:
        robot_create(
            actor=None,
            data={
                "stage": first_stage,
                "name": "Wait",
                "action": "wait_until",
                "params": {"every_minutes": 0},
            },
        )

    assert error.value.message_dict["params"] == [
        "every_minutes: At least 1.",
        "every_minutes: Set the condition to wait for in the robot's condition.",
    ]


# ---- Reminders ---------------------------------------------------------------------------------


@pytest.fixture
def samples_field():
    from voronka.customization.models import CustomField, EntityType, FieldType

    return CustomField.objects.create(
        entity=EntityType.DEAL,
        code="samples_received",
        label="Samples received",
        field_type=FieldType.DATE,
    )


def reminder(stage, **params):
    return RobotFactory(
        stage=stage,
        action="repeat_reminder",
        params={
            "field": "samples_received",
            "text": "Has the client received the samples? {{ deal.title }}",
            "every_days": 7,
            "remind_with": "comment",
            **params,
        },
    )


def test_reminders_repeat_every_n_days_until_the_field_is_filled(
    make_deal, first_stage, samples_field, manager
):
    reminder(first_stage)
    deal = make_deal()
    text = "Has the client received the samples? Поставка станков"

    run_due_runs(worker_id="test")
    assert execute_at(later(days=3)) == []
    execute_at(later(days=7, minutes=1))

    run = RobotRun.objects.get(card_id=deal.pk)
    assert list(feed(deal, EntryKind.COMMENT).values_list("text", flat=True)) == [text, text]
    assert (run.status, run.trace["iteration"]) == (RunStatus.PLANNED, 2)
    assert run.outcome.startswith("Waiting: “Samples received” is empty; reminder 2 sent, the next")
    assert set(RunEffect.objects.filter(run=run).values_list("key", flat=True)) == {
        "reminder:0",
        "reminder:1",
    }

    deal_update(
        actor=manager,
        deal=Deal.objects.get(pk=deal.pk),
        data={"custom_fields": {"samples_received": "2026-01-10"}},
    )
    execute_at(later(days=14, minutes=2))

    run.refresh_from_db()
    assert (run.status, run.outcome) == (
        RunStatus.DONE,
        "“Samples received” is filled; reminders sent: 2.",
    )
    assert feed(deal, EntryKind.COMMENT).count() == 2


def test_reminders_stop_after_the_maximum(make_deal, first_stage, samples_field):
    reminder(first_stage, max_times=2)
    deal = make_deal()

    run_due_runs(worker_id="test")
    execute_at(later(days=7, minutes=1))
    assert execute_at(later(days=30)) == []

    run = RobotRun.objects.get(card_id=deal.pk)
    assert (run.status, run.outcome) == (RunStatus.DONE, "Reminder 2 sent; it was the last one.")
    assert feed(deal, EntryKind.COMMENT).count() == 2


def test_a_reminder_task_of_each_round_is_created_once(make_deal, first_stage, samples_field):
    from voronka.tasks.models import Task

    robot = reminder(first_stage, remind_with="task")
    deal = make_deal()
    run = RobotRun.objects.get(card_id=deal.pk)
    action = get_action("repeat_reminder")
    card = Deal.objects.get(pk=deal.pk)

    # The same round performed twice (a retry) makes one task; the next round another.
    for _ in range(2):
        with pytest.raises(Exception, match="reminder 1 sent"):
            action.perform(run, card, robot.params)
    run.trace = {"iteration": 1}
    with pytest.raises(Exception, match="reminder 2 sent"):
        action.perform(run, card, robot.params)

    assert sorted(Task.objects.values_list("robot_run_id", flat=True)) == [
        f"{run.pk}:0",
        f"{run.pk}:1",
    ]
    assert {task.responsible for task in Task.objects.all()} == {card.responsible}


def test_a_reminder_comment_of_a_round_is_written_once_when_retried(
    make_deal, first_stage, samples_field
):
    robot = reminder(first_stage)
    deal = make_deal()
    run = RobotRun.objects.get(card_id=deal.pk)
    card = Deal.objects.get(pk=deal.pk)

    for _ in range(2):
        with pytest.raises(Exception, match="reminder 1 sent"):
            get_action("repeat_reminder").perform(run, card, robot.params)

    assert feed(deal, EntryKind.COMMENT).count() == 1
