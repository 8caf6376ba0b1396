"""1. The deals board of a pipeline with 100,000 open deals.

* first screen: the columns with their counts and sums and the first 20 cards of each — the
  view ``sales:deal_board`` when the URL conf has it, else the ``deal_board`` selector;
* more cards: the next 20 cards of the biggest column (keyset: older than the last card
  shown) — a column view when one exists, else the same read through the ORM.

Reference: the same reads in raw SQL — the stages, one aggregate of counts and sums, the first
20 cards of each stage (a LIMIT per stage, joined to their responsible and company), their
primary contacts and next activities. The plan that numbers every deal with ROW_NUMBER()
instead, and the aggregate alone, are shown beside it.
"""

import datetime

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Q

from benchmarks.measure import result, time_operation
from benchmarks.scenarios.base import number
from benchmarks.sql import fetch, placeholders, table
from voronka.contacts.models import Company, Contact
from voronka.sales.models import Deal, DealContact, Pipeline, Stage
from voronka.sales.selectors import boards, deal_board
from voronka.staff.models import User
from voronka.timeline.models import Activity

PER_STAGE = 20
SCENARIO = "1 board"
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def run(context) -> list:
    dataset, sizes = context.dataset, context.sizes
    pipeline = Pipeline.objects.get(pk=dataset.pipeline_id)
    stage_ids = dataset.stage_ids
    size = f"{number(dataset.board_deals)} open deals"

    board_url, why_not = context.working_view(
        "sales:deal_board",
        {"pipeline_id": pipeline.pk},
        {"pk": pipeline.pk},
        {"pipeline": pipeline.pk},
    )
    if board_url:
        path = "view sales:deal_board"

        def first_screen(_index):
            response = context.client.get(board_url)
            assert response.status_code == 200, response.status_code
    else:
        path = f"selector deal_board ({why_not})"

        def first_screen(_index):
            columns = deal_board(user=context.user, pipeline=pipeline, per_stage=PER_STAGE)
            assert len(columns) >= len(stage_ids)

    ours = time_operation(first_screen, warmup=sizes.warmup, runs=sizes.runs)
    # The reference is the best plan we know: the first cards of each stage by a LIMIT of its
    # own (one index range per stage, constant in the number of deals) and one aggregate. Shown
    # beside it: the plan that numbers every deal with ROW_NUMBER(), and the aggregate alone.
    reference = time_operation(
        lambda _i: raw_first_screen(pipeline.pk, per_stage_limit=True),
        warmup=sizes.warmup,
        runs=sizes.runs,
    )
    windowed = time_operation(
        lambda _i: raw_first_screen(pipeline.pk), warmup=sizes.warmup, runs=sizes.runs
    )
    aggregate = time_operation(
        lambda _i: raw_totals(stage_ids), warmup=sizes.warmup, runs=sizes.runs
    )
    rows = [
        result(
            scenario=SCENARIO,
            operation="first screen",
            database=context.database,
            size=size,
            path=path,
            ours=ours,
            reference=reference,
            extra={
                "raw with ROW_NUMBER() ms": f"{windowed.median_ms:.2f}",
                "raw counts and sums alone ms": f"{aggregate.median_ms:.2f}",
            },
        )
    ]

    # "More cards": the biggest column, after its first 20 cards.
    stage_id = max(stage_ids, key=lambda pk: Deal.objects.filter(stage_id=pk).count())
    stage = Stage.objects.get(pk=stage_id)
    last = list(
        Deal.objects.filter(stage_id=stage_id)
        .order_by("-created_at", "-pk")
        .values("created_at", "pk")[PER_STAGE - 1 : PER_STAGE]
    )
    cursor = (last[0]["created_at"], last[0]["pk"]) if last else (None, 0)
    after = _cursor_text(cursor)
    column_url, why_not = context.working_view(
        "sales:deal_board_column",
        {"stage_pk": stage_id},
        {"stage_id": stage_id},
        {"pk": stage_id},
        params={"after": after},
        headers={"HX-Request": "true"},
    )
    column_page = getattr(boards, "deal_column_page", None)
    if column_url:
        path = "view sales:deal_board_column (htmx, ?after=)"

        def more_cards(_index):
            response = context.client.get(column_url, {"after": after}, HTTP_HX_REQUEST="true")
            assert response.status_code == 200, response.status_code
    elif column_page is not None:
        path = f"selector deal_column_page ({why_not})"

        def more_cards(_index):
            column_page(user=context.user, stage=stage, after=cursor, per_page=PER_STAGE)
    else:
        path = f"ORM keyset read ({why_not}, no column selector)"

        def more_cards(_index):
            list(orm_more_cards(stage_id, cursor))

    ours = time_operation(more_cards, warmup=sizes.warmup, runs=sizes.runs)
    reference = time_operation(
        lambda _i: raw_more_cards(stage_id, cursor), warmup=sizes.warmup, runs=sizes.runs
    )
    rows.append(
        result(
            scenario=SCENARIO,
            operation="more cards (one column)",
            database=context.database,
            size=size,
            path=path,
            ours=ours,
            reference=reference,
        )
    )
    return rows


def _cursor_text(cursor: tuple) -> str:
    """The ``?after=`` value of the column view: microseconds since the epoch and the id."""
    created_at, pk = cursor
    if created_at is None:
        return ""
    formatter = getattr(boards, "board_cursor", None)
    if formatter is not None:
        return formatter(Deal(pk=pk, created_at=created_at))
    stamp = (created_at - _EPOCH) // datetime.timedelta(microseconds=1)
    return f"{stamp}_{pk}"


def orm_more_cards(stage_id: int, cursor: tuple):
    created_at, pk = cursor
    cards = Deal.objects.filter(stage_id=stage_id).select_related("responsible", "company")
    if created_at is not None:
        cards = cards.filter(Q(created_at__lt=created_at) | Q(created_at=created_at, pk__lt=pk))
    return cards.order_by("-created_at", "-pk")[:PER_STAGE]


def raw_card_details(deal_ids: list[int]) -> None:
    """What a board card shows beyond its row: the primary contact and the next activity."""
    if not deal_ids:
        return
    marks = placeholders(deal_ids)
    fetch(
        "SELECT dc.deal_id, ct.id, ct.last_name, ct.first_name "
        f"FROM {table(DealContact)} dc JOIN {table(Contact)} ct ON ct.id = dc.contact_id "
        f"WHERE dc.deal_id IN ({marks}) AND dc.is_primary = %s AND ct.deleted_at IS NULL",
        [*deal_ids, True],
    )
    fetch(
        "SELECT id, card_id, kind, subject, deadline FROM ("
        " SELECT id, card_id, kind, subject, deadline, ROW_NUMBER() OVER ("
        "  PARTITION BY card_id ORDER BY deadline IS NULL, deadline, id) AS position"
        f" FROM {table(Activity)} WHERE card_type_id = %s AND card_id IN ({marks})"
        " AND completed_at IS NULL) a WHERE position = 1",
        [ContentType.objects.get_for_model(Deal).pk, *deal_ids],
    )


def raw_totals(stage_ids: list[int]) -> list[tuple]:
    return fetch(
        f"SELECT stage_id, currency, COUNT(*), SUM(amount) FROM {table(Deal)} "
        f"WHERE stage_id IN ({placeholders(stage_ids)}) AND deleted_at IS NULL "
        "GROUP BY stage_id, currency",
        stage_ids,
    )


def raw_first_screen(pipeline_id: int, *, per_stage_limit: bool = False) -> None:
    """Stages, one aggregate, the first cards of every stage, their contacts and activities.

    The cards are numbered by a window over the pipeline's deals, or (``per_stage_limit``)
    read as one UNION ALL of a LIMIT per stage.
    """
    deal, user, company, stage = table(Deal), table(User), table(Company), table(Stage)
    stages = fetch(
        f"SELECT id, name, color, kind FROM {stage} WHERE pipeline_id = %s ORDER BY sort, id",
        [pipeline_id],
    )
    stage_ids = [row[0] for row in stages]
    raw_totals(stage_ids)
    columns = "id, title, amount, currency, stage_id, created_at, responsible_id, company_id"
    if per_stage_limit:
        ranked = " UNION ALL ".join(
            f"SELECT * FROM (SELECT {columns} FROM {deal} WHERE stage_id = %s "
            f"AND deleted_at IS NULL ORDER BY created_at DESC, id DESC LIMIT %s) s{index}"
            for index in range(len(stage_ids))
        )
        params = [value for pk in stage_ids for value in (pk, PER_STAGE)]
        where = ""
    else:
        ranked = (
            f"SELECT {columns}, ROW_NUMBER() OVER ("
            " PARTITION BY stage_id ORDER BY created_at DESC, id DESC) AS position"
            f" FROM {deal} WHERE stage_id IN ({placeholders(stage_ids)}) AND deleted_at IS NULL"
        )
        params = [*stage_ids, PER_STAGE]
        where = " WHERE r.position <= %s"
    cards = fetch(
        "SELECT r.id, r.title, r.amount, r.currency, r.stage_id, r.created_at, "
        f"u.first_name, u.last_name, c.title FROM ({ranked}) r "
        f"JOIN {user} u ON u.id = r.responsible_id LEFT JOIN {company} c ON c.id = r.company_id"
        f"{where} ORDER BY r.stage_id, r.created_at DESC, r.id DESC",
        params,
    )
    raw_card_details([row[0] for row in cards])


def raw_more_cards(stage_id: int, cursor: tuple) -> None:
    deal, user, company = table(Deal), table(User), table(Company)
    created_at, pk = cursor
    value = connection.ops.adapt_datetimefield_value(created_at) if created_at else None
    cards = fetch(
        "SELECT d.id, d.title, d.amount, d.currency, d.created_at, u.first_name, u.last_name, "
        f"c.title FROM {deal} d JOIN {user} u ON u.id = d.responsible_id "
        f"LEFT JOIN {company} c ON c.id = d.company_id "
        "WHERE d.stage_id = %s AND d.deleted_at IS NULL "
        "AND (d.created_at < %s OR (d.created_at = %s AND d.id < %s)) "
        "ORDER BY d.created_at DESC, d.id DESC LIMIT %s",
        [stage_id, value, value, pk, PER_STAGE],
    )
    raw_card_details([row[0] for row in cards])
