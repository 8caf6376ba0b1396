"""3. The card of a deal with 200 timeline entries and a few open activities.

Through the view ``sales:deal_detail`` when the URL conf has it, else the deal with its stage,
pipeline, responsible and company, the newest page of its timeline (``timeline_for``, 50
entries) and its open activities (``open_activities_for``). A second row reads the whole
timeline of 200 entries in one page.

Reference: the same reads in raw SQL.
"""

from django.contrib.contenttypes.models import ContentType

from benchmarks.measure import result, time_operation
from benchmarks.scenarios.base import number
from benchmarks.sql import fetch, table
from voronka.contacts.models import Company
from voronka.sales.models import Deal, Pipeline, Stage
from voronka.staff.models import User
from voronka.timeline.models import Activity, TimelineEntry
from voronka.timeline.selectors import open_activities_for, timeline_for

SCENARIO = "3 card"
FIRST_PAGE = 50


def run(context) -> list:
    dataset, sizes = context.dataset, context.sizes
    deal_id = dataset.card_deal_id
    entries = sizes.timeline_entries
    size = f"{number(entries)} entries, {number(dataset.board_deals)} deals"
    # The measuring employee's own card: with access rights a card of another department is a
    # 404 (data built before the card was given to the benchmark's employee).
    Deal.all_objects.filter(pk=deal_id).exclude(responsible_id=context.user.pk).update(
        responsible_id=context.user.pk
    )
    card_url, why_not = context.working_view(
        "sales:deal_detail", {"pk": deal_id}, {"deal_id": deal_id}
    )
    rows = []
    for operation, limit in (
        ("first screen", FIRST_PAGE),
        (f"whole timeline ({entries})", entries),
    ):
        if card_url and limit == FIRST_PAGE:
            path = "view sales:deal_detail"

            def card(_index):
                response = context.client.get(card_url)
                assert response.status_code == 200, response.status_code
        else:
            path = f"deal + timeline_for(limit={limit}) + open_activities_for"
            if limit == FIRST_PAGE:
                path += f" ({why_not})"

            def card(_index, limit=limit):
                deal = Deal.objects.select_related(
                    "stage", "pipeline", "responsible", "company"
                ).get(pk=deal_id)
                feed = timeline_for(card=deal, limit=limit)
                open_activities_for(card=deal)
                assert len(feed) == min(limit, entries)

        ours = time_operation(card, warmup=sizes.warmup, runs=sizes.runs)
        reference = time_operation(
            lambda _i, limit=limit: raw_card(deal_id, limit), warmup=sizes.warmup, runs=sizes.runs
        )
        rows.append(
            result(
                scenario=SCENARIO,
                operation=operation,
                database=context.database,
                size=size,
                path=path,
                ours=ours,
                reference=reference,
            )
        )
    return rows


def raw_card(deal_id: int, limit: int) -> None:
    deal, stage, pipeline = table(Deal), table(Stage), table(Pipeline)
    user, company = table(User), table(Company)
    fetch(
        f"SELECT d.*, s.name, s.color, s.kind, p.name, u.first_name, u.last_name, c.title "
        f"FROM {deal} d JOIN {stage} s ON s.id = d.stage_id "
        f"JOIN {pipeline} p ON p.id = d.pipeline_id JOIN {user} u ON u.id = d.responsible_id "
        f"LEFT JOIN {company} c ON c.id = d.company_id WHERE d.id = %s",
        [deal_id],
    )
    card_type = ContentType.objects.get_for_model(Deal).pk
    fetch(
        f"SELECT e.id, e.kind, e.created_at, e.text, e.payload, u.first_name, u.last_name "
        f"FROM {table(TimelineEntry)} e LEFT JOIN {user} u ON u.id = e.author_id "
        "WHERE e.card_type_id = %s AND e.card_id = %s "
        "ORDER BY e.created_at DESC, e.id DESC LIMIT %s",
        [card_type, deal_id, limit],
    )
    fetch(
        f"SELECT a.id, a.kind, a.subject, a.deadline, u.first_name, u.last_name "
        f"FROM {table(Activity)} a LEFT JOIN {user} u ON u.id = a.responsible_id "
        "WHERE a.card_type_id = %s AND a.card_id = %s AND a.completed_at IS NULL "
        "ORDER BY a.deadline, a.id",
        [card_type, deal_id],
    )
