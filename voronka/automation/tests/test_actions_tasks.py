"""The task action by role: the card's responsible, their head (a control task) or a chosen
employee; not twice while the same task is open; once per run."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from voronka.automation.models import RobotRun, RunStatus
from voronka.automation.services import claim_due_runs, execute_run, robot_create, run_due_runs
from voronka.automation.tests.factories import RobotFactory
from voronka.staff.tests.factories import UserFactory
from voronka.tasks.models import Task

pytestmark = pytest.mark.django_db


def control_task(stage, **params):
    return RobotFactory(
        stage=stage,
        action="create_task",
        params={
            "title": "Check the offer: {{ deal.title }}",
            "responsible_role": "head",
            "unless_open": True,
            **params,
        },
    )


def test_a_control_task_goes_to_the_head_of_the_responsible(make_deal, first_stage, head):
    control_task(first_stage)
    deal = make_deal()
    run = RobotRun.objects.get(card_id=deal.pk)

    claim_due_runs(worker_id="test")
    first = execute_run(run.pk, "test")
    RobotRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING,
        lease_owner="test",
        lease_until=timezone.now() + datetime.timedelta(minutes=1),
    )
    again = execute_run(run.pk, "test")

    task = Task.objects.get()
    assert (task.responsible, task.title, task.card) == (
        head,
        "Check the offer: Поставка станков",
        deal,
    )
    assert first.status == again.status == RunStatus.DONE
    assert first.outcome == again.outcome == f"Task “{task.title}” for {head}."


def test_no_second_control_task_while_the_first_is_open(make_deal, first_stage, second_stage, head):
    control_task(first_stage)
    control_task(second_stage)
    deal = make_deal()
    run_due_runs(worker_id="test")
    from voronka.sales.models import Deal
    from voronka.sales.services import deal_move_to_stage

    deal_move_to_stage(actor=None, deal=Deal.objects.get(pk=deal.pk), stage=second_stage)
    run_due_runs(worker_id="test")

    assert Task.objects.count() == 1
    skipped = RobotRun.objects.get(card_id=deal.pk, stage=second_stage)
    assert (skipped.status, skipped.outcome) == (
        RunStatus.SKIPPED,
        f"{head} already has the open task “Check the offer: Поставка станков” "
        f"(No. {Task.objects.get().pk}) here.",
    )


def test_without_a_head_the_control_task_is_skipped(first_stage, pipeline):
    from voronka.sales.services import deal_create

    loner = UserFactory(username="loner")
    control_task(first_stage)
    deal = deal_create(actor=loner, data={"title": "Один", "pipeline": pipeline})

    run_due_runs(worker_id="test")

    run = RobotRun.objects.get(card_id=deal.pk)
    assert (run.status, run.outcome) == (
        RunStatus.SKIPPED,
        f"{loner} has no head to give the task to.",
    )
    assert not Task.objects.exists()


def test_a_chosen_employee_gets_the_task(make_deal, first_stage, other_manager):
    control_task(first_stage, responsible_role="chosen", responsible=other_manager.pk)
    make_deal()

    run_due_runs(worker_id="test")

    assert Task.objects.get().responsible == other_manager


def test_the_chosen_role_needs_an_employee(first_stage):
    with pytest.raises(ValidationError) as error:
        robot_create(
            actor=None,
            data={
                "stage": first_stage,
                "name": "Task",
                "action": "create_task",
                "params": {"title": "x", "responsible_role": "chosen"},
            },
        )

    assert error.value.message_dict["params"] == ["responsible: Choose the employee."]
