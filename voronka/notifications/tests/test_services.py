"""Writing notifications: keys make them idempotent, heads are found up the departments tree,
marking read touches only one's own, e-mail copies go out on commit when switched on."""

import pytest
from django.core import mail

from voronka.notifications.models import Notification
from voronka.notifications.services import (
    Message,
    head_of,
    heads_of,
    mark_all_read,
    mark_read,
    notify,
    notify_head,
    notify_many,
)
from voronka.sales.tests.factories import LeadFactory
from voronka.staff.tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_notify_writes_the_text_and_the_card(manager):
    lead = LeadFactory(responsible=manager)
    notification = notify(recipient=manager, text="  Новый лид  ", card=lead, kind="robot")
    notification.refresh_from_db()
    assert notification.text == "Новый лид"
    assert notification.card == lead
    assert notification.kind == "robot"
    assert notification.read_at is None


def test_a_used_key_notifies_nobody_a_second_time(manager, other_manager):
    assert notify(recipient=manager, text="one", key="robot-run:7") is not None
    assert notify(recipient=manager, text="again", key="robot-run:7") is None
    # The key is per recipient.
    assert notify(recipient=other_manager, text="one", key="robot-run:7") is not None
    assert Notification.objects.filter(key="robot-run:7").count() == 2


def test_without_a_key_every_call_notifies(manager):
    notify(recipient=manager, text="one")
    notify(recipient=manager.pk, text="two")
    assert Notification.objects.filter(recipient=manager).count() == 2


def test_nobody_to_notify_is_none(db):
    assert notify(recipient=None, text="x") is None


def test_notify_many_writes_in_one_insert_and_skips_used_keys(
    manager, other_manager, django_assert_num_queries
):
    notify(recipient=manager, text="old", key="k1")
    messages = [
        Message(recipient=manager, text="dup", key="k1"),
        Message(recipient=manager, text="new", key="k2"),
        Message(recipient=other_manager, text="new", key="k1"),
        Message(recipient=None, text="nobody"),
    ]
    with django_assert_num_queries(1):
        notify_many(messages)
    texts = sorted(Notification.objects.values_list("recipient__username", "text", "key"))
    assert texts == [("manager", "new", "k2"), ("manager", "old", "k1"), ("manager2", "new", "k1")]


def test_the_head_is_found_up_the_tree():
    top_head = UserFactory(username="ceo")
    top = DepartmentFactory(name="Компания", head=top_head)
    sales = DepartmentFactory(name="Продажи", parent=top)
    team = DepartmentFactory(name="Группа 1", parent=sales)
    team_head = UserFactory(username="teamlead", department=team)
    team.head = team_head
    team.save()
    seller = UserFactory(username="seller", department=team)
    loner = UserFactory(username="loner", department=None)
    sales_person = UserFactory(username="sales_person", department=sales)
    heads = heads_of([seller, team_head, loner, sales_person.pk])
    # The team's own head; a head's head is the one above; no department: nobody.
    assert heads == {
        seller.pk: team_head.pk,
        team_head.pk: top_head.pk,
        loner.pk: None,
        sales_person.pk: top_head.pk,
    }
    assert head_of(seller) == team_head
    assert head_of(loner) is None


def test_a_head_who_left_is_skipped_for_the_one_above(manager, head, department):
    ceo = UserFactory(username="ceo")
    department.parent = DepartmentFactory(name="Компания", head=ceo)
    department.save()
    head.is_active = False
    head.save()
    assert head_of(manager) == ceo


def test_notify_head_notifies_the_head_of_the_department(manager, head):
    notification = notify_head(recipient=manager, text="Просрочена задача")
    assert notification.recipient == head
    assert notify_head(recipient=manager.pk, text="По id", key="k").recipient == head
    assert notify_head(recipient=manager.pk, text="По id", key="k") is None
    assert notify_head(recipient=UserFactory(department=None), text="x") is None


def test_mark_read_touches_only_ones_own(manager, other_manager):
    mine = notify(recipient=manager, text="mine")
    theirs = notify(recipient=other_manager, text="theirs")
    assert mark_read(user=manager, notification_id=theirs.pk) is False
    assert mark_read(user=manager, notification_id=mine.pk) is True
    assert mark_read(user=manager, notification_id=mine.pk) is False
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read(manager, other_manager):
    for text in ("a", "b"):
        notify(recipient=manager, text=text)
    notify(recipient=other_manager, text="c")
    assert mark_all_read(user=manager) == 2
    assert not Notification.objects.filter(recipient=manager, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=other_manager, read_at__isnull=True).count() == 1


def test_an_email_copy_goes_out_on_commit_when_switched_on(
    settings, manager, other_manager, django_capture_on_commit_callbacks
):
    settings.NOTIFICATIONS_EMAIL = True
    manager.email = "manager@example.com"
    manager.save()
    other_manager.email = ""
    other_manager.save()
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipient=manager, text="Сделка без задачи\nподробности")
        notify(recipient=other_manager, text="Нет адреса")
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["manager@example.com"], "Сделка без задачи")
    ]


def test_no_email_by_default(manager, django_capture_on_commit_callbacks):
    manager.email = "manager@example.com"
    manager.save()
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipient=manager, text="x")
    assert mail.outbox == []
