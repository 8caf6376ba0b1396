"""The benchmark's own databases: which ones a run uses and how they are (re)built.

SQLite: one file per size profile under ``var/bench/`` (never the user's database).
PostgreSQL: the database named by ``BENCH_POSTGRES_URL``, which the benchmark owns — it is
emptied when the data of another size profile has to be built in it. ``DATABASE_URL`` is
never used, so the user's own database is never touched.
"""

import os
import time
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent.parent / "var" / "bench"


@dataclass(frozen=True)
class Target:
    label: str  # "sqlite" or "postgresql"
    url: str


def targets(profile: str, *, postgres_url: str | None = None) -> list[Target]:
    found = [Target("sqlite", f"sqlite:///{BENCH_DIR / f'bench-{profile}.sqlite3'}")]
    postgres_url = (
        postgres_url if postgres_url is not None else os.environ.get("BENCH_POSTGRES_URL", "")
    )
    if postgres_url:
        found.append(Target("postgresql", postgres_url))
    return found


def prepare(sizes, *, log=print):
    """The dataset of ``sizes`` in the configured database: reused, or built from scratch."""
    from django.core.management import call_command
    from django.db import connection

    from benchmarks import data

    dataset = data.stored_dataset()
    if dataset is not None and dataset.sizes_key == data.sizes_key(sizes):
        log(f"  data of the {sizes.name} profile found: reused")
        # The code may have gained migrations since the data was built (new tables, columns).
        call_command("migrate", verbosity=0)
        return dataset
    if connection.introspection.table_names():
        log("  the database holds other data: emptied")
        _empty_database()
    started = time.perf_counter()
    log(f"  building the {sizes.name} data (this takes a while the first time)")
    call_command("migrate", verbosity=0)
    dataset = data.build(sizes, log=log)
    _analyze()
    log(f"  data built in {time.perf_counter() - started:.0f} s")
    return dataset


def _empty_database() -> None:
    from django.db import connection

    if connection.vendor == "sqlite":
        path = Path(connection.settings_dict["NAME"])
        connection.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE")
            cursor.execute("CREATE SCHEMA public")
        return
    raise RuntimeError(f"Unsupported database: {connection.vendor}")


def _analyze() -> None:
    """Fresh planner statistics, as a database in use would have."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
