"""The notifications page, marking read, following a link and the bell: one's own only, fixed
query counts, and a card one may not see stays out of reach."""

import datetime

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from voronka.notifications.models import Notification
from voronka.notifications.selectors import PAGE_SIZE
from voronka.notifications.services import notify
from voronka.sales.tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def _many(user, count, *, read=False):
    now = timezone.now()
    Notification.objects.bulk_create(
        Notification(
            recipient=user,
            text=f"Уведомление {index}",
            created_at=now - datetime.timedelta(minutes=index),
            read_at=now if read else None,
        )
        for index in range(count)
    )


def test_the_list_shows_unread_first_then_newest(manager_client, manager):
    old_unread = notify(recipient=manager, text="Старое непрочитанное")
    Notification.objects.filter(pk=old_unread.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=3)
    )
    read = notify(recipient=manager, text="Свежее прочитанное")
    Notification.objects.filter(pk=read.pk).update(read_at=timezone.now())
    response = manager_client.get(reverse("notifications:list"))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.index("Старое непрочитанное") < page.index("Свежее прочитанное")


def test_the_list_shows_only_ones_own(manager_client, other_manager):
    notify(recipient=other_manager, text="Чужое уведомление")
    response = manager_client.get(reverse("notifications:list"))
    assert "Чужое уведомление" not in response.content.decode()
    assert "No notifications yet." in response.content.decode()


def test_the_list_costs_the_same_queries_whatever_the_size(
    manager_client, manager, django_assert_num_queries
):
    _many(manager, 3)
    lead = LeadFactory(responsible=manager)
    notify(recipient=manager, text="О лиде", card=lead)
    url = reverse("notifications:list")
    manager_client.get(url)  # content types cached, as in a running server
    # Session, user, the rights (the menu), the page of notifications.
    with django_assert_num_queries(4):
        manager_client.get(url)
    _many(manager, 60, read=True)
    with django_assert_num_queries(4):
        response = manager_client.get(url)
    assert response.content.decode().count('id="notification-') == PAGE_SIZE


def test_show_more_loads_the_next_page(manager_client, manager):
    _many(manager, PAGE_SIZE + 5)
    response = manager_client.get(reverse("notifications:list"))
    assert f"?offset={PAGE_SIZE}" in response.content.decode()
    more = manager_client.get(reverse("notifications:list") + f"?offset={PAGE_SIZE}", headers=HTMX)
    assert more.content.decode().count('id="notification-') == 5
    assert "offset=" not in more.content.decode()
    assert "<html" not in more.content.decode()


def test_mark_read_returns_the_row_and_tells_the_bell(manager_client, manager):
    notification = notify(recipient=manager, text="Прочти меня")
    response = manager_client.post(
        reverse("notifications:read", args=[notification.pk]), headers=HTMX
    )
    assert response.status_code == 200
    assert "notifications-changed" in response["HX-Trigger"]
    assert "unread" not in response.content.decode().split(">")[0]
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_marking_anothers_notification_is_404(manager_client, other_manager):
    theirs = notify(recipient=other_manager, text="Чужое")
    for name in ("read", "open"):
        method = manager_client.post if name == "read" else manager_client.get
        assert method(reverse(f"notifications:{name}", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read(manager_client, manager, other_manager):
    _many(manager, 3)
    notify(recipient=other_manager, text="Чужое")
    response = manager_client.post(reverse("notifications:read_all"), headers=HTMX)
    assert response.status_code == 200
    assert 'class="notif-item unread' not in response.content.decode()
    assert not Notification.objects.filter(recipient=manager, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=other_manager, read_at__isnull=True).exists()
    plain = manager_client.post(reverse("notifications:read_all"))
    assert plain.status_code == 302


def test_opening_marks_read_and_leads_to_the_card(manager_client, manager):
    lead = LeadFactory(responsible=manager)
    notification = notify(recipient=manager, text="Лид ждёт", card=lead)
    response = manager_client.get(reverse("notifications:open", args=[notification.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("sales:lead_detail", args=[lead.pk])
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_a_card_one_may_no_longer_see_keeps_the_text_and_answers_404(
    manager_client, manager, other_manager
):
    lead = LeadFactory(responsible=other_manager, title="Секретная заявка")
    notification = notify(recipient=manager, text="Вам передали лид", card=lead)
    page = manager_client.get(reverse("notifications:list")).content.decode()
    assert "Вам передали лид" in page
    assert "Секретная заявка" not in page
    response = manager_client.get(
        reverse("notifications:open", args=[notification.pk]), follow=True
    )
    assert response.status_code == 404


def test_an_outside_link_is_not_followed(manager_client, manager):
    notification = notify(recipient=manager, text="x", url="https://evil.example/")
    response = manager_client.get(reverse("notifications:open", args=[notification.pk]))
    assert response["Location"] == reverse("notifications:list")


def test_a_plain_link_is_followed(manager_client, manager):
    notification = notify(recipient=manager, text="x", url="/settings/")
    response = manager_client.get(reverse("notifications:open", args=[notification.pk]))
    assert response["Location"] == "/settings/"


def test_the_bell_counts_unread_in_one_query(manager, django_assert_num_queries):
    _many(manager, 4)
    _many(manager, 2, read=True)
    request = RequestFactory().get("/")
    request.user = manager
    template = Template("{% load notifications %}{% notifications_bell %}")
    with django_assert_num_queries(1):
        html = template.render(Context({"request": request}))
    assert '<span class="notif-count">4</span>' in html
    assert reverse("notifications:list") in html


def test_the_lazy_bell_costs_no_query_and_loads_itself(manager, django_assert_num_queries):
    request = RequestFactory().get("/")
    request.user = manager
    template = Template("{% load notifications %}{% notifications_bell lazy=True %}")
    with django_assert_num_queries(0):
        html = template.render(Context({"request": request}))
    assert 'hx-trigger="load' in html
    assert reverse("notifications:bell") in html


def test_the_bell_caps_the_count(manager):
    _many(manager, 120)
    request = RequestFactory().get("/")
    request.user = manager
    html = Template("{% load notifications %}{% notifications_bell %}").render(
        Context({"request": request})
    )
    assert ">99+<" in html


def test_the_bell_refreshes_itself(manager_client, manager):
    _many(manager, 2)
    response = manager_client.get(reverse("notifications:bell"), headers=HTMX)
    assert response.status_code == 200
    assert '<span class="notif-count">2</span>' in response.content.decode()


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("notifications:list"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
