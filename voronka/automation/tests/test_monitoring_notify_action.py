"""The robot action "notify": the responsible, their head or chosen employees get a line linking
to the card; a retried run notifies nobody twice."""

import pytest
from django.core.exceptions import ValidationError

from voronka.automation.actions import base
from voronka.automation.actions.notify import Notify, register_notify_action
from voronka.automation.models import RobotRun, RunStatus
from voronka.automation.services import claim_due_runs, execute_run, robot_create
from voronka.automation.tests.factories import RobotFactory
from voronka.notifications.models import Notification
from voronka.staff.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def notify_action():
    """The action as the automation app registers it (restored afterwards)."""
    before = dict(base._registry)
    register_notify_action()
    yield base._registry["notify"]
    base._registry.clear()
    base._registry.update(before)


def run_all():
    return [execute_run(run_id, "test") for run_id in claim_due_runs(worker_id="test")]


def test_the_responsible_is_notified_with_a_link_to_the_card(make_deal, first_stage, manager):
    RobotFactory(
        stage=first_stage, action="notify", params={"text": "Новая сделка {{ deal.title }}"}
    )
    deal = make_deal()
    [result] = run_all()
    assert result.status == RunStatus.DONE, result.outcome
    notification = Notification.objects.get()
    assert notification.recipient == manager
    assert notification.text == "Новая сделка Поставка станков"
    assert notification.card == deal
    assert notification.key == f"robot-run:{result.run_id}"


def test_the_head_of_the_responsible(make_deal, first_stage, head):
    RobotFactory(stage=first_stage, action="notify", params={"text": "Проверьте", "to": "head"})
    make_deal()
    run_all()
    assert list(Notification.objects.values_list("recipient", flat=True)) == [head.pk]


def test_chosen_employees(make_deal, first_stage, manager):
    one, two = UserFactory(), UserFactory()
    gone = UserFactory(is_active=False)
    RobotFactory(
        stage=first_stage,
        action="notify",
        params={"text": "Смотрите", "to": "employees", "employees": [one.pk, two.pk, gone.pk]},
    )
    make_deal()
    run_all()
    assert sorted(Notification.objects.values_list("recipient", flat=True)) == [one.pk, two.pk]


def test_a_retried_run_notifies_nobody_twice(make_deal, first_stage, manager):
    RobotFactory(stage=first_stage, action="notify", params={"text": "Один раз"})
    deal = make_deal()
    [result] = run_all()
    run = RobotRun.objects.get(pk=result.run_id)
    outcome = Notify().perform(run, deal, {"text": "Один раз"})
    assert "Already notified" in outcome.text
    assert Notification.objects.count() == 1


def test_nobody_to_notify_skips_the_run(make_deal, first_stage, manager, head):
    head.department.head = None
    head.department.save()
    RobotFactory(stage=first_stage, action="notify", params={"text": "x", "to": "head"})
    make_deal()
    [result] = run_all()
    assert result.status == RunStatus.SKIPPED
    assert "nobody to notify" in result.outcome


def test_the_robot_needs_a_text_and_employees_when_it_names_them(pipeline, first_stage, admin_user):
    with pytest.raises(ValidationError) as error:
        robot_create(
            actor=admin_user,
            data={"stage": first_stage, "name": "N", "action": "notify", "params": {}},
        )
    assert "text: This parameter is required." in error.value.message_dict["params"]
    with pytest.raises(ValidationError) as error:
        robot_create(
            actor=admin_user,
            data={
                "stage": first_stage,
                "name": "N",
                "action": "notify",
                "params": {"text": "x", "to": "employees"},
            },
        )
    assert "employees: Choose the employees to notify." in error.value.message_dict["params"]
