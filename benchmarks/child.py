"""One database's run: set Django up on it, build or reuse the data, run the scenarios."""

import json
import traceback
from dataclasses import replace
from pathlib import Path


def log(message: str) -> None:
    print(message, flush=True)


def run_child(
    *,
    profile: str,
    scenario_names: list[str],
    runs: int | None,
    warmup: int | None,
    output: str | None,
    label: str | None,
    prepare_only: bool,
) -> int:
    import django

    django.setup()
    from django.db import connection

    from benchmarks.database import prepare
    from benchmarks.scenarios import select
    from benchmarks.scenarios.base import Context
    from benchmarks.sizes import PROFILES

    sizes = PROFILES[profile]
    if runs:
        sizes = replace(sizes, runs=runs)
    if warmup is not None:
        sizes = replace(sizes, warmup=warmup)
    dataset = prepare(sizes, log=log)
    database = {"vendor": connection.vendor, "version": database_version()}
    results = []
    if not prepare_only:
        context = Context(
            sizes=sizes, dataset=dataset, database=label or connection.vendor, log=log
        )
        for scenario in select(scenario_names):
            log(f"  {scenario.number} {scenario.name}: {scenario.title}")
            try:
                rows = scenario.run(context)
            except Exception as error:  # noqa: BLE001 — one failing scenario must not stop the run
                traceback.print_exc()
                rows = [context.failure(scenario, error)]
            for row in rows:
                log(f"    {row.operation}: {_summary(row)}")
            results.extend(rows)
    if output:
        Path(output).write_text(
            json.dumps(
                {"database": database, "results": [row.to_dict() for row in results]},
                ensure_ascii=False,
                default=str,
            )
        )
    return 1 if any(row.error for row in results) else 0


def _summary(row) -> str:
    if row.error:
        return f"ERROR {row.error}"
    text = f"median {row.median_ms:.2f} ms, p95 {row.p95_ms:.2f} ms"
    if row.queries is not None:
        text += f", {row.queries} queries"
    if row.reference_median_ms:
        text += f"; raw SQL {row.reference_median_ms:.3f} ms (×{row.ratio:.1f})"
    if row.cpu_median_ms is not None and row.reference_cpu_median_ms:
        text += f"; CPU {row.cpu_median_ms:.2f} / {row.reference_cpu_median_ms:.3f} ms"
    for key, value in row.extra.items():
        text += f"; {key} {value}"
    return text


def database_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
            return f"SQLite {cursor.fetchone()[0]}"
        cursor.execute("SHOW server_version")
        return f"PostgreSQL {cursor.fetchone()[0]}"
