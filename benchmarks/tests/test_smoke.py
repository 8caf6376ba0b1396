"""Every scenario runs once on a few hundred rows and gives a well-formed row of the table.

Timings are printed by ``python -m benchmarks``; nothing here depends on how fast anything is.
"""

import json
import math

import pytest
from django.urls import reverse

from benchmarks import data, report
from benchmarks.measure import percentile
from benchmarks.scenarios import PENDING, SCENARIOS, select
from benchmarks.scenarios.base import Context
from benchmarks.scenarios.lead_create import run_clients
from benchmarks.sizes import TINY


@pytest.fixture
def dataset(db):
    return data.build(TINY, log=lambda _message: None)


def test_every_scenario_runs_on_tiny_data_and_gives_well_formed_rows(dataset):
    context = Context(sizes=TINY, dataset=dataset, database="test", log=lambda _m: None)
    context.http = False  # a server process would not see this test's transaction
    results = []
    for scenario in select([]):
        rows = scenario.run(context)
        assert rows, scenario.name
        for row in rows:
            assert not row.error, (scenario.name, row.error)
            assert row.scenario == f"{scenario.number} {scenario.name}"
            assert row.runs == TINY.runs or scenario.name in ("create", "mixed")
            assert row.median_ms > 0 and row.p95_ms >= row.median_ms
            assert row.reference_median_ms > 0 and row.ratio > 0
            assert (row.queries is not None and row.queries > 0) or (
                row.operation.endswith("all requests")
            )
            results.append(row.to_dict())
    assert {row["scenario"] for row in results} == {
        f"{s.number} {s.name}" for s in SCENARIOS.values()
    }
    json.dumps(results, default=str)
    printed = report.table(results)
    assert printed.count("\n") == len(results) + 1  # header, rule, one line per row


def test_the_built_data_is_stored_and_recognised_by_its_sizes(dataset):
    stored = data.stored_dataset()
    assert stored == dataset
    assert stored.sizes_key == data.sizes_key(TINY)
    assert len(stored.stage_ids) == len(data.BOARD_STAGES)
    assert stored.card_deal_id


def test_scenarios_are_chosen_by_name_or_number_and_pending_ones_are_named():
    assert [s.name for s in select(["5", "board"])] == ["board", "create"]
    with pytest.raises(SystemExit, match="not yet: funnel report"):
        select(["7"])
    assert [number for number, _text in PENDING] == [7]


def test_percentile_is_the_nearest_rank():
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 0.95) == 95.0
    assert percentile([3.0], 0.95) == 3.0
    assert math.isnan(percentile([], 0.5))


@pytest.mark.django_db(transaction=True)
def test_the_load_clients_count_requests_over_keep_alive_connections(live_server):
    port = int(live_server.url.rsplit(":", 1)[1])
    url = reverse("login")
    load = run_clients(
        port,
        clients=2,
        requests_per_client=3,
        warmup=1,
        cookie="",
        request_for=lambda _serial: ("GET", url, None, {}),
    )
    assert load["errors"] == 0
    assert len(load["seconds"]) == 6
    assert load["per_second"] > 0


def test_the_lead_form_is_filled_in_and_posted_like_a_person_would(dataset, client):
    from django.urls import NoReverseMatch

    from benchmarks.scenarios.lead_create import _FormFields, form_body
    from voronka.sales.models import Lead
    from voronka.staff.models import User

    try:
        url = reverse("sales:lead_create")
    except NoReverseMatch:
        pytest.skip("no lead form yet: the HTTP scenario measures the home page")
    client.force_login(User.objects.get(pk=dataset.user_id))
    parser = _FormFields()
    parser.feed(client.get(url).content.decode())
    fields = parser.form_for(url)
    assert "csrfmiddlewaretoken" in fields
    before = Lead.objects.count()
    csrf = "a" * 32
    client.cookies["csrftoken"] = csrf
    response = client.post(url, form_body(fields, 42, csrf), headers={"HX-Request": "true"})
    assert response.status_code < 400, response.content.decode()[:500]
    assert Lead.objects.count() == before + 1
