"""6. Automation: a stage move into a stage with 10 robots, and draining due robot runs.

* move: ``deal_move_to_stage`` of one deal back and forth between two stages with 10 robots
  each (delayed a day, so nothing is executed): the move cancels the 10 open runs of the
  stage it leaves and creates the 10 runs of the stage it enters, in its own transaction.
  Reference: the same move between two stages without robots.
* drain: N due runs (comment robots with a condition and a template) executed by
  ``run_due_runs`` — what ``manage.py run_automation --once`` and the Celery task do — one
  transaction per run. Runs per second. Reference: per run, a raw transaction that marks the
  run done and writes its comment and robot entries.
"""

import time

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

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
DRAIN = {"full": 10_000, "quick": 2_000}


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
    rows.append(_drain_row(context, pipeline, stages[0]))
    RobotRun.objects.filter(robot__pipeline=pipeline).delete()
    return rows


def _due_runs(user, pipeline, stage, count: int) -> list[int]:
    Robot.objects.filter(pipeline=pipeline).update(timing={})
    robots = list(Robot.objects.filter(stage=stage).order_by("sort"))
    deals = Deal.objects.bulk_create(
        [
            Deal(title=f"Drain {n}", pipeline=pipeline, stage=stage, responsible=user, amount=n)
            for n in range(max(count // len(robots), 1))
        ],
        batch_size=500,
    )
    card_type = ContentType.objects.get_for_model(Deal)
    now = timezone.now()
    runs = RobotRun.objects.bulk_create(
        [
            RobotRun(
                robot=robot,
                card_type=card_type,
                card_id=deal.pk,
                stage=stage,
                due_at=now,
                created_at=now,
            )
            for deal in deals
            for robot in robots
        ],
        batch_size=1000,
    )
    return [run_.pk for run_ in runs]


def _drain_row(context, pipeline, stage):
    count = DRAIN.get(context.sizes.name, 20 * context.sizes.runs)
    RobotRun.objects.filter(status__in=[RunStatus.PLANNED, RunStatus.RUNNING]).update(
        status=RunStatus.CANCELLED
    )
    ids = _due_runs(context.user, pipeline, stage, count)
    started = time.perf_counter()
    done = run_due_runs(worker_id="benchmark")
    wall = time.perf_counter() - started
    assert done == len(ids), (done, len(ids))
    per_run = wall / done
    # Reference: the minimal writes of a run, one raw transaction each, over the same runs.
    RunEffect.objects.filter(run_id__in=ids).delete()
    raw = RawRun()
    reference = time_operation(
        lambda index: raw(ids[index % len(ids)]), warmup=2, runs=min(len(ids), 500)
    )
    # The queries of one run, counted on one more.
    [extra] = _due_runs(context.user, pipeline, stage, 1)[:1]
    RobotRun.objects.filter(stage=stage, status=RunStatus.PLANNED).exclude(pk=extra).update(
        status=RunStatus.CANCELLED
    )
    with CaptureQueriesContext(connection) as captured:
        run_due_runs(worker_id="benchmark")
    claims = 2  # the claim that finds it and the one that finds nothing more
    ours = Timing([per_run] * max(context.sizes.runs, 1), len(captured.captured_queries) - claims)
    return result(
        scenario=SCENARIO,
        operation=f"drain {number(done)} due runs",
        database=context.database,
        size=f"{number(done)} runs, {ROBOTS} robots",
        path="run_due_runs (= run_automation --once), one transaction per run; ms per run",
        ours=ours,
        reference=reference,
        extra={"runs/s": f"{done / wall:.0f}"},
    )


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
