"""The scenarios, in the order of the issue. Each is a module with ``run(context)`` returning
rows of the table; add a new one to ``SCENARIOS`` (and take it out of ``PENDING``) when the
feature it measures lands. Modules are imported only when run (after Django is set up)."""

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Scenario:
    number: int
    name: str
    title: str
    module: str

    def run(self, context):
        return importlib.import_module(f"benchmarks.scenarios.{self.module}").run(context)


_ALL = (
    Scenario(1, "board", "deals board of a pipeline with many open deals", "deal_board"),
    Scenario(2, "list", "deal list page, 50 rows, sorted and filtered", "deal_list"),
    Scenario(3, "card", "deal card with a long timeline", "deal_card"),
    Scenario(4, "search", "quick search by phone / e-mail / INN", "search"),
    Scenario(5, "create", "lead creation: service and HTTP", "lead_create"),
    Scenario(6, "robots", "stage move with 10 robots on the stage; draining due runs", "robots"),
    Scenario(8, "import", "import of contacts from a CSV file, the whole job", "imports"),
    Scenario(
        9, "mixed", "mixed load of several employees over HTTP (4 and 8 clients)", "mixed_load"
    ),
    Scenario(10, "duplicates", "duplicate check of a new contact or company", "duplicates"),
)
SCENARIOS = {scenario.name: scenario for scenario in _ALL}

# Scenarios of the issue that wait for their feature; each becomes a module here when it lands.
PENDING = ((7, "funnel report over 1,000,000 deals (reports)"),)


def select(names: list[str]) -> list[Scenario]:
    """Scenarios by name or number, in the issue's order; all of them when none is given."""
    every = list(SCENARIOS.values())
    if not names:
        return every
    chosen = []
    for name in names:
        match = [s for s in every if name in (s.name, str(s.number))]
        if not match:
            pending = [text for n, text in PENDING if str(n) == name]
            hint = f" (not yet: {pending[0]})" if pending else ""
            known = ", ".join(f"{s.number}/{s.name}" for s in every)
            raise SystemExit(f"Unknown scenario {name!r}{hint}. Known: {known}")
        chosen.extend(s for s in match if s not in chosen)
    return sorted(chosen, key=lambda s: s.number)
