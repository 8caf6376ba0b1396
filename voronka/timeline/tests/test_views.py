"""The timeline panel of any card: composer actions, open activities, the feed and paging."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from voronka.contacts.tests.factories import ContactFactory
from voronka.core.changes import FieldChange
from voronka.sales.tests.factories import DealFactory
from voronka.timeline.models import Activity, ActivityKind, EntryKind, TimelineEntry
from voronka.timeline.services import activity_create, comment_add, record_field_changes

pytestmark = pytest.mark.django_db


@pytest.fixture
def deal(manager):
    return DealFactory(responsible=manager)


@pytest.fixture
def contact(manager):
    return ContactFactory(responsible=manager)


@pytest.fixture(params=["deal", "contact"])
def card(request, deal, contact):
    return {"deal": deal, "contact": contact}[request.param]


def url(name, card, **extra):
    return reverse(
        f"timeline:{name}", kwargs={"card_type": card._meta.model_name, "card_id": card.pk}
    ) + (f"?{extra['query']}" if extra.get("query") else "")


def entries_of(card, **filters):
    return TimelineEntry.objects.filter(
        card_type=ContentType.objects.get_for_model(card), card_id=card.pk, **filters
    )


def add_entries(card, author, count):
    """``count`` comments, one second apart, newest last."""
    base = timezone.now() - datetime.timedelta(days=1)
    TimelineEntry.objects.bulk_create(
        TimelineEntry(
            card_type=ContentType.objects.get_for_model(card),
            card_id=card.pk,
            kind=EntryKind.COMMENT,
            author=author,
            text=f"Комментарий {number}",
            created_at=base + datetime.timedelta(seconds=number),
        )
        for number in range(count)
    )


def test_comment_is_added_through_the_service_and_the_panel_comes_back(client, manager, card):
    client.force_login(manager)
    response = client.post(
        url("comment_add", card), {"text": "Клиент просит КП"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#timeline"
    assert "Клиент просит КП" in response.content.decode()
    entry = entries_of(card, kind=EntryKind.COMMENT).get()
    assert entry.author == manager and entry.text == "Клиент просит КП"


def test_empty_comment_is_422_with_the_message_and_nothing_written(client, manager, card):
    client.force_login(manager)
    response = client.post(url("comment_add", card), {"text": "  "}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert "Write the comment text." in response.content.decode()
    assert not entries_of(card).exists()


def test_todo_is_planned_with_deadline_and_responsible(client, manager, other_manager, card):
    client.force_login(manager)
    response = client.post(
        url("activity_create", card),
        {
            "kind": "todo",
            "todo-kind": "todo",
            "todo-subject": "Отправить договор",
            "todo-deadline": "2030-05-06T10:30",
            "todo-responsible": other_manager.pk,
        },
    )
    assert response.status_code == 200, response.content.decode()
    activity = Activity.objects.get()
    assert activity.kind == ActivityKind.TO_DO
    assert activity.responsible == other_manager
    assert activity.deadline.astimezone(timezone.get_current_timezone()).hour == 10
    assert entries_of(card, kind=EntryKind.ACTIVITY).exists()
    assert "Отправить договор" in response.content.decode()


def test_todo_without_deadline_is_422_and_nothing_planned(client, manager, card):
    client.force_login(manager)
    response = client.post(
        url("activity_create", card),
        {"kind": "todo", "todo-kind": "todo", "todo-subject": "Позвонить"},
    )
    assert response.status_code == 422
    assert "Set the deadline of the to-do." in response.content.decode()
    assert not Activity.objects.exists()


def test_call_logged_as_done_is_created_and_completed(client, manager, card):
    client.force_login(manager)
    response = client.post(
        url("activity_create", card),
        {"kind": "call", "call-kind": "call", "call-done": "on", "call-result": "Договорились"},
    )
    assert response.status_code == 200
    activity = Activity.objects.get()
    assert activity.completed_at is not None and activity.result == "Договорились"
    assert activity.responsible == manager  # the author by default
    assert entries_of(card, kind=EntryKind.ACTIVITY_DONE).exists()


def test_planned_meeting_without_time_is_422(client, manager, card):
    client.force_login(manager)
    response = client.post(
        url("activity_create", card), {"kind": "meeting", "meeting-kind": "meeting"}
    )
    assert response.status_code == 422
    assert "Set the time, or tick" in response.content.decode()
    assert not Activity.objects.exists()


def test_unknown_activity_kind_is_400(client, manager, card):
    client.force_login(manager)
    assert client.post(url("activity_create", card), {"kind": "fax"}).status_code == 400


def test_open_activity_completed_with_a_result(client, manager, card):
    activity = activity_create(
        actor=manager,
        card=card,
        kind=ActivityKind.CALL,
        subject="Перезвонить",
        responsible=manager,
        deadline=timezone.now() - datetime.timedelta(hours=1),
    )
    client.force_login(manager)
    complete = reverse("timeline:activity_complete", args=[activity.pk])
    panel = client.get(url("panel", card)).content.decode()
    assert "Overdue" in panel and complete in panel
    assert client.get(complete).status_code == 200
    response = client.post(complete, {"result": "Не дозвонился"})
    assert response.status_code == 200
    activity.refresh_from_db()
    assert activity.completed_at is not None and activity.result == "Не дозвонился"
    assert entries_of(card, kind=EntryKind.ACTIVITY_DONE).exists()
    # Done once: the second time it is no longer open.
    assert client.post(complete, {"result": "ещё раз"}).status_code == 404


def test_field_changes_read_old_to_new_with_grouped_amounts(client, manager, deal):
    record_field_changes(
        actor=manager,
        card=deal,
        changes=[
            FieldChange(field="amount", label="amount", old="10000.00", new="12500.00"),
            FieldChange(field="title", label="title", old="Старое", new="Новое"),
        ],
    )
    client.force_login(manager)
    html = client.get(url("panel", deal)).content.decode()
    assert "Amount:</span> 10,000.00\u00a0₽ → 12,500.00\u00a0₽" in html
    assert "Старое → Новое" in html


def test_entries_written_by_the_system_read_as_the_system(client, manager, deal):
    comment_add(actor=None, card=deal, text="Клиенту отправлено письмо")
    client.force_login(manager)
    response = client.get(url("panel", deal))
    assert response.status_code == 200
    assert 'title="System"' in response.content.decode()


def test_feed_pages_by_keyset_newest_first(client, manager, card):
    add_entries(card, manager, 45)
    client.force_login(manager)
    first = client.get(url("panel", card)).content.decode()
    assert "Комментарий 44" in first and "Комментарий 15" in first
    assert "Комментарий 14<" not in first
    marker = "?before="
    cursor = first.split(marker, 1)[1].split('"', 1)[0]
    second = client.get(url("entries", card, query=f"before={cursor}")).content.decode()
    assert "Комментарий 14" in second and "Комментарий 0<" in second
    assert "Комментарий 15<" not in second
    assert marker not in second  # the last page has no "show more"


def test_bad_cursor_is_400(client, manager, card):
    client.force_login(manager)
    assert client.get(url("entries", card, query="before=abc")).status_code == 400


def test_missing_or_deleted_card_is_404(client, manager, deal):
    client.force_login(manager)
    missing = reverse("timeline:panel", kwargs={"card_type": "deal", "card_id": 999999})
    assert client.get(missing).status_code == 404
    unknown = reverse("timeline:panel", kwargs={"card_type": "user", "card_id": manager.pk})
    assert client.get(unknown).status_code == 404
    deal.deleted_at = timezone.now()
    deal.save(update_fields=["deleted_at"])
    assert client.post(url("comment_add", deal), {"text": "x"}).status_code == 404
    assert not entries_of(deal).exists()


def test_anonymous_is_sent_to_login(client, deal):
    response = client.post(url("comment_add", deal), {"text": "x"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_user_lookup_finds_by_name_start(client, manager, other_manager):
    other_manager.last_name = "Сидорова"
    other_manager.save(update_fields=["last_name"])
    client.force_login(manager)
    html = client.get(reverse("timeline:user_lookup"), {"q": "сидор"}).content.decode()
    assert f'data-lookup-pick="{other_manager.pk}"' in html


@pytest.mark.parametrize("count", [3, 200])
def test_panel_costs_fixed_queries(client, manager, deal, count, django_assert_num_queries):
    add_entries(deal, manager, count)
    for number in range(3):
        activity_create(
            actor=manager,
            card=deal,
            kind=ActivityKind.TO_DO,
            subject=f"Дело {number}",
            responsible=manager,
            deadline=timezone.now(),
        )
    comment_add(actor=manager, card=deal, text="ещё")
    client.force_login(manager)
    client.get(url("panel", deal))  # warm the content type cache
    # session, user, the user's rights, the card, the user's field rules, open activities,
    # feed page (+ the user lookup label: none)
    with django_assert_num_queries(7):
        assert client.get(url("panel", deal)).status_code == 200


def test_template_tag_renders_the_panel(manager, deal):
    request = RequestFactory().get("/")
    request.user = manager
    comment_add(actor=manager, card=deal, text="Через тег")
    html = Template("{% load timeline %}{% timeline_panel card %}").render(
        Context({"request": request, "card": deal})
    )
    assert 'id="timeline"' in html and "Через тег" in html
    assert reverse("timeline:comment_add", kwargs={"card_type": "deal", "card_id": deal.pk}) in html


@pytest.mark.parametrize("count", [3, 200])
def test_comment_action_costs_fixed_queries(
    client, manager, deal, count, django_assert_num_queries
):
    add_entries(deal, manager, count)
    client.force_login(manager)
    client.post(url("comment_add", deal), {"text": "прогрев"})
    # session, user, the user's rights, card, savepoint + insert + the deal's clients (their
    # last interaction) + release, the user's field rules, open activities, feed
    with django_assert_num_queries(11):
        assert client.post(url("comment_add", deal), {"text": "ещё"}).status_code == 200


def test_changed_times_read_in_the_employees_time_zone(client, manager, deal):
    record_field_changes(
        actor=manager,
        card=deal,
        changes=[
            FieldChange(
                field="custom_fields.call_at",
                label="Call at",
                old=None,
                new="2026-11-23T09:30:00+00:00",
            )
        ],
    )
    client.force_login(manager)
    html = client.get(url("panel", deal)).content.decode()
    assert "— → 11/23/2026 12:30 p.m." in html  # Moscow is UTC+3
