"""What the card shows of its robots, and setting robots up in the admin."""

import json

import pytest
from django.template import Context, Template
from django.urls import reverse

from voronka.automation.models import Robot, RobotRun, RunStatus
from voronka.automation.selectors import runs_for_card
from voronka.automation.services import run_due_runs
from voronka.automation.tests.factories import RobotFactory
from voronka.timeline.models import EntryKind, TimelineEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def deal(make_deal, first_stage):
    RobotFactory(stage=first_stage, name="Приветствие")
    RobotFactory(
        stage=first_stage,
        name="Напоминание",
        timing={"type": "after", "amount": 1, "unit": "days"},
    )
    RobotFactory(
        stage=first_stage,
        name="Крупная сделка",
        condition={"rules": [{"field": "amount", "op": "gte", "value": "100000"}]},
    )
    deal = make_deal(amount="500")
    run_due_runs(worker_id="test")
    return deal


def test_runs_for_card_splits_planned_and_finished(deal, django_assert_num_queries):
    with django_assert_num_queries(2):
        runs = runs_for_card(card=deal)
        names = [run.robot.name for run in runs.planned + runs.finished]

    assert [run.robot.name for run in runs.planned] == ["Напоминание"]
    assert {run.status for run in runs.finished} == {RunStatus.DONE, RunStatus.SKIPPED}
    assert len(names) == 3


def test_the_partial_shows_due_times_outcomes_and_why(deal):
    html = Template("{% load automation %}{% robot_runs card %}").render(Context({"card": deal}))

    assert "Напоминание" in html and "planned for" in html
    assert "1 day after entering the stage." in html
    assert "Comment added: Клиент Поставка станков ждёт звонка" in html
    assert "Condition not met: Amount ≥ 100000: 500 → no" in html
    assert "Amount ≥ 100000: 500 → no</li>" in html


def test_the_partial_is_empty_without_runs(make_deal):
    html = Template("{% load automation %}{% robot_runs card %}").render(
        Context({"card": make_deal()})
    )

    assert html.strip() == ""


def test_admin_lists_and_pages_open(client, admin_user, deal):
    client.force_login(admin_user)
    for model in (Robot, RobotRun):
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert client.get(changelist).status_code == 200
        change = reverse(
            f"admin:{opts.app_label}_{opts.model_name}_change", args=[model.objects.first().pk]
        )
        assert client.get(change).status_code == 200


def admin_form(robot_stage, **overrides):
    data = {
        "pipeline": robot_stage.pipeline_id,
        "stage": robot_stage.pk,
        "sort": 100,
        "name": "Комментарий",
        "action": "comment",
        "params": json.dumps({"text": "Привет, {{ deal.title }}"}),
        "condition": "{}",
        "timing": json.dumps({"type": "after", "amount": 5, "unit": "minutes"}),
        "is_active": "on",
    }
    return {**data, **overrides}


def test_admin_creates_a_valid_robot(client, admin_user, first_stage):
    client.force_login(admin_user)

    response = client.post(reverse("admin:automation_robot_add"), admin_form(first_stage))

    assert response.status_code == 302
    assert Robot.objects.get().timing == {"type": "after", "amount": 5, "unit": "minutes"}


def test_admin_shows_what_is_wrong_with_a_robot(client, admin_user, first_stage):
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:automation_robot_add"),
        admin_form(first_stage, action="fly", timing=json.dumps({"type": "later"})),
    )

    assert response.status_code == 200
    assert "Select a valid choice. fly is not one of the available choices." in (
        response.content.decode()
    )
    assert "Unknown timing “later”." in response.content.decode()
    assert not Robot.objects.exists()


def test_admin_switching_a_robot_off_cancels_its_runs(client, admin_user, deal):
    robot = Robot.objects.get(name="Напоминание")
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:automation_robot_change", args=[robot.pk]),
        {
            **admin_form(robot.stage, name=robot.name, timing=json.dumps(robot.timing)),
            "is_active": "",
        },
    )

    assert response.status_code == 302
    assert RobotRun.objects.get(robot=robot).status == RunStatus.CANCELLED


def test_the_feed_shows_robot_entries_with_their_status(deal, client, manager):
    from voronka.timeline.registry import entry_template

    assert entry_template("robot") == "automation/_timeline_entry.html"
    entry = TimelineEntry.objects.filter(card_id=deal.pk, kind=EntryKind.ROBOT).first()
    html = Template('{% include "automation/_timeline_entry.html" %}').render(
        Context({"entry": entry})
    )

    assert entry.payload["robot"] in html
    assert ("Robot done" in html) or ("Robot skipped" in html)
