import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from voronka.access.models import Action, Entity, Scope
from voronka.access.tests.factories import role_with
from voronka.contacts.tests.factories import CompanyFactory
from voronka.sales.services import deal_create, deal_move_to_stage, deal_update
from voronka.sales.tests.factories import PipelineFactory, stage_of
from voronka.timeline.models import Activity, EntryKind, TimelineEntry
from voronka.timeline.selectors import open_activities_for, timeline_for
from voronka.timeline.services import (
    activity_complete,
    activity_create,
    comment_add,
    entries_move,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def deal(manager):
    return deal_create(actor=manager, data={"title": "Поставка"})


def test_comment_is_added_to_the_card_feed(manager, deal):
    entry = comment_add(actor=manager, card=deal, text="  Клиент просит скидку  ")
    assert (entry.kind, entry.text, entry.author) == (
        EntryKind.COMMENT,
        "Клиент просит скидку",
        manager,
    )
    assert timeline_for(card=deal)[0] == entry


def test_an_empty_comment_is_refused(manager, deal):
    with pytest.raises(ValidationError) as error:
        comment_add(actor=manager, card=deal, text="   ")
    assert "text" in error.value.message_dict
    assert not TimelineEntry.objects.filter(kind=EntryKind.COMMENT).exists()


def test_activity_create_plans_it_and_shows_it_in_the_feed(manager, other_manager, deal):
    deadline = timezone.now() + datetime.timedelta(days=1)
    activity = activity_create(
        actor=manager,
        card=deal,
        kind="call",
        subject="Позвонить снабженцу",
        responsible=other_manager,
        deadline=deadline,
    )
    assert activity.card == deal
    assert (activity.created_by, activity.responsible) == (manager, other_manager)
    assert not activity.is_overdue
    assert open_activities_for(card=deal) == [activity]
    entry = TimelineEntry.objects.get(kind=EntryKind.ACTIVITY)
    assert entry.payload["activity_id"] == activity.pk
    assert entry.payload["responsible_id"] == other_manager.pk


def test_activity_create_refuses_an_unknown_kind_and_an_empty_subject(manager, deal):
    with pytest.raises(ValidationError) as error:
        activity_create(actor=manager, card=deal, kind="fax", subject="x", responsible=manager)
    assert "kind" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        activity_create(actor=manager, card=deal, kind="todo", subject=" ", responsible=manager)
    assert "subject" in error.value.message_dict
    assert not Activity.objects.exists()
    assert not TimelineEntry.objects.filter(kind=EntryKind.ACTIVITY).exists()


def test_an_activity_past_its_deadline_is_overdue(manager, deal):
    activity = activity_create(
        actor=manager,
        card=deal,
        kind="todo",
        subject="Отправить КП",
        responsible=manager,
        deadline=timezone.now() - datetime.timedelta(minutes=5),
    )
    assert activity.is_overdue


def test_activity_complete_closes_it_once(manager, other_manager, deal):
    # A colleague who may change the department's deals completes it.
    role_with(
        (Entity.DEAL, Action.READ, Scope.DEPARTMENT),
        (Entity.DEAL, Action.UPDATE, Scope.DEPARTMENT),
        members=[other_manager],
    )
    activity = activity_create(
        actor=manager, card=deal, kind="meeting", subject="Встреча", responsible=manager
    )
    done = activity_complete(actor=other_manager, activity=activity, result="Договорились")
    assert done.completed_by == other_manager
    assert done.completed_at is not None
    assert not done.is_overdue
    assert open_activities_for(card=deal) == []
    entry = TimelineEntry.objects.get(kind=EntryKind.ACTIVITY_DONE)
    assert entry.card == deal
    assert entry.payload == {"activity_id": activity.pk, "result": "Договорились"}
    with pytest.raises(ValidationError):
        activity_complete(actor=manager, activity=activity)
    assert TimelineEntry.objects.filter(kind=EntryKind.ACTIVITY_DONE).count() == 1


def field_entries(card):
    return {
        entry.payload["field"]: entry.payload
        for entry in TimelineEntry.objects.filter(
            card_id=card.pk, card_type__model="deal", kind=EntryKind.FIELD_CHANGED
        )
    }


@pytest.mark.parametrize(
    ("data", "field", "old", "new"),
    [
        ({"title": "Поставка станков"}, "title", "Поставка", "Поставка станков"),
        ({"amount": "1500"}, "amount", "0.00", "1500.00"),
        ({"currency": "USD"}, "currency", "Russian rouble", "US dollar"),
        ({"closes_on": "2026-12-31"}, "closes_on", None, "2026-12-31"),
        ({"probability": 40}, "probability", None, 40),
        ({"comment": "важно"}, "comment", "", "важно"),
        ({"utm_source": "yandex"}, "utm_source", "", "yandex"),
    ],
)
def test_each_changed_field_gets_its_own_history_entry(manager, deal, data, field, old, new):
    deal_update(actor=manager, deal=deal, data=data)
    entries = field_entries(deal)
    assert list(entries) == [field]
    assert (entries[field]["old"], entries[field]["new"]) == (old, new)
    assert entries[field]["label"]


def test_relation_changes_are_recorded_with_readable_names(manager, other_manager, deal):
    company = CompanyFactory(title="ООО «Вектор»", responsible=manager)
    deal_update(actor=manager, deal=deal, data={"company": company, "responsible": other_manager})
    entries = field_entries(deal)
    assert entries["company"]["new"] == "ООО «Вектор»"
    assert entries["responsible"]["old"] == str(manager)
    assert entries["responsible"]["new"] == str(other_manager)


def test_stage_change_entry_names_both_stages(manager):
    pipeline = PipelineFactory.with_stages()
    deal = deal_create(actor=manager, data={"title": "x", "pipeline": pipeline})
    deal_move_to_stage(actor=manager, deal=deal, stage=stage_of(pipeline, "in_progress"))
    entry = TimelineEntry.objects.get(kind=EntryKind.STAGE_CHANGED)
    assert entry.payload["old_stage"] == stage_of(pipeline, "new").name
    assert entry.payload["new_stage"] == stage_of(pipeline, "in_progress").name
    assert entry.payload["seconds_in_previous"] >= 0


def test_timeline_pages_newest_first(manager, deal):
    comments = [comment_add(actor=manager, card=deal, text=f"№{n}") for n in range(5)]
    first_page = timeline_for(card=deal, limit=3)
    assert first_page == comments[:-4:-1]
    second_page = timeline_for(card=deal, limit=3, before_id=first_page[-1].pk)
    assert [entry.text for entry in second_page] == ["№1", "№0", ""]


def test_entries_move_keeps_the_story_on_the_new_card(manager, deal):
    other = deal_create(actor=manager, data={"title": "Другая"})
    comment_add(actor=manager, card=deal, text="история")
    moved = entries_move(from_card=deal, to_card=other)
    assert moved == 2
    assert not timeline_for(card=deal)
    assert {entry.text for entry in timeline_for(card=other)} == {"история", ""}
