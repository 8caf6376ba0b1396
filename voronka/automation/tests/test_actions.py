"""Each action's effect through the real services, run by the runner."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from voronka.automation.models import RobotRun, RunStatus
from voronka.automation.services import claim_due_runs, execute_run, robot_create
from voronka.automation.tests.factories import RobotFactory
from voronka.contacts.services import contact_create
from voronka.customization.models import CustomField, EntityType, FieldType
from voronka.sales.models import Deal, Lead, StageKind
from voronka.sales.services import lead_create
from voronka.sales.tests.factories import LossReasonFactory, PipelineFactory, stage_of
from voronka.staff.models import Absence, AbsenceKind
from voronka.staff.tests.factories import UserFactory
from voronka.timeline.models import Activity, EntryKind, TimelineEntry

pytestmark = pytest.mark.django_db


def run_once(card):
    """Claim and execute the card's due runs; the last result."""
    results = []
    for run_id in claim_due_runs(worker_id="test"):
        results.append(execute_run(run_id, "test"))
    assert results, "nothing was due"
    return results[-1]


def feed(card, kind):
    return TimelineEntry.objects.filter(
        card_id=card.pk, card_type__model=card._meta.model_name, kind=kind
    )


def test_comment_renders_the_template(make_deal, first_stage):
    RobotFactory(
        stage=first_stage,
        params={"text": "{{ deal.title }} — {{ deal.pipeline }}, {{ deal.amount }} ₽"},
    )
    deal = make_deal(amount="1500")

    result = run_once(deal)

    comment = feed(deal, EntryKind.COMMENT).get()
    assert comment.text == f"Поставка станков — {deal.pipeline.name}, 1500.00 ₽"
    assert comment.author is None
    assert result.status == RunStatus.DONE


def test_set_fields_with_templates_expressions_and_values(make_deal, first_stage, manager):
    CustomField.objects.create(
        entity=EntityType.DEAL, code="prepay", label="Prepayment", field_type=FieldType.MONEY
    )
    RobotFactory(
        stage=first_stage,
        action="set_fields",
        params={
            "values": [
                {"field": "title", "template": "{{ deal.title }} — {{ deal.pipeline }}"},
                {"field": "probability", "value": 30},
                {"field": "prepay", "expression": "round(amount * 0.3, 2)"},
            ]
        },
    )
    deal = make_deal(amount="100000")

    result = run_once(deal)

    deal = Deal.objects.get(pk=deal.pk)
    assert result.status == RunStatus.DONE, result.outcome
    assert deal.title == f"Поставка станков — {deal.pipeline.name}"
    assert deal.probability == 30
    assert deal.custom_fields["prepay"] == {"amount": "30000.00", "currency": "RUB"}
    # Through the service: history rows by the system, a new version.
    changes = feed(deal, EntryKind.FIELD_CHANGED)
    assert {entry.payload["field"] for entry in changes} == {
        "title",
        "probability",
        "custom_fields.prepay",
    }
    assert {entry.author for entry in changes} == {None}
    assert deal.version == 2


def test_set_fields_refused_by_the_service_fails_without_retry(make_deal, first_stage):
    RobotFactory(
        stage=first_stage,
        action="set_fields",
        params={"values": [{"field": "probability", "value": 250}]},
    )
    deal = make_deal()

    result = run_once(deal)

    run = RobotRun.objects.get(card_id=deal.pk)
    assert result.status == run.status == RunStatus.FAILED
    assert run.outcome.startswith("Refused: ")
    assert Deal.objects.get(pk=deal.pk).probability is None


def test_move_to_stage_through_the_service_creates_the_next_runs(
    make_deal, first_stage, second_stage
):
    RobotFactory(stage=first_stage, action="move_stage", params={"stage": second_stage.pk})
    RobotFactory(stage=second_stage, params={"text": "Entered {{ deal.stage }}"})
    deal = make_deal()

    run_once(deal)
    run_once(deal)

    deal = Deal.objects.get(pk=deal.pk)
    assert deal.stage == second_stage
    assert feed(deal, EntryKind.STAGE_CHANGED).get().author is None
    assert feed(deal, EntryKind.COMMENT).get().text == "Entered In Progress"
    runs = RobotRun.objects.filter(card_id=deal.pk).order_by("pk")
    assert [(run.status, run.depth) for run in runs] == [(RunStatus.DONE, 0), (RunStatus.DONE, 1)]


def test_move_to_a_lost_stage_gives_the_reason(make_deal, first_stage, pipeline):
    reason = LossReasonFactory()
    lost = pipeline.stages.get(kind=StageKind.LOST)
    RobotFactory(
        stage=first_stage, action="move_stage", params={"stage": lost.pk, "loss_reason": reason.pk}
    )
    deal = make_deal()

    run_once(deal)

    deal = Deal.objects.get(pk=deal.pk)
    assert (deal.stage, deal.loss_reason) == (lost, reason)


def test_robots_moving_a_card_back_and_forth_stop(make_deal, first_stage, second_stage, settings):
    settings.AUTOMATION_MAX_CHAIN_DEPTH = 3
    RobotFactory(stage=first_stage, action="move_stage", params={"stage": second_stage.pk})
    RobotFactory(stage=second_stage, action="move_stage", params={"stage": first_stage.pk})
    deal = make_deal()

    from voronka.automation.services import run_due_runs

    run_due_runs(worker_id="test")

    last = RobotRun.objects.filter(card_id=deal.pk).order_by("pk").last()
    assert last.status == RunStatus.SKIPPED
    assert last.outcome.startswith("Stopped: 4 robots in a row")


def test_send_email_to_the_primary_contact(make_deal, first_stage, manager):
    contact = contact_create(
        actor=manager,
        data={"first_name": "Анна", "last_name": "Котова"},
        communications=[{"kind": "email", "value": "anna@client.ru"}],
    )
    RobotFactory(
        stage=first_stage,
        action="send_email",
        params={"subject": "По сделке {{ deal.title }}", "body": "Здравствуйте! {{ deal.amount }}"},
    )
    deal = make_deal(amount="10")
    deal.contact_links.create(contact=contact, is_primary=True)

    result = run_once(deal)

    assert result.outcome == "E-mail sent to anna@client.ru."
    [message] = mail.outbox
    assert message.to == ["anna@client.ru"]
    assert message.subject == "По сделке Поставка станков"
    assert message.body == "Здравствуйте! 10.00"
    assert message.extra_headers["Message-ID"] == f"<robot-run-{result.run_id}@voronka>"
    assert feed(deal, EntryKind.COMMENT).get().payload["email_to"] == "anna@client.ru"


def test_send_email_to_a_lead(manager):
    pipeline = PipelineFactory.with_stages(entity="lead", is_default=True)
    RobotFactory(
        stage=pipeline.stages.first(),
        action="send_email",
        params={"subject": "Заявка {{ lead.title }}", "body": "Мы получили заявку"},
    )
    lead = lead_create(
        actor=manager,
        data={"title": "Сайт"},
        communications=[{"kind": "email", "value": "buyer@client.ru"}],
    )

    run_once(lead)

    assert mail.outbox[0].to == ["buyer@client.ru"]


def test_send_email_without_an_address_is_skipped(make_deal, first_stage):
    RobotFactory(stage=first_stage, action="send_email", params={"subject": "a", "body": "b"})
    deal = make_deal()

    result = run_once(deal)

    assert (result.status, result.outcome) == (
        RunStatus.SKIPPED,
        "The client has no e-mail address.",
    )
    assert mail.outbox == []


@pytest.fixture
def team(department):
    return [
        UserFactory(username=f"seller{n}", last_name=f"Продавец{n}", department=department)
        for n in range(3)
    ]


def test_round_robin_assigns_in_turn(make_deal, first_stage, team):
    RobotFactory(
        stage=first_stage,
        action="assign",
        params={"strategy": "round_robin", "users": [user.pk for user in team]},
    )
    deals = [make_deal() for _ in range(4)]

    from voronka.automation.services import run_due_runs

    run_due_runs(worker_id="test")

    assert [Deal.objects.get(pk=deal.pk).responsible for deal in deals] == [*team, team[0]]


def test_assignment_skips_an_absent_employee_and_says_why(make_deal, first_stage, team):
    today = timezone.localdate()
    Absence.objects.create(
        user=team[0],
        kind=AbsenceKind.VACATION,
        starts_on=today - datetime.timedelta(days=1),
        ends_on=today + datetime.timedelta(days=6),
    )
    team[1].is_active = False
    team[1].save(update_fields=["is_active"])
    RobotFactory(
        stage=first_stage,
        action="assign",
        # Working hours have their own tests; this one holds at any time of day.
        params={"strategy": "round_robin", "users": [user.pk for user in team], "any_time": True},
    )
    deal = make_deal()

    result = run_once(deal)

    assert Deal.objects.get(pk=deal.pk).responsible == team[2]
    run = RobotRun.objects.get(pk=result.run_id)
    until = (today + datetime.timedelta(days=6)).strftime("%d.%m.%Y")
    assert run.outcome == (
        f"Responsible: {team[2]}. {team[2]} is next in turn. Passed over: "
        f"{team[0]} (absent today: vacation until {until}), {team[1]} (inactive)."
    )
    assert [c.get("skipped") for c in run.trace["action"]["candidates"]] == [
        f"absent today: vacation until {until}",
        "inactive",
        None,
    ]


def test_least_loaded_counts_open_cards_and_weighted_activities(
    make_deal, first_stage, team, manager
):
    from voronka.sales.tests.factories import DealFactory

    DealFactory.create_batch(2, responsible=team[0])
    DealFactory(responsible=team[1])
    for _ in range(3):
        Activity.objects.create(
            card_type_id=1, card_id=1, kind="call", subject="Звонок", responsible=team[1]
        )
    RobotFactory(
        stage=first_stage,
        action="assign",
        params={"strategy": "least_loaded", "users": [team[0].pk, team[1].pk]},
    )
    deal = make_deal()

    result = run_once(deal)

    # team[0]: 2 cards; team[1]: 1 card + 3 × 0.5 activities = 2.5
    assert Deal.objects.get(pk=deal.pk).responsible == team[0]
    run = RobotRun.objects.get(pk=result.run_id)
    assert [c["load"] for c in run.trace["action"]["candidates"]] == ["2", "2.5"]


def test_department_strategy_picks_the_least_loaded_in_the_department(
    make_deal, first_stage, team, department, manager, head
):
    from voronka.sales.tests.factories import DealFactory

    for user in [head, *team[:2]]:
        DealFactory(responsible=user)
    RobotFactory(
        stage=first_stage,
        action="assign",
        params={"strategy": "department", "department": department.pk},
    )
    deal = make_deal()  # manager's own deal counts for the manager

    run_once(deal)

    assert Deal.objects.get(pk=deal.pk).responsible == team[2]


def test_nobody_to_assign_fails_with_the_reason(make_deal, first_stage, team):
    for user in team:
        user.is_active = False
        user.save(update_fields=["is_active"])
    RobotFactory(
        stage=first_stage,
        action="assign",
        params={"strategy": "round_robin", "users": [user.pk for user in team]},
    )
    deal = make_deal()

    result = run_once(deal)

    assert result.status == RunStatus.FAILED
    assert "Nobody to assign" in result.outcome


def test_robot_create_validates_everything(first_stage, second_stage):
    other = PipelineFactory.with_stages()
    with pytest.raises(ValidationError) as error:
        robot_create(
            actor=None,
            data={
                "pipeline": first_stage.pipeline,
                "stage": stage_of(other, "new"),
                "name": "Broken",
                "action": "move_stage",
                "params": {"stage": stage_of(other, "won").pk, "extra": 1},
                "condition": {"rules": [{"field": "nope", "op": "eq", "value": 1}]},
                "timing": {"type": "soon"},
            },
        )

    assert error.value.message_dict == {
        "stage": ["Choose a stage of the robot's pipeline."],
        "params": ["extra: Unknown parameter."],
        "condition": ["Rule 1: unknown field “nope”."],
        "timing": ["Unknown timing “soon”."],
    }


def test_robot_create_checks_templates_and_expressions(first_stage):
    with pytest.raises(ValidationError) as error:
        robot_create(
            actor=None,
            data={
                "stage": first_stage,
                "name": "Broken",
                "action": "set_fields",
                "params": {
                    "values": [
                        {"field": "title", "template": "{% load static %}"},
                        {"field": "amount", "expression": "__import__('os')"},
                        {"field": "probability", "expression": "discount * 2"},
                        {"field": "stage", "value": 1},
                    ]
                },
            },
        )

    messages = error.value.message_dict["params"]
    assert len(messages) == 4
    assert messages[0].startswith("values: Template error: Invalid block tag")
    assert messages[1] == (
        "values: Only numbers, field codes, + - * / % and round, min, max, abs are allowed."
    )
    assert messages[2] == "values: Unknown number fields: discount."
    assert messages[3] == "values: A robot cannot set “stage”."


def test_robot_create_accepts_a_good_robot(first_stage):
    robot = robot_create(
        actor=None,
        data={
            "stage": first_stage,
            "name": "Предоплата 30%",
            "action": "set_fields",
            "params": {"values": [{"field": "probability", "expression": "amount / 1000"}]},
            "condition": {"join": "and", "rules": [{"field": "amount", "op": "gt", "value": 0}]},
            "timing": {"type": "after", "amount": 10, "unit": "minutes", "working_hours": True},
        },
    )

    assert robot.pipeline == first_stage.pipeline


def test_lead_card_has_lead_in_templates(manager):
    pipeline = PipelineFactory.with_stages(entity="lead", is_default=True)
    RobotFactory(stage=pipeline.stages.first(), params={"text": "{{ lead.title }}/{{ card.id }}"})
    lead = lead_create(actor=manager, data={"title": "Сайт", "amount": Decimal("5")})

    run_once(lead)

    assert feed(Lead.objects.get(pk=lead.pk), EntryKind.COMMENT).get().text == f"Сайт/{lead.pk}"


def test_create_task_through_the_tasks_service_once_per_run(make_deal, first_stage, manager):
    from voronka.tasks.models import Task

    RobotFactory(
        stage=first_stage,
        action="create_task",
        params={
            "title": "Позвонить: {{ deal.title }}",
            "deadline_amount": 2,
            "deadline_unit": "hours",
        },
    )
    deal = make_deal()
    run = RobotRun.objects.get(card_id=deal.pk)
    claim_due_runs(worker_id="test")

    result = execute_run(run.pk, "test")

    task = Task.objects.get()
    assert result.status == RunStatus.DONE, result.outcome
    assert (task.title, task.responsible, task.robot_run_id) == (
        "Позвонить: Поставка станков",
        manager,
        str(run.pk),
    )
    assert task.deadline > timezone.now() + datetime.timedelta(minutes=119)
    # The same run performed again (a retry) finds its task.
    from voronka.automation.actions import get_action

    get_action("create_task").perform(run, Deal.objects.get(pk=deal.pk), run.robot.params)
    assert Task.objects.count() == 1
