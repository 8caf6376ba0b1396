"""The recycle bin: deleted cards the user may delete, restored or removed for good."""

import datetime
import json

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from voronka.access.models import Action, AuditEvent, Entity, Role, Scope
from voronka.access.tests.factories import role_with
from voronka.contacts.models import Communication, Company, Contact, ContactCompany
from voronka.contacts.tests.factories import CompanyFactory, ContactFactory
from voronka.sales.models import Deal, DealContact, Lead, ProductRow, StageTransition
from voronka.sales.tests.factories import DealFactory, LeadFactory
from voronka.staff.tests.factories import DepartmentFactory, UserFactory
from voronka.timeline.models import Activity, TimelineEntry

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def _bin(card, by, minutes_ago=0):
    moment = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    type(card).all_objects.filter(pk=card.pk).update(deleted_at=moment, deleted_by=by)
    card.refresh_from_db()
    return card


@pytest.fixture
def stranger(db):
    return UserFactory(username="stranger", department=DepartmentFactory(name="Другой отдел"))


def _toast(response) -> str:
    return json.loads(response.headers["HX-Trigger"])["voronka:toast"]["message"]


def test_the_bin_lists_only_what_the_user_may_delete(
    client, manager, stranger, django_assert_num_queries
):
    mine_old = _bin(DealFactory(responsible=manager, title="Моя старая"), manager, 30)
    mine_new = _bin(DealFactory(responsible=manager, title="Моя новая"), manager, 5)
    _bin(DealFactory(responsible=stranger, title="Чужая"), stranger)
    DealFactory(responsible=manager, title="Живая")
    client.force_login(manager)

    with django_assert_num_queries(4):  # session, user, rights, the deals with who deleted them
        response = client.get(reverse("access:recycle_bin") + "?entity=deal")

    html = response.content.decode()
    assert response.status_code == 200
    assert html.index(mine_new.title) < html.index(mine_old.title)  # newest deletion first
    assert "Чужая" not in html and "Живая" not in html
    assert str(manager) in html  # who deleted


def test_the_bin_pages_by_deletion_time(client, manager, settings):
    from voronka.access import views

    settings.DEBUG = False
    views.RECYCLE_PAGE_SIZE, size = 2, views.RECYCLE_PAGE_SIZE
    try:
        for minutes in range(3):
            _bin(LeadFactory(responsible=manager, title=f"Лид {minutes}"), manager, minutes)
        client.force_login(manager)
        first = client.get(reverse("access:recycle_bin") + "?entity=lead").content.decode()
        assert "Лид 0" in first and "Лид 1" in first and "Лид 2" not in first
        after = first.split('hx-get="?')[1].split('"')[0].replace("&amp;", "&")
        second = client.get(reverse("access:recycle_bin") + "?" + after, headers=HTMX)
    finally:
        views.RECYCLE_PAGE_SIZE = size
    html = second.content.decode()
    assert "Лид 2" in html and "Лид 0" not in html and "<table" not in html


def test_a_user_who_may_delete_nothing_gets_403(client, manager):
    Role.objects.get(code="read-only").members.add(manager)
    client.force_login(manager)

    assert client.get(reverse("access:recycle_bin")).status_code == 403


def test_a_head_with_the_head_role_sees_the_departments_bin(client, head, manager, stranger):
    Role.objects.get(code="head").members.add(head)
    _bin(ContactFactory(responsible=manager, last_name="Соседов"), manager)
    _bin(ContactFactory(responsible=stranger, last_name="Чужаков"), stranger)
    client.force_login(head)

    html = client.get(reverse("access:recycle_bin") + "?entity=contact").content.decode()

    assert "Соседов" in html and "Чужаков" not in html


def test_restore_brings_the_card_back_and_is_audited(
    client, manager, django_capture_on_commit_callbacks
):
    deal = _bin(DealFactory(responsible=manager), manager)
    client.force_login(manager)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("access:recycle_bin_restore", args=["deal", deal.pk]), headers=HTMX
        )

    assert response.status_code == 200
    assert "is restored" in _toast(response)
    assert Deal.objects.filter(pk=deal.pk).exists()
    event = AuditEvent.objects.get(action="card.restore")
    assert (event.object_type, event.object_id, event.actor) == (
        "sales.deal",
        str(deal.pk),
        manager,
    )


def test_deleting_a_card_anywhere_is_audited(manager, django_capture_on_commit_callbacks):
    from voronka.contacts.services.contacts import contact_delete

    contact = ContactFactory(responsible=manager, last_name="Петров")

    with django_capture_on_commit_callbacks(execute=True):
        contact_delete(actor=manager, contact=contact)

    event = AuditEvent.objects.get(action="card.delete")
    assert (event.object_type, event.actor, event.object_repr) == (
        "contacts.contact",
        manager,
        str(contact),
    )


def test_someone_elses_card_is_404_for_restore_and_purge(client, manager, stranger):
    hidden = _bin(DealFactory(responsible=stranger), stranger)
    alive = DealFactory(responsible=manager)
    client.force_login(manager)

    answers = [
        client.post(reverse("access:recycle_bin_restore", args=["deal", hidden.pk])).status_code,
        client.post(reverse("access:recycle_bin_purge", args=["deal", hidden.pk])).status_code,
        client.post(reverse("access:recycle_bin_purge", args=["deal", alive.pk])).status_code,
        client.post(reverse("access:recycle_bin_purge", args=["task", alive.pk])).status_code,
    ]

    assert answers == [404, 404, 404, 404]
    assert Deal.all_objects.filter(pk__in=[hidden.pk, alive.pk]).count() == 2


def test_a_reader_of_all_cards_may_not_purge_them(client, manager, stranger):
    role_with(
        (Entity.DEAL, Action.READ, Scope.ALL),
        (Entity.DEAL, Action.DELETE, Scope.OWN),
        members=[manager],
    )
    hidden = _bin(DealFactory(responsible=stranger), stranger)
    client.force_login(manager)

    response = client.post(reverse("access:recycle_bin_purge", args=["deal", hidden.pk]))

    assert response.status_code == 404
    assert Deal.all_objects.filter(pk=hidden.pk).exists()


def _rows_on(card) -> dict[str, int]:
    card_type = ContentType.objects.get_for_model(card)
    on_card = {"card_type": card_type, "card_id": card.pk}
    return {
        "timeline": TimelineEntry.objects.filter(**on_card).count(),
        "activities": Activity.objects.filter(**on_card).count(),
        "communications": Communication.objects.filter(**on_card).count(),
    }


def _dress(card, user):
    card_type = ContentType.objects.get_for_model(card)
    TimelineEntry.objects.create(card_type=card_type, card_id=card.pk, kind="comment", text="x")
    Activity.objects.create(
        card_type=card_type, card_id=card.pk, kind="call", subject="Звонок", responsible=user
    )


def test_purging_a_deal_leaves_no_orphan_rows(client, manager):
    deal = DealFactory(responsible=manager)
    keep = DealFactory(responsible=manager)
    contact = ContactFactory(responsible=manager)
    for each in (deal, keep):
        _dress(each, manager)
        ProductRow.objects.create(deal=each, name="Монтаж", price=100)
        DealContact.objects.create(deal=each, contact=contact)
        StageTransition.objects.create(deal=each, to_stage=each.stage)
    _bin(deal, manager)
    before = {
        "deals": Deal.all_objects.count(),
        "rows": ProductRow.objects.count(),
        "links": DealContact.objects.count(),
        "transitions": StageTransition.objects.count(),
        "timeline": TimelineEntry.objects.count(),
        "activities": Activity.objects.count(),
    }
    client.force_login(manager)

    response = client.post(
        reverse("access:recycle_bin_purge", args=["deal", deal.pk]), headers=HTMX
    )

    assert response.status_code == 200
    after = {
        "deals": Deal.all_objects.count(),
        "rows": ProductRow.objects.count(),
        "links": DealContact.objects.count(),
        "transitions": StageTransition.objects.count(),
        "timeline": TimelineEntry.objects.count(),
        "activities": Activity.objects.count(),
    }
    assert after == {key: value - 1 for key, value in before.items()}
    assert _rows_on(keep) == {"timeline": 1, "activities": 1, "communications": 0}
    assert Contact.objects.filter(pk=contact.pk).exists()
    event = AuditEvent.objects.get(action="card.purge")
    assert (event.object_type, event.object_id, event.actor) == (
        "sales.deal",
        str(deal.pk),
        manager,
    )


def test_purging_a_lead_removes_its_communications(client, manager):
    lead = LeadFactory(responsible=manager)
    _dress(lead, manager)
    Communication.objects.create(
        card_type=ContentType.objects.get_for_model(lead),
        card_id=lead.pk,
        kind="phone",
        value="+7 999 123-45-67",
        value_normalized="+79991234567",
    )
    converted = DealFactory(responsible=manager, lead=lead)
    _bin(lead, manager)
    client.force_login(manager)

    client.post(reverse("access:recycle_bin_purge", args=["lead", lead.pk]))

    assert not Lead.all_objects.filter(pk=lead.pk).exists()
    assert _rows_on(lead) == {"timeline": 0, "activities": 0, "communications": 0}
    converted.refresh_from_db()
    assert converted.lead_id is None


def test_purging_a_company_deals_refer_to_is_refused(client, manager):
    company = CompanyFactory(responsible=manager)
    DealFactory(responsible=manager, company=company)
    contact = ContactFactory(responsible=manager)
    ContactCompany.objects.create(contact=contact, company=company)
    _bin(company, manager)
    client.force_login(manager)

    response = client.post(
        reverse("access:recycle_bin_purge", args=["company", company.pk]), headers=HTMX
    )

    assert response.status_code == 422
    assert "refer to it" in _toast(response)
    assert Company.all_objects.filter(pk=company.pk).exists()
    assert ContactCompany.objects.filter(company=company).exists()
    assert not AuditEvent.objects.filter(action="card.purge").exists()


def test_the_purge_service_refuses_a_card_not_in_the_bin(manager):
    from django.core.exceptions import PermissionDenied, ValidationError

    from voronka.sales.services.recycle_bin import deal_purge

    deal = DealFactory(responsible=manager)
    with pytest.raises(ValidationError):
        deal_purge(actor=manager, deal=deal)
    other = _bin(DealFactory(), None)
    with pytest.raises(PermissionDenied):
        deal_purge(actor=manager, deal=other)
    assert Deal.all_objects.count() == 2
