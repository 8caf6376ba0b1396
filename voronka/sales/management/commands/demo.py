"""``manage.py demo``: fill an empty database with a Russian digital agency's CRM data."""

import resource
import sys
import time

from django.core.management.base import BaseCommand, CommandError

from voronka.sales.demo.context import DemoOptions
from voronka.sales.demo.runner import PhaseReport, database_is_empty, generate_demo


def _count(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Generate demo data: employees, catalogues, pipelines, companies, contacts, leads, deals."
    )

    def add_arguments(self, parser):
        defaults = DemoOptions()
        parser.add_argument("--leads", type=_count, default=defaults.leads)
        parser.add_argument("--deals", type=_count, default=defaults.deals)
        parser.add_argument("--contacts", type=_count, default=defaults.contacts)
        parser.add_argument(
            "--companies", type=_count, default=None, help="Default: a third of the contacts."
        )
        parser.add_argument("--seed", type=int, default=defaults.seed)
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (and succeed) when pipelines or leads already exist.",
        )

    def handle(self, *args, leads, deals, contacts, companies, seed, if_empty, **options):
        if not database_is_empty():
            if if_empty:
                self.stdout.write("Demo data skipped: the database already has pipelines or leads.")
                return
            raise CommandError(
                "The database already has pipelines or leads; demo data goes into an empty one."
            )
        options = DemoOptions(
            leads=leads, deals=deals, contacts=contacts, companies=companies, seed=seed
        )
        started = time.perf_counter()
        generate_demo(options, on_phase=self._print_phase)
        self.stdout.write(
            f"Demo data ready in {time.perf_counter() - started:.1f} s "
            f"(peak memory {self._peak_memory_mb():.0f} MB)."
        )

    def _print_phase(self, report: PhaseReport) -> None:
        made = ", ".join(f"{label.split('.')[1]} {count}" for label, count in report.counts.items())
        self.stdout.write(f"  {report.name}: {made} — {report.seconds:.1f} s")

    @staticmethod
    def _peak_memory_mb() -> float:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        # Linux reports kilobytes, macOS bytes.
        return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024
