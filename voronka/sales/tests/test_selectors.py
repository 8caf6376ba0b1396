import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from voronka.contacts.models import Communication
from voronka.contacts.tests.factories import CompanyFactory, ContactFactory
from voronka.sales.models import Deal, DealContact, Lead, PipelineEntity
from voronka.sales.selectors import (
    deal_board,
    deal_list,
    lead_board,
    lead_list,
    pipelines_summary,
)
from voronka.sales.selectors.boards import (
    board_cursor,
    deal_column_page,
    lead_column_page,
    parse_board_cursor,
)
from voronka.sales.selectors.lists import primary_contact
from voronka.sales.tests.factories import PipelineFactory, stage_of
from voronka.timeline.models import Activity, ActivityKind

pytestmark = pytest.mark.django_db


def make_deals(count, *, pipeline, responsible, stage_code="new", **values):
    stage = stage_of(pipeline, stage_code)
    return Deal.objects.bulk_create(
        Deal(
            title=f"Сделка {number}",
            pipeline=pipeline,
            stage=stage,
            responsible=responsible,
            amount=Decimal("100.00"),
            **values,
        )
        for number in range(count)
    )


def make_leads(count, *, stage, responsible):
    leads = Lead.objects.bulk_create(
        Lead(title=f"Лид {number}", stage=stage, responsible=responsible, amount=Decimal(10))
        for number in range(count)
    )
    lead_type = ContentType.objects.get_for_model(Lead)
    Communication.objects.bulk_create(
        Communication(
            card_type=lead_type,
            card_id=lead.pk,
            kind="phone",
            value=f"+7912{lead.pk:07d}",
            value_normalized=f"+7912{lead.pk:07d}",
        )
        for lead in leads
    )
    return leads


def with_contacts(deals):
    contact_type = ContentType.objects.get_for_model(ContactFactory._meta.model)
    for deal in deals:
        contact = ContactFactory(responsible=deal.responsible)
        DealContact.objects.create(deal=deal, contact=contact, is_primary=True)
        DealContact.objects.create(deal=deal, contact=ContactFactory(responsible=deal.responsible))
        Communication.objects.create(
            card_type=contact_type,
            card_id=contact.pk,
            kind="email",
            value=f"c{contact.pk}@example.ru",
            value_normalized=f"c{contact.pk}@example.ru",
        )


@pytest.mark.parametrize("count", [3, 50])
def test_deal_list_costs_three_queries_whatever_the_row_count(
    manager, count, django_assert_num_queries
):
    pipeline = PipelineFactory.with_stages()
    company = CompanyFactory()
    deals = make_deals(count, pipeline=pipeline, responsible=manager, company=company)
    with_contacts(deals)

    # the user's rights, the deals, the primary contacts with their communications
    with django_assert_num_queries(4):
        rows = deal_list(user=manager, pipeline=pipeline)
        for deal in rows:
            str(deal.stage), str(deal.responsible), str(deal.company), str(deal.pipeline)
            assert primary_contact(deal) is not None
            [email] = primary_contact(deal).communications.all()
    assert len(rows) == count
    assert email.kind == "email"


@pytest.mark.parametrize("count", [3, 50])
def test_lead_list_costs_two_queries_whatever_the_row_count(
    manager, count, django_assert_num_queries
):
    pipeline = PipelineFactory.with_stages(entity=PipelineEntity.LEAD)
    make_leads(count, stage=stage_of(pipeline, "new"), responsible=manager)

    # the user's rights, the leads, their communications
    with django_assert_num_queries(3):
        rows = lead_list(user=manager, pipeline=pipeline)
        for lead in rows:
            str(lead.stage), str(lead.responsible), lead.company, lead.contact
            assert len(lead.communications.all()) == 1
    assert len(rows) == count


def test_lists_filter_by_stage_and_search(manager):
    pipeline = PipelineFactory.with_stages(entity=PipelineEntity.LEAD)
    leads = make_leads(3, stage=stage_of(pipeline, "new"), responsible=manager)
    Lead.objects.filter(pk=leads[0].pk).update(
        stage=stage_of(pipeline, "in_progress"), company_title="ООО Металлист"
    )
    assert [
        lead.pk for lead in lead_list(user=manager, stage=stage_of(pipeline, "in_progress"))
    ] == [leads[0].pk]
    assert [lead.pk for lead in lead_list(user=manager, search="Металлист")] == [leads[0].pk]
    phone = f"8 912 {leads[1].pk:07d}"
    assert [lead.pk for lead in lead_list(user=manager, search=phone)] == [leads[1].pk]

    deals = make_deals(2, pipeline=PipelineFactory.with_stages(), responsible=manager)
    assert [deal.pk for deal in deal_list(user=manager, search="Сделка 1")] == [deals[1].pk]


def test_search_ignores_the_case_of_cyrillic_on_every_database(manager):
    pipeline = PipelineFactory.with_stages(entity=PipelineEntity.LEAD)
    leads = make_leads(2, stage=stage_of(pipeline, "new"), responsible=manager)
    Lead.objects.filter(pk=leads[0].pk).update(company_title="ООО Металлист")

    assert [lead.pk for lead in lead_list(user=manager, search="металлист")] == [leads[0].pk]
    assert [lead.pk for lead in lead_list(user=manager, search="МЕТАЛЛИСТ")] == [leads[0].pk]


def test_lists_leave_out_the_recycle_bin(manager):
    deals = make_deals(2, pipeline=PipelineFactory.with_stages(), responsible=manager)
    Deal.objects.filter(pk=deals[0].pk).update(deleted_at="2026-01-01T00:00:00Z")
    assert [deal.pk for deal in deal_list(user=manager)] == [deals[1].pk]


def add_activity(card, *, deadline=None, completed_at=None, subject="Позвонить"):
    return Activity.objects.create(
        card_type=ContentType.objects.get_for_model(card),
        card_id=card.pk,
        kind=ActivityKind.CALL,
        subject=subject,
        deadline=deadline,
        completed_at=completed_at,
        responsible=card.responsible,
    )


@pytest.mark.parametrize("count", [3, 150])
def test_deal_board_is_five_queries_whatever_the_number_of_deals(
    manager, count, django_assert_num_queries
):
    pipeline = PipelineFactory.with_stages()
    company = CompanyFactory()
    new = make_deals(count, pipeline=pipeline, responsible=manager, company=company)
    with_contacts(new[-3:])
    for deal in new[-3:]:
        add_activity(deal, deadline=timezone.now() - datetime.timedelta(hours=2))
    make_deals(120, pipeline=pipeline, responsible=manager, stage_code="in_progress")
    make_deals(5, pipeline=pipeline, responsible=manager, stage_code="won", currency="USD")
    make_deals(3, pipeline=PipelineFactory.with_stages(), responsible=manager)

    # rights, field rules (a hidden amount), stages, totals, cards, contacts, activities
    with django_assert_num_queries(7):
        columns = deal_board(user=manager, pipeline=pipeline, per_stage=20)
        for column in columns:
            for deal in column.cards:
                str(deal.responsible), str(deal.company), deal.primary_contact
                assert deal.next_activity is None or deal.next_activity.subject

    by_code = {column.stage.code: column for column in columns}
    assert [column.stage.code for column in columns] == ["new", "in_progress", "won", "lost"]
    assert (by_code["new"].count, len(by_code["new"].cards)) == (count, min(count, 20))
    assert by_code["new"].sums == {"RUB": Decimal(100 * count).quantize(Decimal("0.01"))}
    assert (by_code["in_progress"].count, len(by_code["in_progress"].cards)) == (120, 20)
    assert by_code["won"].sums == {"USD": Decimal("500.00")}
    assert (by_code["lost"].count, by_code["lost"].cards, by_code["lost"].sums) == (0, [], {})
    newest = by_code["new"].cards[0]
    assert newest.primary_contact is not None
    assert newest.next_activity.is_overdue


def test_board_cards_are_the_newest_first(manager):
    pipeline = PipelineFactory.with_stages()
    deals = make_deals(30, pipeline=pipeline, responsible=manager)
    [column, *_] = deal_board(user=manager, pipeline=pipeline, per_stage=5)
    # Equal creation times fall back to the newest id.
    expected = sorted(deals, key=lambda deal: (deal.created_at, deal.pk), reverse=True)[:5]
    assert [deal.pk for deal in column.cards] == [deal.pk for deal in expected]


def test_lead_board_is_four_queries(manager, django_assert_num_queries):
    pipeline = PipelineFactory.with_stages(entity=PipelineEntity.LEAD)
    leads = make_leads(200, stage=stage_of(pipeline, "new"), responsible=manager)
    Lead.objects.filter(pk=leads[-1].pk).update(
        contact=ContactFactory(responsible=manager), company=CompanyFactory(responsible=manager)
    )
    # rights, field rules, stages, totals, cards, activities
    with django_assert_num_queries(6):
        columns = lead_board(user=manager, pipeline=pipeline, per_stage=10)
        for column in columns:
            for lead in column.cards:
                str(lead.responsible), str(lead.contact), str(lead.company), lead.next_activity
    assert (columns[0].count, len(columns[0].cards)) == (200, 10)
    assert columns[0].sums == {"RUB": Decimal("2000.00")}
    assert columns[0].cards[0].contact is not None


def test_board_counts_and_sums_are_of_the_filtered_cards(manager, other_manager):
    pipeline = PipelineFactory.with_stages()
    make_deals(7, pipeline=pipeline, responsible=manager)
    make_deals(4, pipeline=pipeline, responsible=other_manager)
    cards = Deal.objects.filter(responsible=other_manager)
    [new, *_] = deal_board(user=manager, pipeline=pipeline, cards=cards)
    assert (new.count, len(new.cards), new.sums) == (4, 4, {"RUB": Decimal("400.00")})
    assert {deal.responsible_id for deal in new.cards} == {other_manager.pk}


def test_next_activity_is_the_nearest_open_deadline(manager):
    pipeline = PipelineFactory.with_stages()
    [deal] = make_deals(1, pipeline=pipeline, responsible=manager)
    now = timezone.now()
    add_activity(deal, deadline=None, subject="Без срока")
    add_activity(deal, deadline=now + datetime.timedelta(days=3), subject="Позже")
    add_activity(deal, deadline=now + datetime.timedelta(days=1), subject="Скоро")
    add_activity(deal, deadline=now - datetime.timedelta(days=1), completed_at=now, subject="Было")
    [column, *_] = deal_board(user=manager, pipeline=pipeline)
    assert column.cards[0].next_activity.subject == "Скоро"
    assert not column.cards[0].next_activity.is_overdue


def test_column_pages_follow_each_other_without_gaps_or_repeats(manager, django_assert_num_queries):
    pipeline = PipelineFactory.with_stages()
    deals = make_deals(45, pipeline=pipeline, responsible=manager)
    # Several cards created in the same microsecond are ordered by id.
    Deal.objects.filter(pk__in=[deal.pk for deal in deals[10:30]]).update(
        created_at=deals[10].created_at
    )
    [column, *_] = deal_board(user=manager, pipeline=pipeline)
    seen = [deal.pk for deal in column.cards]
    after = board_cursor(column.cards[-1])
    while after:
        with django_assert_num_queries(3):
            page = deal_column_page(user=manager, stage=column.stage, after=after)
        seen += [deal.pk for deal in page.cards]
        after = page.next_after
    expected = Deal.objects.filter(stage=column.stage).order_by("-created_at", "-pk")
    assert seen == list(expected.values_list("pk", flat=True))
    assert len(seen) == 45


def test_a_malformed_cursor_starts_the_column_from_the_top(manager):
    pipeline = PipelineFactory.with_stages(entity=PipelineEntity.LEAD)
    make_leads(3, stage=stage_of(pipeline, "new"), responsible=manager)
    page = lead_column_page(user=manager, stage=stage_of(pipeline, "new"), after="junk_x")
    assert len(page.cards) == 3
    assert page.next_after is None
    assert parse_board_cursor("99999999999999999999999_1") is None


def test_pipelines_summary_is_four_queries_whatever_the_pipeline_count(
    manager, django_assert_num_queries
):
    lead_pipeline = PipelineFactory.with_stages(entity=PipelineEntity.LEAD)
    make_leads(4, stage=stage_of(lead_pipeline, "new"), responsible=manager)
    deal_pipelines = [PipelineFactory.with_stages() for _ in range(3)]
    for pipeline in deal_pipelines:
        make_deals(2, pipeline=pipeline, responsible=manager, stage_code="in_progress")

    # rights, field rules, pipelines, stages, lead and deal totals
    with django_assert_num_queries(6):
        summaries = pipelines_summary(user=manager)

    assert [summary.pipeline for summary in summaries] == [lead_pipeline, *deal_pipelines]
    assert summaries[0].columns[0].count == 4
    assert [column.count for column in summaries[1].columns] == [0, 2, 0, 0]
    assert summaries[1].columns[1].sums == {"RUB": Decimal("200.00")}


def test_one_pass_reads_the_same_columns_as_the_stage_index(manager, other_manager):
    pipeline = PipelineFactory.with_stages()
    make_deals(30, pipeline=pipeline, responsible=manager)
    make_deals(25, pipeline=pipeline, responsible=other_manager, stage_code="in_progress")
    cards = Deal.objects.filter(title__contains="1")

    def shape(columns):
        return [(c.stage.pk, c.count, c.sums, [d.pk for d in c.cards]) for c in columns]

    by_index = deal_board(user=manager, pipeline=pipeline, cards=cards)
    one_pass = deal_board(user=manager, pipeline=pipeline, cards=cards, one_pass=True)
    assert shape(by_index) == shape(one_pass)
    assert by_index[0].count == len([n for n in range(30) if "1" in str(n)])
