"""How fast the deals board answers with 100,000 open deals in one pipeline.

Run: ``.venv/bin/python -m benchmarks.board`` (``--deals``, ``--runs``, ``--db`` to change).

Builds (or reuses) its own SQLite file under ``var/bench-board/`` — never the user's
database — with one pipeline of open deals (bulk inserts: companies, a primary contact per
deal, open activities on some), then requests the board page through Django's test client
(the whole server side: middleware, session, filters, selectors, templates) and prints the
median and 95th percentile of the timings and the number of queries of one request. The same
for the "more cards" partial of the biggest column and for a quick search.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = ROOT / "var" / "bench-board" / "board.sqlite3"
PIPELINE_NAME = "Board benchmark"


def _arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    return parser.parse_args(argv)


def _setup(db: Path) -> None:
    db.parent.mkdir(parents=True, exist_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _build(deals: int):
    """The benchmark pipeline with ``deals`` open deals; reused when already built."""
    from decimal import Decimal

    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction
    from django.utils import timezone

    from voronka.contacts.models import Company, Contact
    from voronka.sales.models import Deal, DealContact, Pipeline, Stage, StageKind
    from voronka.staff.models import User
    from voronka.timeline.models import Activity, ActivityKind

    user, _ = User.objects.get_or_create(
        username="board-bench", defaults={"first_name": "Анна", "last_name": "Замерова"}
    )
    pipeline = Pipeline.objects.filter(name=PIPELINE_NAME).first()
    if pipeline is not None and Deal.objects.filter(pipeline=pipeline).count() == deals:
        print(f"data found: {deals:,} open deals, reused")
        return user, pipeline
    started = time.perf_counter()
    rng = random.Random(1)
    batch = 5_000
    with transaction.atomic():
        if pipeline is not None:
            Deal.objects.filter(pipeline=pipeline).delete()
            pipeline.delete()
        pipeline = Pipeline.objects.create(entity="deal", name=PIPELINE_NAME, sort=0)
        names = ["Новая", "Контакт", "Бриф", "КП", "Переговоры", "Договор", "Счёт"]
        open_stages = [
            Stage.objects.create(
                pipeline=pipeline,
                code=f"s{number}",
                name=name,
                kind=StageKind.OPEN,
                sort=number * 10,
                color=f"#{rng.randrange(0x222222, 0xDDDDDD):06x}",
            )
            for number, name in enumerate(names, start=1)
        ]
        Stage.objects.create(pipeline=pipeline, code="won", name="Успех", kind="won", sort=900)
        Stage.objects.create(pipeline=pipeline, code="lost", name="Провал", kind="lost", sort=910)
        managers = [user] + [
            User.objects.get_or_create(
                username=f"board-bench-{number}",
                defaults={"first_name": f"Менеджер{number}", "last_name": "Замеров"},
            )[0]
            for number in range(9)
        ]
        companies = Company.objects.bulk_create(
            Company(title=f"ООО «Замер {number}»", inn="", responsible=user)
            for number in range(2_000)
        )
        contacts = Contact.objects.bulk_create(
            Contact(last_name=f"Клиентов{number}", first_name="Иван", responsible=user)
            for number in range(10_000)
        )
        now = timezone.now()
        deal_type = ContentType.objects.get_for_model(Deal)
        made = 0
        while made < deals:
            size = min(batch, deals - made)
            rows = Deal.objects.bulk_create(
                Deal(
                    title=f"Поставка {made + number}",
                    pipeline=pipeline,
                    stage=rng.choice(open_stages),
                    responsible=rng.choice(managers),
                    company=rng.choice(companies),
                    amount=Decimal(rng.randrange(1_000, 5_000_000)),
                    created_at=now - timezone.timedelta(minutes=made + number),
                )
                for number in range(size)
            )
            DealContact.objects.bulk_create(
                DealContact(deal=deal, contact=rng.choice(contacts), is_primary=True)
                for deal in rows
            )
            Activity.objects.bulk_create(
                Activity(
                    card_type=deal_type,
                    card_id=deal.pk,
                    kind=ActivityKind.CALL,
                    subject="Позвонить",
                    deadline=now + timezone.timedelta(hours=rng.randrange(-72, 72)),
                    responsible=deal.responsible,
                )
                for deal in rows
                if rng.random() < 0.3
            )
            made += size
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"data built: {deals:,} open deals in {time.perf_counter() - started:.0f} s")
    return user, pipeline


def _measure(label: str, request, runs: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):  # warm-up: caches, prepared statements, page cache
        request()
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        request()
        timings.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        request()
    timings.sort()
    p95 = timings[min(len(timings) - 1, round(0.95 * len(timings)) - 1)]
    print(
        f"{label:<44} median {statistics.median(timings):7.1f} ms   p95 {p95:7.1f} ms   "
        f"{len(queries.captured_queries)} queries"
    )


def main(argv=None) -> int:
    arguments = _arguments(argv)
    _setup(arguments.db)
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    from voronka.sales.models import Deal, Stage
    from voronka.sales.selectors.boards import board_cursor

    user, pipeline = _build(arguments.deals)
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    client.force_login(user)
    board_url = reverse("sales:deal_board", args=[pipeline.pk])
    stage = Stage.objects.filter(pipeline=pipeline, kind="open").order_by("sort").first()
    newest = Deal.objects.filter(stage=stage).order_by("-created_at", "-pk")[19]
    column_url = reverse("sales:deal_board_column", args=[stage.pk])

    def get(url, params=None, **headers):
        def request():
            response = client.get(url, params or {}, headers=headers)
            assert response.status_code == 200, response.status_code

        return request

    print(
        f"deals board, {arguments.deals:,} open deals in {pipeline.stages.count() - 2} columns, "
        f"SQLite, {arguments.runs} runs each"
    )
    _measure("board page", get(board_url), arguments.runs)
    _measure(
        "board body (htmx), filter 'mine'",
        get(board_url, {"mine": "1"}, **{"HX-Request": "true", "HX-Target": "board-body"}),
        arguments.runs,
    )
    _measure(
        "board body (htmx), quick search by title",
        get(board_url, {"q": "Поставка 4242"}, **{"HX-Request": "true", "HX-Target": "board-body"}),
        arguments.runs,
    )
    _measure(
        "more cards: next 20 of a column",
        get(column_url, {"after": board_cursor(newest)}, **{"HX-Request": "true"}),
        arguments.runs,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
