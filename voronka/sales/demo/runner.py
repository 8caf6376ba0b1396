"""Runs the generation phases in order, each in its own transaction, and reports what each
made and how long it took."""

import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone

from voronka.contacts.models import Company, Contact
from voronka.contacts.services.client_value import client_segments_assign
from voronka.sales.client_value import clients_recompute_all, last_contacts_recompute_all
from voronka.sales.demo.catalogues import create_catalogues
from voronka.sales.demo.companies import create_companies
from voronka.sales.demo.context import DemoContext, DemoOptions
from voronka.sales.demo.deals import create_deals
from voronka.sales.demo.leads import create_leads
from voronka.sales.demo.people import create_contacts
from voronka.sales.demo.pipelines import create_pipelines
from voronka.sales.demo.team import create_team
from voronka.sales.demo.writer import BulkWriter
from voronka.sales.models import Deal, Lead, Pipeline

PHASES: tuple[tuple[str, Callable[[DemoContext, BulkWriter], None]], ...] = (
    ("Departments and employees", create_team),
    ("Catalogues and custom fields", create_catalogues),
    ("Pipelines and stages", create_pipelines),
    ("Companies", create_companies),
    ("Contacts", create_contacts),
    ("Leads", create_leads),
    ("Deals", create_deals),
    ("Client value", lambda context, writer: client_value_recompute()),
)


def client_value_recompute() -> None:
    """LTV, last interactions and A/B/C segments of the bulk-written clients, which the
    services would have kept up to date one by one."""
    clients_recompute_all()
    last_contacts_recompute_all()
    client_segments_assign()


@dataclass(frozen=True)
class PhaseReport:
    name: str
    seconds: float
    counts: dict[str, int]


# SQLite's default page cache is 2 MB; inserting into indexes in random order (times, phones)
# then reads the same pages from disk again and again, and a big run slows down as it grows.
SQLITE_CACHE_KIB = 256 * 1024


@contextmanager
def _large_sqlite_cache() -> Iterator[None]:
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")


def database_is_empty() -> bool:
    """Demo data goes only into a database without pipelines and leads."""
    return not Pipeline.objects.exists() and not Lead.all_objects.exists()


def generate_demo(
    options: DemoOptions, *, now=None, on_phase: Callable[[PhaseReport], None] | None = None
) -> list[PhaseReport]:
    """Fill an empty database with the demo agency; the same seed and ``now`` give the same
    data. ``on_phase`` hears about each phase as soon as it has committed."""
    context = DemoContext(options=options, now=now or timezone.now())
    context.content_types = {
        "lead": ContentType.objects.get_for_model(Lead),
        "deal": ContentType.objects.get_for_model(Deal),
        "contact": ContentType.objects.get_for_model(Contact),
        "company": ContentType.objects.get_for_model(Company),
    }
    reports = []
    with _large_sqlite_cache():
        for name, phase in PHASES:
            started = time.perf_counter()
            writer = BulkWriter()
            with transaction.atomic():
                phase(context, writer)
                writer.flush()
            counts = dict(Counter(writer.counts))
            report = PhaseReport(name, time.perf_counter() - started, counts)
            reports.append(report)
            if on_phase is not None:
                on_phase(report)
    return reports
