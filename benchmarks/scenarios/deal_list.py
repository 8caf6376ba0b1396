"""2. The deal list page: 50 rows, sorted and filtered, among 100,000 deals.

Through the view ``sales:deal_list`` when the URL conf has it, else the ``deal_list``
selector: the pipeline (all 100,000 deals match) newest first and by amount, and one stage.

Reference: the same three reads in raw SQL — the page with its stage, pipeline, responsible
and company joined; the primary contacts of the page; their phones and e-mails.
"""

import inspect

from django.contrib.contenttypes.models import ContentType

from benchmarks.measure import result, time_operation
from benchmarks.scenarios.base import number
from benchmarks.sql import fetch, placeholders, table
from voronka.contacts.models import Communication, Company, Contact
from voronka.sales.models import Deal, DealContact, Pipeline, Stage
from voronka.sales.selectors import deal_list
from voronka.staff.models import User

PAGE = 50
SCENARIO = "2 list"


def run(context) -> list:
    dataset, sizes = context.dataset, context.sizes
    pipeline = Pipeline.objects.get(pk=dataset.pipeline_id)
    stage = Stage.objects.get(pk=dataset.stage_ids[0])
    size = f"{number(dataset.board_deals)} deals"
    list_url, why_not = context.working_view("sales:deal_list")
    rows = []
    for operation, filters, params, raw in (
        (
            "pipeline, newest first",
            {"pipeline": pipeline},
            {"pipeline": pipeline.pk},
            {"pipeline_id": pipeline.pk},
        ),
        (
            "pipeline, largest amount first",
            {"pipeline": pipeline, "order": ("-amount", "-pk")},
            {"pipeline": pipeline.pk, "sort": "-amount"},
            {"pipeline_id": pipeline.pk, "order": "d.amount DESC, d.id DESC"},
        ),
        (
            "one stage, newest first",
            {"pipeline": pipeline, "stage": stage},
            {"pipeline": pipeline.pk, "stage": stage.pk},
            {"stage_id": stage.pk},
        ),
    ):
        if list_url:
            path = f"view sales:deal_list ?{'&'.join(f'{k}={v}' for k, v in params.items())}"

            def page(_index, params=params):
                response = context.client.get(list_url, params)
                assert response.status_code == 200, response.status_code
        else:
            path = f"selector deal_list ({why_not})"

            def page(_index, filters=filters):
                deals = list(selector_page(context.user, filters))
                assert 0 < len(deals) <= PAGE

        ours = time_operation(page, warmup=sizes.warmup, runs=sizes.runs)
        reference = time_operation(
            lambda _i, raw=raw: raw_page(**raw), warmup=sizes.warmup, runs=sizes.runs
        )
        rows.append(
            result(
                scenario=SCENARIO,
                operation=f"page of {PAGE}: {operation}",
                database=context.database,
                size=size,
                path=path,
                ours=ours,
                reference=reference,
            )
        )
    return rows


def selector_page(user, filters: dict):
    """The first page from ``deal_list``, whether it returns a queryset or a list."""
    filters = dict(filters)
    order = filters.pop("order", None)
    if "limit" in inspect.signature(deal_list).parameters and order is None:
        return deal_list(user=user, limit=PAGE, **filters)
    deals = deal_list(user=user, **filters)
    return (deals.order_by(*order) if order else deals)[:PAGE]


def raw_page(
    pipeline_id: int | None = None,
    stage_id: int | None = None,
    order: str = "d.created_at DESC, d.id DESC",
) -> None:
    deal, stage, pipeline = table(Deal), table(Stage), table(Pipeline)
    user, company, contact = table(User), table(Company), table(Contact)
    condition, params = "d.pipeline_id = %s", [pipeline_id]
    if stage_id is not None:
        condition, params = "d.stage_id = %s", [stage_id]
    page = fetch(
        "SELECT d.id, d.title, d.amount, d.currency, d.created_at, d.closes_on, "
        "s.name, s.color, p.name, u.first_name, u.last_name, c.title "
        f"FROM {deal} d JOIN {stage} s ON s.id = d.stage_id "
        f"JOIN {pipeline} p ON p.id = d.pipeline_id "
        f"JOIN {user} u ON u.id = d.responsible_id "
        f"LEFT JOIN {company} c ON c.id = d.company_id "
        f"WHERE {condition} AND d.deleted_at IS NULL "
        f"ORDER BY {order} LIMIT %s",
        [*params, PAGE],
    )
    deal_ids = [row[0] for row in page]
    if not deal_ids:
        return
    contacts = fetch(
        "SELECT dc.deal_id, ct.id, ct.last_name, ct.first_name, ct.middle_name "
        f"FROM {table(DealContact)} dc JOIN {contact} ct ON ct.id = dc.contact_id "
        f"WHERE dc.deal_id IN ({placeholders(deal_ids)}) AND dc.is_primary = %s "
        "AND ct.deleted_at IS NULL",
        [*deal_ids, True],
    )
    contact_ids = sorted({row[1] for row in contacts})
    if contact_ids:
        fetch(
            f"SELECT card_id, kind, value FROM {table(Communication)} "
            f"WHERE card_type_id = %s AND card_id IN ({placeholders(contact_ids)}) "
            "ORDER BY kind, sort",
            [ContentType.objects.get_for_model(Contact).pk, *contact_ids],
        )
