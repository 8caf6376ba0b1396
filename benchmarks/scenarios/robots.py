"""6. Automation: a stage move into a stage with 10 robots, and draining due robot runs.

* move: ``deal_move_to_stage`` of one deal back and forth between two stages with 10 robots
  each (delayed a day, so nothing is executed): the move cancels the 10 open runs of the
  stage it leaves and creates the 10 runs of the stage it enters, in its own transaction.
  Reference: the same move between two stages without robots.
* drain: N due runs (comment robots with a condition and a template) executed by
  ``run_due_runs`` — what ``manage.py run_automation --once`` and the Celery task do — one
  transaction per run, in this process. Runs per second. Reference: per run, a raw
  transaction that marks the run done and writes its comment and robot entries.
* drain with 2 workers: the same N runs drained by two worker processes at once
  (``benchmarks/drain.py``): they claim batches under leases and skip each other's rows
  (PostgreSQL), or take turns at the one writer (SQLite). Every run must have executed exactly
  once. The smoke test's data is invisible to other processes, so there the two workers take
  turns in this process.
"""

import time

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from benchmarks.drain import check_once, drain_with_workers, due_runs, runs_between
from benchmarks.measure import Timing, result, time_operation
from benchmarks.scenarios.base import number
from benchmarks.sql import table
from voronka.automation.models import Robot, RobotRun, RunEffect, RunStatus
from voronka.automation.services import run_due_runs
from voronka.sales.models import Deal, Pipeline, PipelineEntity, Stage, StageKind
from voronka.sales.services import deal_create, deal_move_to_stage
from voronka.timeline.models import EntryKind, TimelineEntry

SCENARIO = "6 robots"
PIPELINE = "Benchmark: robots"
ROBOTS = 10
DRAIN = {"full": 100_000, "quick": 5_000}
WORKERS = 2


def _pipeline() -> tuple[Pipeline, list[Stage]]:
    pipeline, _created = Pipeline.objects.get_or_create(entity=PipelineEntity.DEAL, name=PIPELINE)
    stages = []
    for position, code in enumerate(("robots_a", "robots_b", "plain_a", "plain_b"), start=1):
        stage, _created = Stage.objects.get_or_create(
            pipeline=pipeline,
            code=code,
            defaults={"name": code, "kind": StageKind.OPEN, "sort": 10 * position},
        )
        stages.append(stage)
    RobotRun.objects.filter(robot__pipeline=pipeline).delete()
    Robot.objects.filter(pipeline=pipeline).delete()
    for stage in stages[:2]:
        Robot.objects.bulk_create(
            Robot(
                pipeline=pipeline,
                stage=stage,
                name=f"Robot {n}",
                action="comment",
                params={"text": "{{ deal.title }}: {{ deal.amount }}"},
                condition={"rules": [{"field": "amount", "op": "gte", "value": "0"}]},
                timing={"type": "after", "amount": 1, "unit": "days"},
                sort=n,
            )
            for n in range(ROBOTS)
        )
    return pipeline, stages


def _mover(user, pipeline, first: Stage, second: Stage):
    deal = deal_create(actor=user, data={"title": "Robots", "pipeline": pipeline, "stage": first})

    def move(index: int) -> None:
        card = Deal.objects.get(pk=deal.pk)
        deal_move_to_stage(actor=user, deal=card, stage=second if index % 2 == 0 else first)

    return move


def run(context) -> list:
    sizes = context.sizes
    pipeline, stages = _pipeline()
    user = context.user
    rows = []
    ours = time_operation(
        _mover(user, pipeline, stages[0], stages[1]), warmup=sizes.warmup, runs=sizes.runs
    )
    reference = time_operation(
        _mover(user, pipeline, stages[2], stages[3]), warmup=sizes.warmup, runs=sizes.runs
    )
    rows.append(
        result(
            scenario=SCENARIO,
            operation=f"stage move, {ROBOTS} robots on each stage",
            database=context.database,
            size=f"{ROBOTS} runs cancelled + {ROBOTS} created",
            path="service deal_move_to_stage (runs created in its transaction)",
            ours=ours,
            reference=reference,
            note="reference: the same move between stages without robots",
        )
    )
    single, reference, queries, rate = _drain_row(context, pipeline, stages[0])
    rows.append(single)
    rows.append(_workers_row(context, pipeline, stages[0], reference, queries, rate))
    RobotRun.objects.filter(robot__pipeline=pipeline).delete()
    return rows


def drain_pipeline(user=None):
    """The employee, pipeline and robot stage of the drain, on any database."""
    from voronka.staff.models import User

    if user is None:
        user, _created = User.objects.get_or_create(
            username="benchmark-robots", defaults={"first_name": "Benchmark"}
        )
    pipeline, stages = _pipeline()
    return user, pipeline, stages[0]


def _drain_count(context) -> int:
    return DRAIN.get(context.sizes.name, 20 * context.sizes.runs)


def _cancel_open() -> None:
    RobotRun.objects.filter(status__in=[RunStatus.PLANNED, RunStatus.RUNNING]).update(
        status=RunStatus.CANCELLED
    )


def _drain_row(context, pipeline, stage):
    count = _drain_count(context)
    _cancel_open()
    ids = due_runs(context.user, pipeline, stage, count)
    started = time.perf_counter()
    done = run_due_runs(worker_id="benchmark")
    wall = time.perf_counter() - started
    assert done == len(ids), (done, len(ids))
    check_once(ids)
    per_run = wall / done
    # Reference: the minimal writes of a run, one raw transaction each, over the same runs.
    RunEffect.objects.filter(run_id__gte=min(ids), run_id__lte=max(ids)).delete()
    raw = RawRun()
    reference = time_operation(
        lambda index: raw(ids[index % len(ids)]), warmup=2, runs=min(len(ids), 500)
    )
    # The queries of one run, counted on one more.
    [extra] = due_runs(context.user, pipeline, stage, 1)[:1]
    RobotRun.objects.filter(stage=stage, status=RunStatus.PLANNED).exclude(pk=extra).update(
        status=RunStatus.CANCELLED
    )
    with CaptureQueriesContext(connection) as captured:
        run_due_runs(worker_id="benchmark")
    claims = 2  # the claim that finds it and the one that finds nothing more
    queries = len(captured.captured_queries) - claims
    ours = Timing([per_run] * max(context.sizes.runs, 1), queries)
    runs_between(ids).delete()
    row = result(
        scenario=SCENARIO,
        operation=f"drain {number(done)} due runs, 1 worker",
        database=context.database,
        size=f"{number(done)} runs, {ROBOTS} robots",
        path="run_due_runs (= run_automation --once) in this process, one transaction per run; "
        "ms per run",
        ours=ours,
        reference=reference,
        extra={"runs/s": f"{done / wall:.0f}"},
    )
    return row, reference, queries, done / wall


def _workers_row(context, pipeline, stage, reference, queries, single_rate):
    count = _drain_count(context)
    _cancel_open()
    ids = due_runs(context.user, pipeline, stage, count)
    if context.http:
        measured = drain_with_workers(WORKERS)
        how = f"{WORKERS} worker processes (run_due_runs each), started, then told to go"
    else:
        # The smoke test's transaction is invisible to other processes: the workers take
        # turns in this one, a batch each.
        measured = _drain_in_turns(WORKERS)
        how = f"{WORKERS} workers taking turns in this process (smoke test)"
    done, wall = measured["done"], measured["seconds"]
    assert done == len(ids), (done, len(ids))
    check_once(ids)
    runs_between(ids).delete()
    rate = done / wall
    return result(
        scenario=SCENARIO,
        operation=f"drain {number(done)} due runs, {WORKERS} workers",
        database=context.database,
        size=f"{number(done)} runs, {ROBOTS} robots",
        path=f"{how}; wall time per run, ms",
        ours=Timing([wall / done] * max(context.sizes.runs, 1), queries),
        reference=reference,
        note="queries: of one run, as with 1 worker",
        extra={
            "runs/s": f"{rate:.0f}",
            "vs 1 worker": f"×{rate / single_rate:.2f}",
            "per worker": "/".join(str(n) for n in measured["per_worker"]),
        },
    )


def _drain_in_turns(workers: int) -> dict:
    per_worker = [0] * workers
    started = time.perf_counter()
    turn = 0
    while True:
        done = run_due_runs(worker_id=f"benchmark-{turn % workers}", batch=10, max_seconds=0)
        if not done:
            break
        per_worker[turn % workers] += done
        turn += 1
    return {
        "done": sum(per_worker),
        "per_worker": per_worker,
        "seconds": time.perf_counter() - started,
    }


class RawRun:
    def __init__(self) -> None:
        self.card_type = ContentType.objects.get_for_model(Deal).pk
        self.update = f"UPDATE {table(RobotRun)} SET status = 'done', outcome = %s WHERE id = %s"
        self.entry = (
            f"INSERT INTO {table(TimelineEntry)} "
            "(card_type_id, card_id, kind, author_id, created_at, text, payload) "
            "VALUES (%s, %s, %s, NULL, %s, %s, '{}')"
        )

    def __call__(self, run_id: int) -> None:
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(self.update, ["raw", run_id])
            for kind in (EntryKind.COMMENT, EntryKind.ROBOT):
                cursor.execute(self.entry, [self.card_type, 1, kind, now, "raw"])
