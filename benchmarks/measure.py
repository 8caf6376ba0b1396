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
    seconds: list[float]
    queries: int | None = None

    @property
    def median_ms(self) -> float:
        return statistics.median(self.seconds) * 1000

    @property
    def p95_ms(self) -> float:
        return percentile(self.seconds, 0.95) * 1000


def time_operation(
    operation: Callable[[int], object], *, warmup: int, runs: int, count_queries: bool = True
) -> Timing:
    """Call ``operation(i)`` ``warmup`` times untimed, then ``runs`` times timed.

    The queries are counted on one more call, kept out of the timings.
    """
    for index in range(warmup):
        operation(index)
    seconds = []
    for index in range(runs):
        started = time.perf_counter()
        operation(warmup + index)
        seconds.append(time.perf_counter() - started)
    queries = None
    if count_queries:
        with CaptureQueriesContext(connection) as captured:
            operation(warmup + runs)
        queries = len(captured.captured_queries)
    return Timing(seconds, queries)


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
        runs=len(ours.seconds),
        note=note,
        extra=extra or {},
    )
