"""Scenario 9, the mixed load: every kind of request is one an employee could send and is
answered without an error, the managers' rights are exercised, the weights are kept, and the
HTTP clients work against a real server. Nothing here depends on how fast anything is."""

import os
import random
from collections import Counter

import pytest

from benchmarks import data
from benchmarks.scenarios import mixed_load
from benchmarks.scenarios.base import Context
from benchmarks.sizes import TINY
from voronka.access.models import Action, Entity, Scope
from voronka.access.predicates import scope_for
from voronka.access.tests.factories import install_default_roles
from voronka.sales.models import Deal, Lead, StageTransition


@pytest.fixture
def dataset(db):
    return data.build(TINY, log=lambda _message: None)


def _context(dataset, *, http=False) -> Context:
    context = Context(sizes=TINY, dataset=dataset, database="test", log=lambda _m: None)
    context.http = http
    return context


def test_a_deck_holds_every_kind_as_often_as_its_weight():
    assert sum(kind.weight for kind in mixed_load.KINDS) == 100
    cards = mixed_load.deck(random.Random(1))
    counts = Counter(kind.name for kind in cards)
    step = min(kind.weight for kind in mixed_load.KINDS)
    assert counts == {kind.name: kind.weight // step for kind in mixed_load.KINDS}


def test_the_head_of_sales_and_two_managers_with_own_scope_send_the_requests(dataset):
    actors = mixed_load._actors(_context(dataset))
    assert len(actors) == 3
    head, *managers = actors
    assert head.user.pk == dataset.user_id
    for actor in managers:
        assert scope_for(actor.user, Entity.DEAL, Action.READ) == Scope.OWN
        deal_ids = [mixed_load.url_id(url) for url in actor.card_urls if "/deals/" in url]
        assert deal_ids
        assert set(Deal.objects.filter(pk__in=deal_ids).values_list("responsible", flat=True)) == {
            actor.user.pk
        }
        assert actor.token and actor.csrf in actor.cookie
        assert "csrfmiddlewaretoken" in actor.lead_form


def test_every_kind_is_answered_without_errors_and_does_its_work(dataset):
    leads, moves = Lead.objects.count(), StageTransition.objects.count()
    rows = mixed_load.run(_context(dataset))
    overall, *per_kind = rows
    assert overall.operation == "in-process: all requests"
    assert overall.extra["errors"] == 0, overall.note
    assert [row.operation for row in per_kind] == [
        f"in-process: {kind.name} ({kind.weight}%)" for kind in mixed_load.KINDS
    ]
    employees = 3
    for row in per_kind:
        assert row.runs == mixed_load.ROUNDS * employees, row.operation
        assert row.queries > 0 and row.cpu_median_ms is not None
        assert row.reference_median_ms > 0
    assert Lead.objects.count() - leads >= mixed_load.ROUNDS * employees  # and the raw inserts
    # Each client dragged its deals there and back: no move was refused as stale.
    assert StageTransition.objects.count() - moves >= mixed_load.ROUNDS * employees


def test_the_server_processes_cpu_time_is_read_from_proc():
    assert mixed_load.process_tree_cpu(os.getpid()) > 0
    assert mixed_load.process_tree_cpu(2**22 + 12345) == 0


@pytest.mark.django_db(transaction=True)
def test_the_mix_runs_over_http_with_sessions_csrf_and_tokens(live_server):
    # A flushed database (an earlier transactional test) has lost the roles of the data
    # migration; without them nobody has any right.
    install_default_roles()
    dataset = data.build(TINY, log=lambda _message: None)
    context = _context(dataset, http=True)
    actors = mixed_load._actors(context)
    sessions = mixed_load._sessions(actors, 2, dataset.stage_ids, set())
    port = int(live_server.url.rsplit(":", 1)[1])
    load = mixed_load.http_mix(port, sessions, seconds=1.0, warmup=True)
    assert load.errors == []  # the warm-up sent every kind once per client
    assert load.every and load.per_second > 0
