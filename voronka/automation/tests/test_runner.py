"""Claiming under leases, executing, retrying, failing — and never doing an effect twice."""

import datetime
import threading

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone

from voronka.automation.models import RobotRun, RunEffect, RunStatus
from voronka.automation.services import claim_due_runs, execute_run, run_due_runs
from voronka.automation.tasks import run_due
from voronka.automation.tests.factories import RobotFactory
from voronka.sales.models import Deal
from voronka.sales.services import deal_delete, deal_move_to_stage
from voronka.timeline.models import EntryKind, TimelineEntry

pytestmark = pytest.mark.django_db


def comments(deal):
    return TimelineEntry.objects.filter(
        card_id=deal.pk, card_type__model="deal", kind=EntryKind.COMMENT
    )


def later(seconds):
    return timezone.now() + datetime.timedelta(seconds=seconds)


@pytest.fixture
def run(make_deal, first_stage):
    RobotFactory(stage=first_stage)
    deal = make_deal()
    return RobotRun.objects.get(card_id=deal.pk)


def test_claim_marks_due_runs_running_under_a_lease(run):
    ids = claim_due_runs(worker_id="w1", lease_seconds=30)

    run.refresh_from_db()
    assert ids == [run.pk]
    assert (run.status, run.lease_owner, run.attempts) == (RunStatus.RUNNING, "w1", 1)
    assert run.lease_until > timezone.now() + datetime.timedelta(seconds=25)


def test_claim_skips_runs_not_yet_due(make_deal, first_stage):
    RobotFactory(stage=first_stage, timing={"type": "after", "amount": 5, "unit": "minutes"})
    make_deal()

    assert claim_due_runs(worker_id="w1") == []
    assert len(claim_due_runs(worker_id="w1", now=later(301))) == 1


def test_claim_skips_runs_leased_to_another_worker(run):
    claim_due_runs(worker_id="w1", lease_seconds=60)

    assert claim_due_runs(worker_id="w2", now=later(30)) == []
    assert execute_run(run.pk, "w2") is None


def test_execute_performs_the_action_and_explains_it(run):
    claim_due_runs(worker_id="w1")

    result = execute_run(run.pk, "w1")

    run.refresh_from_db()
    assert result.status == run.status == RunStatus.DONE
    assert run.outcome.startswith("Comment added: Клиент Поставка станков ждёт звонка")
    assert run.trace["condition"]["result"] is True
    assert (run.lease_owner, run.lease_until) == ("", None)
    deal = Deal.objects.get(pk=run.card_id)
    assert comments(deal).get().payload["robot_run_id"] == run.pk
    robot_entry = TimelineEntry.objects.get(card_id=deal.pk, kind=EntryKind.ROBOT)
    assert robot_entry.payload["status"] == RunStatus.DONE
    assert robot_entry.author is None


def test_an_expired_lease_is_reclaimed_and_the_effect_happens_once(run):
    """The first worker stops after claiming; another takes the run over once the lease has
    expired. When the first wakes up, the run is no longer its own."""
    claim_due_runs(worker_id="w1", lease_seconds=10)

    assert claim_due_runs(worker_id="w2", now=later(11)) == [run.pk]
    assert execute_run(run.pk, "w2").status == RunStatus.DONE
    assert execute_run(run.pk, "w1") is None

    run.refresh_from_db()
    assert run.attempts == 2
    assert RunEffect.objects.filter(run=run).count() == 1
    assert comments(Deal.objects.get(pk=run.card_id)).count() == 1


def test_a_retried_run_whose_effect_is_recorded_does_not_repeat_it(run):
    """Effects are keyed by the run id: a run that somehow performs again finds its effect."""
    RunEffect.objects.create(run=run, key="comment")
    claim_due_runs(worker_id="w1")

    result = execute_run(run.pk, "w1")

    assert result.outcome == "The comment was already written."
    assert comments(Deal.objects.get(pk=run.card_id)).count() == 0


def test_a_failing_action_is_retried_with_back_off_then_fails(run, monkeypatch, settings):
    settings.AUTOMATION_MAX_ATTEMPTS = 3
    settings.AUTOMATION_RETRY_DELAYS = (10, 100)
    from voronka.automation.actions import get_action

    def broken(*args, **kwargs):
        raise ConnectionError("mail server down")

    monkeypatch.setattr(get_action("comment"), "perform", broken)
    now = timezone.now()

    claim_due_runs(worker_id="w1", now=now)
    assert execute_run(run.pk, "w1", now=now).status == RunStatus.PLANNED
    run.refresh_from_db()
    assert run.due_at == now + datetime.timedelta(seconds=10)
    assert "mail server down" in run.outcome

    now += datetime.timedelta(seconds=10)
    claim_due_runs(worker_id="w1", now=now)
    execute_run(run.pk, "w1", now=now)
    run.refresh_from_db()
    assert (run.status, run.due_at) == (RunStatus.PLANNED, now + datetime.timedelta(seconds=100))

    now += datetime.timedelta(seconds=100)
    claim_due_runs(worker_id="w1", now=now)
    assert execute_run(run.pk, "w1", now=now).status == RunStatus.FAILED
    run.refresh_from_db()
    assert run.outcome.startswith("Failed after 3 attempts: ConnectionError: mail server down")
    assert [error["attempt"] for error in run.trace["errors"]] == [1, 2, 3]
    assert TimelineEntry.objects.filter(card_id=run.card_id, kind=EntryKind.ROBOT).count() == 1


def test_a_run_whose_worker_keeps_dying_fails(run, settings):
    settings.AUTOMATION_MAX_ATTEMPTS = 2
    claim_due_runs(worker_id="w1", lease_seconds=10)
    claim_due_runs(worker_id="w2", lease_seconds=10, now=later(11))

    assert claim_due_runs(worker_id="w3", now=later(30)) == []
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert "worker stopped" in run.outcome


def test_a_deleted_card_skips_the_run(run, manager):
    deal_delete(actor=manager, deal=Deal.objects.get(pk=run.card_id))
    claim_due_runs(worker_id="w1")

    result = execute_run(run.pk, "w1")

    assert (result.status, result.outcome) == (RunStatus.SKIPPED, "The card was deleted.")


def test_a_false_condition_skips_with_the_reason(make_deal, first_stage):
    RobotFactory(
        stage=first_stage,
        condition={"rules": [{"field": "amount", "op": "gte", "value": "100000"}]},
    )
    deal = make_deal(amount="5000")
    run = RobotRun.objects.get(card_id=deal.pk)
    claim_due_runs(worker_id="w1")

    result = execute_run(run.pk, "w1")

    assert result.status == RunStatus.SKIPPED
    assert result.outcome == "Condition not met: Amount ≥ 100000: 5000 → no"
    assert not comments(deal).exists()


def test_a_run_cancelled_while_claimed_is_not_executed(run, manager, second_stage):
    claim_due_runs(worker_id="w1")
    deal_move_to_stage(actor=manager, deal=Deal.objects.get(pk=run.card_id), stage=second_stage)

    assert execute_run(run.pk, "w1") is None
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED


def test_run_due_drains_every_due_run(make_deal, first_stage):
    RobotFactory(stage=first_stage)
    deals = [make_deal() for _ in range(3)]

    assert run_due_runs(worker_id="w1", batch=2) == 3
    assert all(comments(deal).count() == 1 for deal in deals)


def test_an_immediate_robot_acts_through_the_celery_task_on_commit(
    make_deal, first_stage, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from config.celery import app

    app.conf.task_always_eager = True
    RobotFactory(stage=first_stage)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            deal = make_deal()
    finally:
        app.conf.task_always_eager = False

    assert RobotRun.objects.get(card_id=deal.pk).status == RunStatus.DONE
    assert comments(deal).count() == 1


def test_the_task_function_drains_due_runs(run):
    assert run_due() == 1
    run.refresh_from_db()
    assert run.status == RunStatus.DONE


def test_the_management_command_runs_once(run, capsys):
    call_command("run_automation", "--once", "--worker-id", "cmd-1")

    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert "1 runs" in capsys.readouterr().out


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has one writer at a time")
@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_never_claim_the_same_run(make_deal, first_stage):
    RobotFactory(stage=first_stage)
    for _ in range(40):
        make_deal()
    claimed: dict[str, list[int]] = {}
    barrier = threading.Barrier(4)

    def worker(name):
        try:
            barrier.wait()
            mine = []
            while ids := claim_due_runs(worker_id=name, limit=3):
                mine += ids
            claimed[name] = mine
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    every = [pk for ids in claimed.values() for pk in ids]
    assert len(every) == len(set(every)) == 40
    assert sum(1 for ids in claimed.values() if ids) > 1


def test_draining_stops_between_runs_when_asked(make_deal, first_stage):
    RobotFactory(stage=first_stage)
    for _ in range(3):
        make_deal()
    asked = iter([False, True])

    assert run_due_runs(worker_id="w1", should_stop=lambda: next(asked, True)) == 1
    assert RobotRun.objects.filter(status=RunStatus.RUNNING).count() == 2
