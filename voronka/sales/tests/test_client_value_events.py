"""LTV and last interaction follow deals and feeds in the transaction that changes them."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.utils import timezone

from voronka.contacts.models import Company, Contact
from voronka.contacts.tests.factories import CompanyFactory, ContactFactory
from voronka.sales.services import deals as deal_services
from voronka.sales.services import stages as stage_services
from voronka.sales.tests.factories import LossReasonFactory, PipelineFactory, stage_of
from voronka.timeline.models import ActivityKind
from voronka.timeline.services import activity_complete, activity_create, comment_add

pytestmark = pytest.mark.django_db


@pytest.fixture
def pipeline():
    return PipelineFactory.with_stages(is_default=True)


@pytest.fixture
def company(manager):
    return CompanyFactory(responsible=manager, title="ООО Ромашка")


@pytest.fixture
def contact(manager):
    return ContactFactory(responsible=manager, last_name="Иванов")


def ltv(card) -> Decimal:
    return type(card).all_objects.get(pk=card.pk).ltv


def new_deal(actor, pipeline, *, amount="1000.00", company=None, contacts=(), **data):
    return deal_services.deal_create(
        actor=actor,
        data={
            "title": "Поставка",
            "pipeline": pipeline,
            "amount": Decimal(amount),
            "company": company,
            **data,
        },
        contacts=list(contacts),
    )


def win(actor, deal):
    return stage_services.deal_close_won(actor=actor, deal=deal)


def test_open_deal_adds_nothing(manager, pipeline, company, contact):
    new_deal(manager, pipeline, company=company, contacts=[contact])

    assert ltv(company) == 0
    assert ltv(contact) == 0


def test_win_adds_the_amount_to_company_and_contacts(manager, pipeline, company, contact):
    deal = new_deal(manager, pipeline, company=company, contacts=[contact])
    other = new_deal(manager, pipeline, amount="250.50", company=company)

    win(manager, deal)
    win(manager, other)

    assert ltv(company) == Decimal("1250.50")
    assert ltv(contact) == Decimal("1000.00")


def test_deal_created_won_counts(manager, pipeline, company):
    new_deal(manager, pipeline, company=company, stage=stage_of(pipeline, "won"))

    assert ltv(company) == Decimal("1000.00")


def test_amount_edit_of_a_won_deal_changes_ltv(manager, pipeline, company, contact):
    deal = win(manager, new_deal(manager, pipeline, company=company, contacts=[contact]))

    deal_services.deal_update(actor=manager, deal=deal, data={"amount": Decimal("1500")})

    assert ltv(company) == Decimal("1500.00")
    assert ltv(contact) == Decimal("1500.00")


def test_company_change_moves_the_value(manager, pipeline, company):
    other = CompanyFactory(responsible=manager, title="ООО Лютик")
    deal = win(manager, new_deal(manager, pipeline, company=company))

    deal_services.deal_update(actor=manager, deal=deal, data={"company": other})

    assert ltv(company) == 0
    assert ltv(other) == Decimal("1000.00")


def test_company_change_with_amount_change(manager, pipeline, company):
    other = CompanyFactory(responsible=manager)
    keeps = win(manager, new_deal(manager, pipeline, amount="300", company=company))
    deal = win(manager, new_deal(manager, pipeline, company=company))

    deal_services.deal_update(
        actor=manager, deal=deal, data={"company": other, "amount": Decimal("700")}
    )

    assert keeps.company_id == company.pk
    assert ltv(company) == Decimal("300.00")
    assert ltv(other) == Decimal("700.00")


def test_unlinked_contact_loses_the_value(manager, pipeline, contact):
    stays = ContactFactory(responsible=manager, last_name="Петров")
    deal = win(manager, new_deal(manager, pipeline, contacts=[contact, stays]))

    deal_services.deal_update(actor=manager, deal=deal, data={}, contacts=[stays])

    assert ltv(contact) == 0
    assert ltv(stays) == Decimal("1000.00")


def test_reopen_takes_the_value_back(manager, pipeline, company, contact):
    deal = win(manager, new_deal(manager, pipeline, company=company, contacts=[contact]))

    stage_services.deal_move_to_stage(
        actor=manager, deal=deal, stage=stage_of(pipeline, "in_progress")
    )

    assert ltv(company) == 0
    assert ltv(contact) == 0


def test_reopen_and_unlink_in_one_step(manager, pipeline, contact):
    stays = ContactFactory(responsible=manager)
    deal = win(manager, new_deal(manager, pipeline, contacts=[contact, stays]))

    stage_services.deal_move_to_stage(
        actor=manager,
        deal=deal,
        stage=stage_of(pipeline, "in_progress"),
        data={"contacts": [stays]},
    )

    assert ltv(contact) == 0
    assert ltv(stays) == 0


def test_delete_and_restore_of_a_won_deal(manager, pipeline, company):
    deal = win(manager, new_deal(manager, pipeline, company=company))

    deal_services.deal_delete(actor=manager, deal=deal)
    assert ltv(company) == 0

    deal_services.deal_restore(actor=manager, deal=deal)
    assert ltv(company) == Decimal("1000.00")


def test_other_currency_does_not_count(manager, pipeline, company, settings):
    deal = win(manager, new_deal(manager, pipeline, company=company, currency="USD"))
    assert ltv(company) == 0

    deal_services.deal_update(actor=manager, deal=deal, data={"currency": "RUB"})
    assert ltv(company) == Decimal("1000.00")

    deal_services.deal_update(actor=manager, deal=deal, data={"currency": "EUR"})
    assert ltv(company) == 0


def test_lost_deal_does_not_count(manager, pipeline, company):
    deal = new_deal(manager, pipeline, company=company)

    stage_services.deal_close_lost(actor=manager, deal=deal, loss_reason=LossReasonFactory())

    assert ltv(company) == 0


def test_failed_change_leaves_ltv_as_it_was(manager, pipeline, company, other_manager):
    deal = win(manager, new_deal(manager, pipeline, company=company))

    with pytest.raises(PermissionDenied):
        deal_services.deal_update(actor=other_manager, deal=deal, data={"amount": Decimal("5")})

    assert ltv(company) == Decimal("1000.00")


def test_recompute_command_repairs_existing_data(manager, pipeline, company, contact):
    win(manager, new_deal(manager, pipeline, company=company, contacts=[contact]))
    Company.objects.update(ltv=0)
    Contact.objects.update(ltv=Decimal("99"))

    call_command("recompute_client_value", "--no-segments", stdout=io.StringIO())

    assert ltv(company) == Decimal("1000.00")
    assert ltv(contact) == Decimal("1000.00")


# ---- Last interaction --------------------------------------------------------------------------


def last(card):
    return type(card).all_objects.get(pk=card.pk).last_contact_at


def test_call_on_the_contact_moves_its_last_interaction(manager, contact):
    before = timezone.now()

    activity_create(
        actor=manager, card=contact, kind=ActivityKind.CALL, subject="Звонок", responsible=manager
    )

    assert last(contact) >= before


def test_planned_call_counts_once_done(manager, contact):
    later = timezone.now() + datetime.timedelta(days=2)
    activity = activity_create(
        actor=manager,
        card=contact,
        kind=ActivityKind.MEETING,
        subject="Встреча",
        responsible=manager,
        deadline=later,
    )
    assert last(contact) is None

    activity_complete(actor=manager, activity=activity, result="Договорились")

    assert last(contact) is not None


def test_to_do_is_not_an_interaction(manager, contact):
    activity_create(
        actor=manager, card=contact, kind=ActivityKind.TO_DO, subject="Дело", responsible=manager
    )

    assert last(contact) is None


def test_comment_on_a_deal_moves_its_clients(manager, pipeline, company, contact):
    deal = new_deal(manager, pipeline, company=company, contacts=[contact])

    comment_add(actor=manager, card=deal, text="Клиент перезвонил")

    assert last(company) is not None
    assert last(contact) is not None


def test_last_interaction_never_moves_back(manager, contact):
    future = timezone.now() + datetime.timedelta(days=10)
    Contact.objects.filter(pk=contact.pk).update(last_contact_at=future)

    comment_add(actor=manager, card=contact, text="Заметка")

    assert last(contact) == future


def test_comment_on_a_lead_moves_its_contact(manager, contact):
    from voronka.sales.tests.factories import LeadFactory

    lead = LeadFactory(responsible=manager, contact=contact)

    comment_add(actor=manager, card=lead, text="Позвонить завтра")

    assert last(contact) is not None


def test_recompute_command_reads_last_interactions_from_the_feeds(manager, pipeline, contact):
    from django.contrib.contenttypes.models import ContentType

    from voronka.timeline.models import Activity, EntryKind, TimelineEntry

    company = CompanyFactory(responsible=manager)
    deal = new_deal(manager, pipeline, company=company, contacts=[contact])
    then = timezone.now() - datetime.timedelta(days=5)
    later = timezone.now() - datetime.timedelta(days=1)
    TimelineEntry.objects.create(
        card_type=ContentType.objects.get_for_model(deal),
        card_id=deal.pk,
        kind=EntryKind.COMMENT,
        text="Старый комментарий",
        created_at=then,
    )
    Activity.objects.create(
        card_type=ContentType.objects.get_for_model(contact),
        card_id=contact.pk,
        kind=ActivityKind.CALL,
        subject="Звонок",
        responsible=manager,
        created_at=later,
    )
    Activity.objects.create(
        card_type=ContentType.objects.get_for_model(company),
        card_id=company.pk,
        kind=ActivityKind.MEETING,
        subject="Встреча через неделю",
        responsible=manager,
        deadline=timezone.now() + datetime.timedelta(days=7),
    )
    Contact.objects.update(last_contact_at=None)
    Company.objects.update(last_contact_at=None)

    call_command("recompute_client_value", stdout=io.StringIO())

    assert last(contact) == later
    assert last(company) == then
