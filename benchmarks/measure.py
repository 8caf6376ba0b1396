"""Timing: warm-up runs, then timed runs; median, p95 and the queries of one operation."""

import math
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from django.db import connection
from django.test.utils import CaptureQueriesContext


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in 0..1) of ``values``."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), math.ceil(share * len(ordered) - 1e-9)))
    return ordered[rank - 1]


@dataclass
class Timing:
    seconds: list[float]  # wall clock
    queries: int | None = None
    # CPU time of this process: on a busy machine it leaves out the time spent waiting for a
    # core (on SQLite the database works inside the process, so it is counted too).
    cpu_seconds: list[float] = field(default_factory=list)

    @property
    def cpu_median_ms(self) -> float | None:
        return statistics.median(self.cpu_seconds) * 1000 if self.cpu_seconds else None

    @property
    def median_ms(self) -> float:
        return statistics.median(self.seconds) * 1000

    @property
    def p95_ms(self) -> float:
        return percentile(self.seconds, 0.95) * 1000


# A slow operation stops being repeated after this many seconds (at least MIN_RUNS runs), so
# a scenario far off its target cannot hold a run up for an hour.
BUDGET_SECONDS = 30.0
MIN_RUNS = 5


def time_operation(
    operation: Callable[[int], object],
    *,
    warmup: int,
    runs: int,
    count_queries: bool = True,
    budget: float = BUDGET_SECONDS,
) -> Timing:
    """Call ``operation(i)`` ``warmup`` times untimed, then ``runs`` times timed (fewer when
    they take longer than ``budget`` seconds in all, but at least ``MIN_RUNS``).

    The queries are counted on one more call, kept out of the timings.
    """
    began = time.perf_counter()
    for index in range(warmup):
        operation(index)
        if time.perf_counter() - began > budget:
            break
    began = time.perf_counter()
    seconds, cpu_seconds = [], []
    for index in range(runs):
        if index >= MIN_RUNS and time.perf_counter() - began > budget:
            break
        started, cpu_started = time.perf_counter(), time.process_time()
        operation(warmup + index)
        seconds.append(time.perf_counter() - started)
        cpu_seconds.append(time.process_time() - cpu_started)
    queries = None
    if count_queries:
        with CaptureQueriesContext(connection) as captured:
            operation(warmup + runs)
        queries = len(captured.captured_queries)
    return Timing(seconds, queries, cpu_seconds)


@dataclass
class Result:
    """One row of the table: an operation of a scenario on one database."""

    scenario: str  # "1 board"
    operation: str  # "first screen"
    database: str
    size: str  # "100,000 open deals"
    path: str  # what was measured: "view sales:deal_board", "selector deal_board", …
    median_ms: float | None = None
    p95_ms: float | None = None
    queries: int | None = None
    reference_median_ms: float | None = None
    reference_p95_ms: float | None = None
    reference_queries: int | None = None
    cpu_median_ms: float | None = None
    reference_cpu_median_ms: float | None = None
    runs: int = 0
    note: str = ""
    extra: dict = field(default_factory=dict)
    error: str = ""

    @property
    def ratio(self) -> float | None:
        if not self.median_ms or not self.reference_median_ms:
            return None
        return self.median_ms / self.reference_median_ms

    def to_dict(self) -> dict:
        data = asdict(self)
        data["ratio"] = self.ratio
        return data


def result(
    *,
    scenario: str,
    operation: str,
    database: str,
    size: str,
    path: str,
    ours: Timing,
    reference: Timing | None,
    note: str = "",
    extra: dict | None = None,
) -> Result:
    return Result(
        scenario=scenario,
        operation=operation,
        database=database,
        size=size,
        path=path,
        median_ms=ours.median_ms,
        p95_ms=ours.p95_ms,
        queries=ours.queries,
        reference_median_ms=reference.median_ms if reference else None,
        reference_p95_ms=reference.p95_ms if reference else None,
        reference_queries=reference.queries if reference else None,
        cpu_median_ms=ours.cpu_median_ms,
        reference_cpu_median_ms=reference.cpu_median_ms if reference else None,
        runs=len(ours.seconds),
        note=note,
        extra=extra or {},
    )
