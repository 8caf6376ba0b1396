"""Runs follow the card: created on entering a stage, cancelled on leaving, atomically."""

import datetime

import pytest
from django.db import transaction

from voronka.automation.models import RobotRun, RunStatus
from voronka.automation.services import robot_update
from voronka.automation.tests.factories import RobotFactory
from voronka.core.events import subscribe
from voronka.sales import events
from voronka.sales.models import Deal
from voronka.sales.services import deal_move_to_stage, lead_create
from voronka.sales.tests.factories import PipelineFactory

pytestmark = pytest.mark.django_db


def runs_of(card):
    return RobotRun.objects.filter(card_id=card.pk, card_type__model=card._meta.model_name)


def test_creating_a_deal_creates_the_runs_of_its_first_stage(make_deal, first_stage, second_stage):
    first = RobotFactory(stage=first_stage, sort=20)
    second = RobotFactory(
        stage=first_stage, sort=10, timing={"type": "after", "amount": 2, "unit": "hours"}
    )
    RobotFactory(stage=first_stage, is_active=False)
    RobotFactory(stage=second_stage)

    deal = make_deal()

    runs = list(runs_of(deal).order_by("pk"))
    assert [run.robot for run in runs] == [second, first]
    assert {run.status for run in runs} == {RunStatus.PLANNED}
    assert {run.stage_id for run in runs} == {first_stage.pk}
    delayed, immediate = runs
    assert delayed.due_at - immediate.due_at == datetime.timedelta(hours=2)


def test_creating_a_lead_creates_runs(manager):
    pipeline = PipelineFactory.with_stages(entity="lead", is_default=True)
    robot = RobotFactory(stage=pipeline.stages.first(), params={"text": "{{ lead.title }}"})

    lead = lead_create(actor=manager, data={"title": "Заявка"})

    assert list(runs_of(lead).values_list("robot", "status")) == [(robot.pk, RunStatus.PLANNED)]


def test_moving_creates_runs_of_the_new_stage_and_cancels_the_old(
    make_deal, manager, first_stage, second_stage
):
    RobotFactory(stage=first_stage, timing={"type": "after", "amount": 1, "unit": "days"})
    entering = RobotFactory(stage=second_stage)
    deal = make_deal()

    deal_move_to_stage(actor=manager, deal=deal, stage=second_stage)

    old = runs_of(deal).get(stage=first_stage)
    assert old.status == RunStatus.CANCELLED
    assert old.outcome == "The card left the stage."
    assert old.finished_at is not None
    new = runs_of(deal).get(stage=second_stage)
    assert (new.robot, new.status) == (entering, RunStatus.PLANNED)


def test_moving_back_creates_new_runs(make_deal, manager, first_stage, second_stage):
    RobotFactory(stage=first_stage, timing={"type": "after", "amount": 1, "unit": "days"})
    deal = make_deal()
    deal_move_to_stage(actor=manager, deal=deal, stage=second_stage)
    deal = Deal.objects.get(pk=deal.pk)

    deal_move_to_stage(actor=manager, deal=deal, stage=first_stage)

    statuses = list(runs_of(deal).order_by("pk").values_list("status", flat=True))
    assert statuses == [RunStatus.CANCELLED, RunStatus.PLANNED]


def test_runs_are_created_in_the_transaction_of_the_move(
    make_deal, manager, first_stage, second_stage
):
    """A later step of the same transaction failing rolls back the move and its runs."""
    RobotFactory(stage=second_stage)
    deal = make_deal()

    def failing(event):
        raise RuntimeError("the outbox is full")

    subscribe(events.DealStageChanged, failing, in_transaction=True)
    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            deal_move_to_stage(actor=manager, deal=deal, stage=second_stage)
    finally:
        from voronka.core.events import events as registry

        registry.unsubscribe(events.DealStageChanged, failing)

    assert Deal.objects.get(pk=deal.pk).stage_id == first_stage.pk
    assert not runs_of(deal).filter(stage=second_stage).exists()


def test_a_failing_run_creation_rolls_back_the_move(
    make_deal, manager, first_stage, second_stage, monkeypatch
):
    RobotFactory(stage=second_stage)
    deal = make_deal()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(RobotRun.objects, "bulk_create", broken)
    with pytest.raises(RuntimeError):
        deal_move_to_stage(actor=manager, deal=deal, stage=second_stage)

    assert Deal.objects.get(pk=deal.pk).stage_id == first_stage.pk


def test_switching_a_robot_off_cancels_its_open_runs(make_deal, first_stage):
    robot = RobotFactory(stage=first_stage, timing={"type": "after", "amount": 1, "unit": "days"})
    deal = make_deal()

    robot_update(actor=None, robot=robot, data={"is_active": False})

    assert runs_of(deal).get().status == RunStatus.CANCELLED


def test_a_move_costs_the_same_queries_for_1_and_10_robots(
    make_deal, manager, first_stage, second_stage
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_of_a_move() -> int:
        deal = Deal.objects.get(pk=make_deal().pk)
        with CaptureQueriesContext(connection) as captured:
            deal_move_to_stage(actor=manager, deal=deal, stage=second_stage)
        return len(captured.captured_queries)

    def add_robots(count: int) -> None:
        for stage in (first_stage, second_stage):
            for _ in range(count):
                RobotFactory(stage=stage, timing={"type": "after", "amount": 1, "unit": "days"})

    queries_of_a_move()  # content types and the like are cached from now on
    without = queries_of_a_move()
    add_robots(1)
    one = queries_of_a_move()
    add_robots(9)
    ten = queries_of_a_move()

    # The robots of both stages are one read, the runs left are cancelled in one UPDATE and the
    # new ones created in one INSERT, whatever the number of robots.
    assert ten == one == without + 2
    assert RobotRun.objects.filter(status=RunStatus.CANCELLED).count() == 1 + 10
