"""Draining due robot runs with several worker processes against one database.

Each worker is a process of its own running ``run_due_runs`` — what ``manage.py
run_automation`` and the Celery task run — under its own worker id. The processes start,
set Django up and say they are ready; only then are they told to go, so the time measured is
the drain, not Python's start-up. Afterwards every run must be done and have written its
effect exactly once.

Used by scenario 6 and on its own, on any database ``DATABASE_URL`` names (it migrates it and
adds a pipeline, an employee and the runs; nothing else is needed)::

    DATABASE_URL=postgres://…/db python -m benchmarks.drain --runs 100000 --workers 1 2

``python -m benchmarks.drain --worker <id>`` is the worker itself.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    """The URL of the database this process uses (the test database in tests), for workers."""
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{db['USER']}{password}@{host}{port}/{db['NAME']}"


def due_runs(user, pipeline, stage, count: int) -> list[int]:
    """``count`` runs due now of the stage's robots (made immediate), on deals of their own."""
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from voronka.automation.models import Robot, RobotRun
    from voronka.sales.models import Deal

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
    return [run.pk for run in runs]


def drain_with_workers(workers: int, *, timeout: float = 3600.0) -> dict:
    """Start ``workers`` processes, let them drain every due run at once, and answer how many
    runs each executed and the seconds from "go" to the last one finishing."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "CONN_MAX_AGE": "0",
    }
    env.pop("DEBUG", None)
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "benchmarks.drain", "--worker", f"bench-{n}"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(workers)
    ]
    try:
        for process in processes:
            line = process.stdout.readline()
            if line.strip() != "ready":
                raise RuntimeError(f"a drain worker did not start: {line!r}")
        started = time.perf_counter()
        for process in processes:
            process.stdin.write("go\n")
            process.stdin.flush()
        reports = []
        for process in processes:
            out, _err = process.communicate(timeout=timeout)
            if process.returncode != 0:
                raise RuntimeError(f"a drain worker failed with exit code {process.returncode}")
            reports.append(json.loads(out.strip().splitlines()[-1]))
        seconds = time.perf_counter() - started
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    return {
        "done": sum(report["done"] for report in reports),
        "per_worker": [report["done"] for report in reports],
        "seconds": seconds,
    }


def runs_between(ids: list[int]):
    """The runs ``due_runs`` made (one range of ids: 100,000 ids are too many parameters for
    one SQLite query)."""
    from voronka.automation.models import RobotRun

    return RobotRun.objects.filter(pk__gte=min(ids), pk__lte=max(ids))


def check_once(ids: list[int]) -> None:
    """Every run done, its effect written exactly once."""
    from django.db.models import Count

    from voronka.automation.models import RunEffect, RunStatus

    done = runs_between(ids).filter(status=RunStatus.DONE).count()
    effects = (
        RunEffect.objects.filter(run_id__gte=min(ids), run_id__lte=max(ids))
        .values("run_id")
        .annotate(n=Count("pk"))
    )
    twice = sum(1 for row in effects if row["n"] > 1)
    once = sum(1 for row in effects if row["n"] == 1)
    if (done, once, twice) != (len(ids), len(ids), 0):
        raise AssertionError(
            f"{len(ids)} runs: {done} done, {once} with one effect, {twice} with more"
        )


def _worker(worker_id: str) -> int:
    import django

    django.setup()
    from voronka.automation.services import run_due_runs

    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        return 1
    started = time.perf_counter()
    done = run_due_runs(worker_id=f"{worker_id}:{os.getpid()}")
    print(json.dumps({"done": done, "seconds": time.perf_counter() - started}), flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.drain", description=__doc__)
    parser.add_argument("--runs", type=int, default=100_000, help="due runs to drain")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return _worker(args.worker)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from benchmarks.child import database_version
    from benchmarks.scenarios.robots import drain_pipeline

    call_command("migrate", verbosity=0)
    user, pipeline, stage = drain_pipeline()
    print(f"{database_version()}, {args.runs:,} due runs of 10 comment robots", flush=True)
    for workers in args.workers:
        ids = due_runs(user, pipeline, stage, args.runs)
        measured = drain_with_workers(workers)
        check_once(ids)
        rate = measured["done"] / measured["seconds"]
        print(
            f"{workers} worker(s): {measured['done']:,} runs in {measured['seconds']:.1f} s = "
            f"{rate:.0f} runs/s (per worker {measured['per_worker']}); each executed once",
            flush=True,
        )
        runs_between(ids).delete()
    connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
