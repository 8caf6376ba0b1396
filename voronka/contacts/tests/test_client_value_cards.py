"""The "Client value" block on contact and company cards."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from voronka.access.models import Action, Entity, FieldAccess, FieldRule, Scope
from voronka.access.tests.factories import role_with
from voronka.contacts.tests.factories import CompanyFactory, ContactFactory
from voronka.sales.models import DealContact, StageKind
from voronka.sales.tests.factories import DealFactory, PipelineFactory

pytestmark = pytest.mark.django_db


def won_deal(responsible, **kwargs):
    pipeline = PipelineFactory.with_stages()
    return DealFactory(
        pipeline=pipeline,
        stage=pipeline.stages.get(kind=StageKind.WON),
        responsible=responsible,
        amount=Decimal("1000"),
        **kwargs,
    )


def block(response) -> str:
    html = response.content.decode()
    start = html.index('id="section-client-value"')
    return html[start : html.index("</section>", start)]


def test_contact_card_shows_the_client_value(client, manager):
    contact = ContactFactory(
        responsible=manager,
        ltv=Decimal("125000"),
        ltv_segment="A",
        last_contact_at=timezone.now() - datetime.timedelta(days=3),
    )
    for _ in range(2):
        DealContact.objects.create(deal=won_deal(manager), contact=contact)
    client.force_login(manager)

    html = block(client.get(reverse("contacts:contact_detail", args=[contact.pk])))

    assert "Client value" in html
    assert "125,000.00" in html
    assert 'class="badge segment-a"' in html
    assert "3\xa0days ago" in html or "3 days ago" in html
    assert "<dd>2</dd>" in html


def test_company_card_counts_only_the_won_deals_the_employee_sees(client, manager, other_manager):
    company = CompanyFactory(responsible=manager, ltv=Decimal("2000"))
    won_deal(manager, company=company)
    won_deal(other_manager, company=company)
    client.force_login(manager)

    html = block(client.get(reverse("contacts:company_detail", args=[company.pk])))

    assert "<dd>1</dd>" in html
    assert "none yet" in html


def test_hidden_ltv_is_not_shown(client, manager):
    role = role_with(
        (Entity.CONTACT, Action.READ, Scope.OWN),
        (Entity.DEAL, Action.READ, Scope.OWN),
        members=[manager],
    )
    FieldRule.objects.create(
        role=role, entity=Entity.CONTACT, field="ltv", access=FieldAccess.HIDDEN
    )
    contact = ContactFactory(responsible=manager, ltv=Decimal("777"), ltv_segment="A")
    client.force_login(manager)

    html = block(client.get(reverse("contacts:contact_detail", args=[contact.pk])))

    assert "777" not in html and "segment-a" not in html
    assert "Won deals" in html


def test_card_of_another_department_is_404(client, manager, other_manager):
    contact = ContactFactory(responsible=other_manager, ltv=Decimal("5"))
    client.force_login(manager)

    assert client.get(reverse("contacts:contact_detail", args=[contact.pk])).status_code == 404
