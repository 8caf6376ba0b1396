"""The drain benchmark's worker processes: started, told to go together, every due run
executed exactly once between them."""

import pytest

from benchmarks.drain import check_once, drain_with_workers, due_runs, runs_between
from benchmarks.scenarios.robots import drain_pipeline
from voronka.automation.models import RunEffect


@pytest.mark.django_db(transaction=True)
def test_two_worker_processes_drain_every_due_run_exactly_once():
    user, pipeline, stage = drain_pipeline()
    ids = due_runs(user, pipeline, stage, 60)

    measured = drain_with_workers(2, timeout=300)

    assert measured["done"] == 60
    assert len(measured["per_worker"]) == 2 and measured["seconds"] > 0
    check_once(ids)
    assert RunEffect.objects.count() == 60


@pytest.mark.django_db
def test_the_check_finds_a_run_executed_twice_or_not_at_all():
    user, pipeline, stage = drain_pipeline()
    ids = due_runs(user, pipeline, stage, 10)

    with pytest.raises(AssertionError, match="10 runs: 0 done"):
        check_once(ids)
    assert runs_between(ids).count() == 10
