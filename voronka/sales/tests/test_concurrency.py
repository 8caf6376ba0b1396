import threading

import pytest
from django.db import close_old_connections, connection

from voronka.access.models import Action, Entity, Scope
from voronka.access.tests.factories import role_with
from voronka.core.exceptions import ConflictError
from voronka.sales.models import Deal, StageTransition
from voronka.sales.services import (
    deal_create,
    deal_move_to_stage,
    deal_update,
    lead_create,
    lead_update,
    product_rows_set,
)
from voronka.sales.tests.factories import PipelineFactory, stage_of
from voronka.timeline.models import EntryKind, TimelineEntry


def feed_kinds(card):
    return sorted(
        TimelineEntry.objects.filter(
            card_id=card.pk, card_type__model=card._meta.model_name
        ).values_list("kind", flat=True)
    )


@pytest.mark.django_db
def test_a_stale_version_is_a_conflict_and_changes_nothing(manager):
    deal = deal_create(actor=manager, data={"title": "Поставка"})
    deal_update(actor=manager, deal=deal, data={"title": "Поставка станков"}, expected_version=1)

    with pytest.raises(ConflictError) as error:
        deal_update(actor=manager, deal=deal, data={"title": "Чужая правка"}, expected_version=1)

    assert error.value.current_version == 2
    deal.refresh_from_db()
    assert (deal.title, deal.version) == ("Поставка станков", 2)
    assert feed_kinds(deal) == [EntryKind.CREATED, EntryKind.FIELD_CHANGED]


@pytest.mark.django_db
def test_a_stale_move_is_a_conflict_and_records_no_transition(manager):
    pipeline = PipelineFactory.with_stages()
    deal = deal_create(actor=manager, data={"title": "x", "pipeline": pipeline})
    deal_update(actor=manager, deal=deal, data={"comment": "звонил"})

    with pytest.raises(ConflictError):
        deal_move_to_stage(
            actor=manager, deal=deal, stage=stage_of(pipeline, "won"), expected_version=1
        )
    deal.refresh_from_db()
    assert deal.stage == stage_of(pipeline, "new")
    assert deal.closed_at is None
    assert StageTransition.objects.filter(deal=deal).count() == 1


@pytest.mark.django_db
def test_stale_lead_edits_and_product_rows_are_conflicts(manager):
    lead = lead_create(actor=manager, data={"title": "Заявка"})
    lead_update(actor=manager, lead=lead, data={"comment": "a"}, expected_version=1)
    with pytest.raises(ConflictError):
        lead_update(actor=manager, lead=lead, data={"comment": "b"}, expected_version=1)
    with pytest.raises(ConflictError):
        product_rows_set(
            actor=manager, card=lead, rows=[{"name": "a", "price": "1"}], expected_version=1
        )
    lead.refresh_from_db()
    assert (lead.comment, lead.version) == ("a", 2)
    assert not lead.product_rows.exists()


@pytest.mark.django_db(transaction=True)
def test_two_people_moving_one_deal_at_once_leave_one_winner(manager):
    # A transactional test starts from empty tables: the default roles are not there.
    role_with(*((Entity.DEAL, action, Scope.OWN) for action in Action.values), members=[manager])
    pipeline = PipelineFactory.with_stages()
    deal = deal_create(actor=manager, data={"title": "Гонка", "pipeline": pipeline})
    targets = [stage_of(pipeline, "in_progress"), stage_of(pipeline, "won")]
    start = threading.Barrier(len(targets))
    outcomes: list[object] = []
    lock = threading.Lock()

    def move(stage):
        try:
            start.wait(timeout=10)
            moved = deal_move_to_stage(
                actor=manager, deal=deal, stage=stage, expected_version=deal.version
            )
            result: object = moved.stage_id
        except ConflictError as error:
            result = error
        finally:
            close_old_connections()
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=move, args=(stage,)) for stage in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    winners = [outcome for outcome in outcomes if isinstance(outcome, int)]
    conflicts = [outcome for outcome in outcomes if isinstance(outcome, ConflictError)]
    assert len(winners) == 1, outcomes
    assert len(conflicts) == 1, outcomes
    deal = Deal.objects.get(pk=deal.pk)
    assert deal.stage_id == winners[0]
    assert deal.version == 2
    moves = StageTransition.objects.filter(deal=deal, from_stage__isnull=False)
    assert [move.to_stage_id for move in moves] == [deal.stage_id]
    assert feed_kinds(deal) == [EntryKind.CREATED, EntryKind.STAGE_CHANGED]
