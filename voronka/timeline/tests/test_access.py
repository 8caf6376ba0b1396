"""Card feeds follow the card's access rights: a hidden card's feed and activities are 404,
writing to a feed (comments, activities, "done") needs the right to change the card."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from voronka.access.models import Role
from voronka.contacts.tests.factories import CompanyFactory, ContactFactory
from voronka.sales.tests.factories import DealFactory, LeadFactory
from voronka.staff.tests.factories import DepartmentFactory, UserFactory
from voronka.timeline.models import Activity, ActivityKind, EntryKind, TimelineEntry
from voronka.timeline.services import activity_complete, activity_create, comment_add

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
FACTORIES = {
    "contact": ContactFactory,
    "company": CompanyFactory,
    "lead": LeadFactory,
    "deal": DealFactory,
}


@pytest.fixture
def stranger(db):
    return UserFactory(username="stranger", department=DepartmentFactory(name="Закупки"))


@pytest.fixture(params=list(FACTORIES))
def foreign_card(request, stranger):
    return FACTORIES[request.param](responsible=stranger, created_by=stranger)


@pytest.fixture
def reader(db):
    user = UserFactory(username="reader")
    Role.objects.get(code="read-only").members.add(user)
    return user


def feed_url(name, card):
    return reverse(
        f"timeline:{name}", kwargs={"card_type": card._meta.model_name, "card_id": card.pk}
    )


def activity_on(card, author):
    return Activity.objects.create(
        card_type=ContentType.objects.get_for_model(card),
        card_id=card.pk,
        kind=ActivityKind.CALL,
        subject="Позвонить",
        responsible=author,
        created_by=author,
    )


def entries(card, kind):
    return TimelineEntry.objects.filter(
        card_type=ContentType.objects.get_for_model(card), card_id=card.pk, kind=kind
    )


def test_services_refuse_writing_to_the_feed_of_a_card_one_may_not_change(
    manager, foreign_card, stranger
):
    with pytest.raises(PermissionDenied):
        comment_add(actor=manager, card=foreign_card, text="Тайком")
    with pytest.raises(PermissionDenied):
        activity_create(
            actor=manager, card=foreign_card, kind="call", subject="Тайком", responsible=manager
        )
    activity = activity_on(foreign_card, stranger)
    with pytest.raises(PermissionDenied):
        activity_complete(actor=manager, activity=activity, result="Сделано")
    activity.refresh_from_db()
    assert activity.completed_at is None
    assert not entries(foreign_card, EntryKind.COMMENT).exists()
    # The card's owner and the system write freely.
    comment_add(actor=stranger, card=foreign_card, text="Своё")
    activity_complete(actor=None, activity=activity)


def test_hidden_cards_feed_and_activities_are_404(client, manager, foreign_card, stranger):
    activity = activity_on(foreign_card, stranger)
    client.force_login(manager)
    assert client.get(feed_url("panel", foreign_card), headers=HTMX).status_code == 404
    response = client.post(feed_url("comment_add", foreign_card), {"text": "Тайком"})
    assert response.status_code == 404
    complete = reverse("timeline:activity_complete", args=[activity.pk])
    assert client.get(complete, headers=HTMX).status_code == 404
    assert client.post(complete, {"result": "Сделано"}, headers=HTMX).status_code == 404
    activity.refresh_from_db()
    assert activity.completed_at is None


def test_read_only_role_sees_the_feed_without_composer_and_may_not_write(
    client, reader, foreign_card, stranger
):
    activity = activity_on(foreign_card, stranger)
    client.force_login(reader)

    panel = client.get(feed_url("panel", foreign_card), headers=HTMX)
    assert panel.status_code == 200
    html = panel.content.decode()
    assert "tl-feed" in html and "Позвонить" in html
    assert "tl-composer" not in html
    assert "tl-done-button" not in html

    assert client.post(feed_url("comment_add", foreign_card), {"text": "Мнение"}).status_code == (
        403
    )
    data = {"kind": "call", "call-subject": "Позвонить ещё"}
    assert client.post(feed_url("activity_create", foreign_card), data).status_code == 403
    complete = reverse("timeline:activity_complete", args=[activity.pk])
    assert client.get(complete, headers=HTMX).status_code == 403
    assert client.post(complete, {"result": "Сделано"}, headers=HTMX).status_code == 403
    assert not entries(foreign_card, EntryKind.COMMENT).exists()
    assert Activity.objects.count() == 1


def test_owner_keeps_the_composer_and_the_done_button(client, manager):
    card = DealFactory(responsible=manager)
    activity_on(card, manager)
    client.force_login(manager)
    html = client.get(feed_url("panel", card), headers=HTMX).content.decode()
    assert "tl-composer" in html and "tl-done-button" in html
    assert client.post(feed_url("comment_add", card), {"text": "Своё"}).status_code == 200
