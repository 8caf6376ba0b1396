import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.test import RequestFactory
from django.utils import timezone

from voronka.contacts.models import Communication, Company, Contact
from voronka.contacts.tests.factories import CompanyFactory, ContactFactory
from voronka.customization.models import CustomField, EntityType, FieldType
from voronka.sales.filtersets import DealFilterSet, LeadFilterSet
from voronka.sales.models import Deal, DealContact, Lead, PipelineEntity
from voronka.sales.tests.factories import (
    DealFactory,
    LeadFactory,
    PipelineFactory,
    SourceFactory,
    stage_of,
)
from voronka.timeline.models import Activity, ActivityKind

pytestmark = pytest.mark.django_db


def request_of(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def deals(data, user=None, **kwargs):
    filterset = DealFilterSet(data, queryset=Deal.objects.all(), request=request_of(user), **kwargs)
    assert filterset.is_valid(), filterset.errors
    return sorted(deal.pk for deal in filterset.qs)


def leads(data, user=None):
    filterset = LeadFilterSet(data, queryset=Lead.objects.all(), request=request_of(user))
    assert filterset.is_valid(), filterset.errors
    return sorted(lead.pk for lead in filterset.qs)


@pytest.fixture
def pipeline(db):
    return PipelineFactory.with_stages()


def deal(pipeline, **values):
    values.setdefault("stage", stage_of(pipeline, "new"))
    return DealFactory(pipeline=pipeline, **values)


def communication(card, kind, value, normalized):
    return Communication.objects.create(
        card_type=ContentType.objects.get_for_model(card),
        card_id=card.pk,
        kind=kind,
        value=value,
        value_normalized=normalized,
    )


def test_responsible_takes_several_people(pipeline, manager, other_manager, head):
    first = deal(pipeline, responsible=manager)
    second = deal(pipeline, responsible=other_manager)
    deal(pipeline, responsible=head)
    assert deals({"responsible": [manager.pk, other_manager.pk]}) == [first.pk, second.pk]


def test_source_takes_several_sources(pipeline, manager):
    site, call, mail = SourceFactory(), SourceFactory(), SourceFactory()
    first = deal(pipeline, responsible=manager, source=site)
    second = deal(pipeline, responsible=manager, source=call)
    deal(pipeline, responsible=manager, source=mail)
    deal(pipeline, responsible=manager)
    assert deals({"source": [site.pk, call.pk]}) == [first.pk, second.pk]


def test_stage_takes_several_stages_of_the_pipeline(pipeline, manager):
    new = deal(pipeline, responsible=manager)
    progress = deal(pipeline, responsible=manager, stage=stage_of(pipeline, "in_progress"))
    deal(pipeline, responsible=manager, stage=stage_of(pipeline, "won"))
    data = {"stage": [stage_of(pipeline, "new").pk, stage_of(pipeline, "in_progress").pk]}
    assert deals(data, pipeline=pipeline) == [new.pk, progress.pk]


def test_a_stage_of_another_pipeline_is_a_form_error(pipeline, manager):
    other = PipelineFactory.with_stages()
    filterset = DealFilterSet(
        {"stage": [stage_of(other, "new").pk]}, queryset=Deal.objects.all(), pipeline=pipeline
    )
    assert not filterset.is_valid()
    assert "stage" in filterset.errors


def test_created_and_closed_date_ranges(pipeline, manager):
    moscow = timezone.get_current_timezone()
    old = deal(
        pipeline,
        responsible=manager,
        created_at=datetime.datetime(2026, 1, 10, 12, tzinfo=moscow),
        closed_at=datetime.datetime(2026, 3, 1, 0, 30, tzinfo=moscow),
    )
    new = deal(
        pipeline,
        responsible=manager,
        created_at=datetime.datetime(2026, 2, 28, 23, 30, tzinfo=moscow),
    )
    assert deals({"created_after": "2026-02-01", "created_before": "2026-02-28"}) == [new.pk]
    assert deals({"created_before": "2026-01-31"}) == [old.pk]
    # A whole day in the user's time zone, midnight to midnight.
    assert deals({"closed_after": "2026-03-01", "closed_before": "2026-03-01"}) == [old.pk]


def test_amount_range(pipeline, manager):
    cheap = deal(pipeline, responsible=manager, amount=Decimal("500.00"))
    middle = deal(pipeline, responsible=manager, amount=Decimal("12500.00"))
    deal(pipeline, responsible=manager, amount=Decimal("900000.00"))
    assert deals({"amount_min": "1000", "amount_max": "20000"}) == [middle.pk]
    assert deals({"amount_max": "12500"}) == [cheap.pk, middle.pk]


def test_mine_is_the_requesting_users_cards(pipeline, manager, other_manager):
    own = deal(pipeline, responsible=manager)
    deal(pipeline, responsible=other_manager)
    assert deals({"mine": "1"}, user=manager) == [own.pk]
    assert len(deals({}, user=manager)) == 2


def test_overdue_is_an_open_activity_past_its_deadline(pipeline, manager):
    late, on_time, done, plain = (deal(pipeline, responsible=manager) for _ in range(4))
    deal_type = ContentType.objects.get_for_model(Deal)
    now = timezone.now()
    for card, deadline, completed in (
        (late, now - datetime.timedelta(hours=1), None),
        (on_time, now + datetime.timedelta(days=1), None),
        (done, now - datetime.timedelta(days=1), now),
    ):
        Activity.objects.create(
            card_type=deal_type,
            card_id=card.pk,
            kind=ActivityKind.CALL,
            subject="Позвонить",
            deadline=deadline,
            completed_at=completed,
            responsible=manager,
        )
    # An overdue activity of a lead with the same id must not count for the deal.
    Activity.objects.create(
        card_type=ContentType.objects.get_for_model(Lead),
        card_id=plain.pk,
        kind=ActivityKind.CALL,
        subject="Позвонить",
        deadline=now - datetime.timedelta(days=2),
        responsible=manager,
    )
    assert deals({"overdue": "on"}) == [late.pk]
    assert len(deals({"overdue": ""})) == 4


def custom_field(code, field_type, entity=EntityType.DEAL, **values):
    return CustomField.objects.create(
        entity=entity, code=code, label=code.title(), field_type=field_type, **values
    )


def test_custom_field_filters_by_type(pipeline, manager):
    custom_field("brand", FieldType.STRING)
    custom_field("floors", FieldType.INTEGER)
    custom_field("budget", FieldType.MONEY)
    custom_field("visit", FieldType.DATE)
    custom_field(
        "region",
        FieldType.LIST,
        options=[{"id": "msk", "label": "Москва"}, {"id": "spb", "label": "Петербург"}],
    )
    custom_field("vip", FieldType.BOOLEAN)
    first = deal(
        pipeline,
        responsible=manager,
        custom_fields={
            "brand": "Газпромнефть",
            "floors": 12,
            "budget": {"amount": "150000.00", "currency": "RUB"},
            "visit": "2026-11-20",
            "region": "msk",
            "vip": True,
        },
    )
    second = deal(
        pipeline,
        responsible=manager,
        custom_fields={
            "brand": "Лукойл",
            "floors": 3,
            "budget": {"amount": "9000.00", "currency": "RUB"},
            "visit": "2026-12-01",
            "region": "spb",
            "vip": False,
        },
    )
    third = deal(pipeline, responsible=manager)

    assert deals({"cf_brand": "газпром"}) == [first.pk]
    assert deals({"cf_floors_min": "5"}) == [first.pk]
    assert deals({"cf_floors_max": "5"}) == [second.pk]
    assert deals({"cf_budget_min": "10000", "cf_budget_max": "200000"}) == [first.pk]
    assert deals({"cf_visit_after": "2026-11-25"}) == [second.pk]
    assert deals({"cf_visit_before": "2026-11-20"}) == [first.pk]
    assert deals({"cf_region": "spb"}) == [second.pk]
    assert deals({"cf_vip": "true"}) == [first.pk]
    assert deals({"cf_vip": "false"}) == [second.pk, third.pk]


def test_custom_filters_come_only_from_active_fields_of_the_entity(manager):
    custom_field("brand", FieldType.STRING)
    custom_field("old", FieldType.STRING, is_active=False)
    custom_field("lead_only", FieldType.STRING, entity=EntityType.LEAD)
    assert "cf_brand" in DealFilterSet().filters
    assert "cf_old" not in DealFilterSet().filters
    assert "cf_lead_only" not in DealFilterSet().filters
    assert "cf_lead_only" in LeadFilterSet().filters


def test_custom_list_choice_outside_the_options_is_a_form_error(manager):
    custom_field("region", FieldType.LIST, options=[{"id": "msk", "label": "Москва"}])
    filterset = DealFilterSet({"cf_region": "nowhere"}, queryset=Deal.objects.all())
    assert not filterset.is_valid()
    assert "cf_region" in filterset.errors


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"responsible": ["abc"]}, "responsible"),
        ({"responsible": ["999999"]}, "responsible"),
        ({"amount_min": "много"}, "amount"),
        ({"created_after": "31.02.2026"}, "created"),
        ({"q": "x" * 500}, "q"),
    ],
)
def test_bad_values_are_form_errors_naming_the_field(manager, data, field):
    filterset = DealFilterSet(data, queryset=Deal.objects.all(), request=request_of(manager))
    assert not filterset.is_valid()
    assert field in filterset.errors
    list(filterset.qs)  # never a server error


def test_deal_search_by_title_company_contact_name_phone_email_and_inn(pipeline, manager):
    company = CompanyFactory(title="ООО «Металлист»")
    by_company = deal(pipeline, responsible=manager, company=company)
    by_title = deal(pipeline, responsible=manager, title="Монтаж вентиляции")
    by_contact = deal(pipeline, responsible=manager)
    contact = ContactFactory(last_name="Щербакова", first_name="Анна")
    DealContact.objects.create(deal=by_contact, contact=contact, is_primary=True)
    second = ContactFactory(last_name="Щербаков")
    DealContact.objects.create(deal=by_contact, contact=second)
    communication(contact, "phone", "+7 912 345-67-89", "+79123456789")
    communication(contact, "email", "Anna@Example.ru", "anna@example.ru")
    by_company_phone = deal(pipeline, responsible=manager, company=CompanyFactory())
    communication(by_company_phone.company, "phone", "+7 495 123-45-67", "+74951234567")
    deal(pipeline, responsible=manager)

    assert deals({"q": "вентиляц"}) == [by_title.pk]
    assert deals({"q": "металлист"}) == [by_company.pk]
    # Two matching contacts still give the deal once.
    assert deals({"q": "щербаков"}) == [by_contact.pk]
    assert deals({"q": "8 (912) 345 67 89"}) == [by_contact.pk]
    assert deals({"q": "ANNA@example.RU"}) == [by_contact.pk]
    assert deals({"q": "8 495 1234567"}) == [by_company_phone.pk]
    assert deals({"q": company.inn}) == [by_company.pk]


def test_lead_search_by_names_phone_email_and_inn(manager):
    pipeline = PipelineFactory.with_stages(entity=PipelineEntity.LEAD)
    stage = stage_of(pipeline, "new")
    named = LeadFactory(stage=stage, responsible=manager, last_name="Кузнецова", first_name="Ольга")
    phoned = LeadFactory(stage=stage, responsible=manager, last_name="", first_name="")
    communication(phoned, "phone", "8-912-000-11-22", "+79120001122")
    mailed = LeadFactory(stage=stage, responsible=manager, last_name="", first_name="")
    communication(mailed, "email", "olga@firma.ru", "olga@firma.ru")
    company = CompanyFactory(title="ЗАО «Водоканал»")
    with_company = LeadFactory(stage=stage, responsible=manager, company=company)
    titled = LeadFactory(stage=stage, responsible=manager, company_title="ИП Сидоров")
    contact = ContactFactory()
    with_contact = LeadFactory(stage=stage, responsible=manager, contact=contact)
    communication(contact, "phone", "+7 903 111-22-33", "+79031112233")

    assert leads({"q": "кузнецова"}) == [named.pk]
    assert leads({"q": "+7 (912) 000-11-22"}) == [phoned.pk]
    assert leads({"q": "OLGA@FIRMA.RU"}) == [mailed.pk]
    assert leads({"q": company.inn}) == [with_company.pk]
    assert leads({"q": "водоканал"}) == [with_company.pk]
    assert leads({"q": "сидоров"}) == [titled.pk]
    assert leads({"q": "89031112233"}) == [with_contact.pk]


def test_search_is_one_query_whatever_the_number_of_matches(
    pipeline, manager, django_assert_num_queries
):
    contact_type = ContentType.objects.get_for_model(Contact)
    ContentType.objects.get_for_model(Company)
    for _ in range(5):
        card = deal(pipeline, responsible=manager)
        contact = ContactFactory()
        DealContact.objects.create(deal=card, contact=contact, is_primary=True)
        Communication.objects.create(
            card_type=contact_type,
            card_id=contact.pk,
            kind="phone",
            value="+79123456789",
            value_normalized="+79123456789",
        )
    filterset = DealFilterSet({"q": "89123456789"}, queryset=Deal.objects.all())
    filterset.is_valid()
    with django_assert_num_queries(1):
        assert len(list(filterset.qs)) == 5


def test_filtersets_work_unbound_and_mine_is_ignored_without_a_user(pipeline, manager):
    card = deal(pipeline, responsible=manager)
    assert len(DealFilterSet(queryset=Deal.objects.all()).qs) == 1
    assert deals({"mine": "1"}, user=AnonymousUser()) == [card.pk]


def test_active_count_counts_only_filters_holding_a_value(pipeline, manager):
    # A plain quick search (with the empty multi-selects a form sends) counts no filter.
    plain = DealFilterSet(
        {"q": "Вектор", "responsible": [], "source": [], "stage": []},
        queryset=Deal.objects.all(),
        request=request_of(manager),
        pipeline=pipeline,
    )
    assert plain.active_count == 0
    assert plain.has_values

    filtered = DealFilterSet(
        {"q": "Вектор", "responsible": [manager.pk], "mine": "1", "amount_min": "10"},
        queryset=Deal.objects.all(),
        request=request_of(manager),
        pipeline=pipeline,
    )
    assert filtered.active_count == 3

    empty = LeadFilterSet({}, queryset=Lead.objects.all(), request=request_of(manager))
    assert empty.active_count == 0 and not empty.has_values
