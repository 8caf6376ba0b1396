"""The audit log page: newest first, filters, keyset pages at a fixed cost, read-only."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from voronka.access.models import Action, AuditEvent, Entity, Role, Scope
from voronka.access.services import audit_record, role_set_scope
from voronka.access.tests.factories import role_with
from voronka.sales.tests.factories import PipelineFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(department):
    from voronka.staff.tests.factories import UserFactory

    user = UserFactory(username="auditor", department=department)
    role_with((Entity.SETTINGS, Action.READ, Scope.ALL), members=[user])
    return user


def _sign_in(client, user):
    """Sign in, with the sign-in's own audit event moved ten days back, out of the way."""
    client.force_login(user)
    moment = timezone.now() - datetime.timedelta(days=10)
    AuditEvent.objects.filter(actor=user).update(created_at=moment)


def _event(action, actor, minutes_ago, **kwargs):
    event = audit_record(action=action, actor=actor, **kwargs)
    moment = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    AuditEvent.objects.filter(pk=event.pk).update(created_at=moment)
    return event


def test_a_manager_may_not_read_the_log(client, manager):
    client.force_login(manager)

    assert client.get(reverse("access:audit_log")).status_code == 403


def test_the_log_is_read_only(client, reader):
    client.force_login(reader)

    assert client.post(reverse("access:audit_log")).status_code == 405


def test_events_are_shown_newest_first_and_readably(
    client, reader, admin_user, manager, django_assert_num_queries
):
    pipeline = PipelineFactory(entity="deal", name="Опт")
    role = Role.objects.get(code="manager")
    role_set_scope(
        actor=admin_user,
        role=role,
        entity=Entity.DEAL,
        action=Action.READ,
        scope=Scope.ALL,
        pipeline=pipeline,
    )
    _event("auth.login", manager, 60, obj=manager)
    _sign_in(client, reader)

    # session, user, rights, events with their actors, pipeline names
    with django_assert_num_queries(5):
        response = client.get(reverse("access:audit_log"))

    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("Changed a right") < html.index("Signed in")
    assert "Deals · Read: not set → All · pipeline “Опт”" in html
    assert "permission.change" not in html


def test_the_log_filters_by_group_employee_dates_and_text(client, reader, manager, admin_user):
    _event("auth.login", manager, 60 * 24 * 3, obj=manager)
    _event("auth.login_failed", None, 30, object_repr="ghost")
    _event("role.assign", admin_user, 20, obj=Role.objects.get(code="head"))
    _sign_in(client, reader)
    url = reverse("access:audit_log")

    def shown(**params):
        html = client.get(url, params).content.decode()
        return [
            label for label in ("Signed in", "Failed to sign in", "Gave a role") if label in html
        ]

    today = timezone.localdate().isoformat()
    assert shown(group="auth") == ["Signed in", "Failed to sign in"]
    assert "Gave a role" not in client.get(url, {"group": "auth"}).content.decode()
    assert shown(actor=manager.pk) == ["Signed in"]
    # The day of the older of the two recent events, so the test holds just after midnight.
    recent_day = timezone.localdate(timezone.now() - datetime.timedelta(minutes=30)).isoformat()
    assert shown(since=recent_day) == ["Failed to sign in", "Gave a role"]
    assert shown(q="ghost") == ["Failed to sign in"]
    assert shown(group="role", until=today) == ["Gave a role"]


def test_pages_follow_each_other_at_the_same_cost(
    client, reader, manager, django_assert_num_queries, monkeypatch
):
    from voronka.access import selectors

    monkeypatch.setattr(selectors, "AUDIT_PAGE_SIZE", 3)
    for minutes in range(7):
        _event("auth.login", manager, minutes, obj=manager, object_repr=f"вход {minutes}")
    _sign_in(client, reader)
    url = reverse("access:audit_log")

    seen, query = [], ""
    for _page in range(3):
        with django_assert_num_queries(4):  # session, user, rights, events
            response = client.get(url + query, headers={"HX-Request": "true"} if query else {})
        html = response.content.decode()
        seen += [minutes for minutes in range(7) if f"вход {minutes}<" in html]
        if 'hx-get="?' not in html:
            break
        query = "?" + html.split('hx-get="?')[1].split('"')[0].replace("&amp;", "&")

    assert seen == list(range(7))
