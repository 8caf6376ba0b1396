"""ABC segments from LTV, and the writes of derived client values."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from voronka.contacts.models import ClientSettings, Company, Contact
from voronka.contacts.services.client_value import (
    client_last_contact_touch,
    client_segments_assign,
)
from voronka.contacts.tasks import assign_client_segments
from voronka.contacts.tests.factories import CompanyFactory, ContactFactory

pytestmark = pytest.mark.django_db


def contacts_with(manager, values):
    return [ContactFactory(responsible=manager, ltv=Decimal(value)) for value in values]


def segments(cards):
    model = type(cards[0])
    by_pk = dict(
        model.all_objects.filter(pk__in=[c.pk for c in cards]).values_list("pk", "ltv_segment")
    )
    return [by_pk[card.pk] for card in cards]


def test_known_distribution(manager):
    # Total 1000: 500 (before it 0 %) A, 300 (50 %) A, 100 (80 %) B, 60 (90 %) B,
    # 30 (96 %) C, 10 (99 %) C, 0 none.
    cards = contacts_with(manager, ["500", "300", "100", "60", "30", "10", "0"])

    client_segments_assign()

    assert segments(cards) == ["A", "A", "B", "B", "C", "C", ""]


def test_the_largest_client_is_always_a(manager):
    cards = contacts_with(manager, ["900", "70", "30"])

    client_segments_assign()

    assert segments(cards) == ["A", "B", "C"]


def test_shares_come_from_the_settings(manager):
    settings = ClientSettings.load()
    settings.ltv_a_share, settings.ltv_b_share = 50, 60
    settings.save()
    cards = contacts_with(manager, ["500", "300", "100", "60", "40"])

    client_segments_assign()

    assert segments(cards) == ["A", "B", "C", "C", "C"]


def test_equal_values_split_by_id(manager):
    cards = contacts_with(manager, ["100", "100", "100", "100", "100"])

    client_segments_assign()

    assert segments(cards) == ["A", "A", "A", "A", "B"]


def test_segments_are_recomputed_when_values_change(manager):
    cards = contacts_with(manager, ["500", "500"])
    client_segments_assign()
    Contact.objects.filter(pk=cards[1].pk).update(ltv=0)

    assign_client_segments()

    assert segments(cards) == ["A", ""]


def test_companies_are_ranked_separately(manager):
    ContactFactory(responsible=manager, ltv=Decimal("1000000"))
    companies = [CompanyFactory(responsible=manager, ltv=Decimal(v)) for v in ("10", "1")]

    client_segments_assign()

    assert segments(companies) == ["A", "B"]


def test_deleted_clients_have_no_segment(manager):
    cards = contacts_with(manager, ["500", "500"])
    Contact.objects.filter(pk=cards[0].pk).update(deleted_at=timezone.now())

    client_segments_assign()

    assert segments(cards) == ["", "A"]


def test_segments_cost_a_few_statements_whatever_the_size(manager, django_assert_max_num_queries):
    contacts_with(manager, [str(n) for n in range(1, 40)])
    ClientSettings.load()

    with django_assert_max_num_queries(20):
        client_segments_assign()


def test_touch_moves_forward_only(manager):
    contact = ContactFactory(responsible=manager)
    company = CompanyFactory(responsible=manager)
    now = timezone.now()

    client_last_contact_touch(at=now, contact_ids=[contact.pk], company_ids=[company.pk, None])
    client_last_contact_touch(
        at=now - datetime.timedelta(days=1), contact_ids=[contact.pk], company_ids=[company.pk]
    )

    assert Contact.objects.get(pk=contact.pk).last_contact_at == now
    assert Company.objects.get(pk=company.pk).last_contact_at == now
