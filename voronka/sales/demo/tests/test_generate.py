"""A small demo run: it makes what it reports and keeps every invariant the services keep."""

import datetime
import itertools
import re
from collections import Counter
from decimal import Decimal

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from voronka.contacts import validators
from voronka.contacts.models import (
    BankAccount,
    Communication,
    CommunicationKind,
    Company,
    CompanyType,
    Contact,
    ContactCompany,
)
from voronka.core.normalization import (
    normalize_email,
    normalize_messenger,
    normalize_phone,
    normalize_url,
)
from voronka.customization.models import CustomField, EntityType, Source
from voronka.customization.validation import clean_custom_fields
from voronka.sales.demo.runner import database_is_empty, generate_demo
from voronka.sales.demo.tests.conftest import NOW, SMALL
from voronka.sales.models import (
    Deal,
    DealContact,
    Lead,
    LossReason,
    Pipeline,
    PipelineEntity,
    Stage,
    StageKind,
    StageTransition,
)
from voronka.sales.services.common import missing_required
from voronka.staff.models import Absence, Department, User
from voronka.timeline.models import Activity, EntryKind, TimelineEntry


def _reported(reports) -> Counter:
    total: Counter = Counter()
    for report in reports:
        total.update(report.counts)
    return total


def test_a_small_run_creates_the_requested_cards_and_reports_every_row(demo):
    assert Lead.all_objects.count() == SMALL.leads
    assert Deal.all_objects.count() == SMALL.deals
    assert Contact.all_objects.count() == SMALL.contacts
    assert Company.all_objects.count() == SMALL.companies
    for label, count in _reported(demo).items():
        assert apps.get_model(label)._base_manager.count() == count, label
    assert not database_is_empty()


def test_the_agency_has_departments_with_heads_and_employees_who_cannot_sign_in(demo):
    names = set(Department.objects.values_list("name", flat=True))
    assert names == {
        "Отдел продаж",
        "Отдел производства",
        "Разработка",
        "Дизайн",
        "Отдел сопровождения",
        "Бухгалтерия",
    }
    assert not Department.objects.filter(head__isnull=True).exists()
    production = Department.objects.get(name="Отдел производства")
    assert set(production.children.values_list("name", flat=True)) == {"Разработка", "Дизайн"}
    employees = list(User.objects.all())
    assert len(employees) == 16
    assert not any(employee.has_usable_password() for employee in employees)
    assert all(employee.hourly_cost_rate > 0 and employee.position for employee in employees)
    today = NOW.date()
    assert Absence.objects.filter(starts_on__lte=today, ends_on__gte=today).count() >= 2


def test_the_head_of_sales_and_an_operator_hold_their_roles(demo):
    from voronka.access.models import Action, Entity, Scope
    from voronka.access.predicates import hidden_fields, scope_for

    head = Department.objects.get(name="Отдел продаж").head
    operator = User.objects.get(access_roles__code="operator")
    others = User.objects.filter(access_roles__isnull=True)

    assert list(head.access_roles.values_list("code", flat=True)) == ["head"]
    assert scope_for(head, Entity.DEAL, Action.READ) == Scope.DEPARTMENT_TREE
    assert operator.department == head.department
    assert "amount" in hidden_fields(operator, Entity.DEAL)
    # Everyone else works as a Manager, the role of employees without one.
    assert others.count() == 14
    assert scope_for(others.first(), Entity.DEAL, Action.READ) == Scope.OWN


def test_catalogues_pipelines_and_stages_are_in_place(demo):
    assert Source.objects.count() == 8
    assert set(LossReason.objects.values_list("name", flat=True)) >= {"Дорого", "Нет бюджета"}
    assert CustomField.objects.filter(code="prepayment_percent", entity=EntityType.DEAL).exists()
    lead_pipeline = Pipeline.objects.get(entity=PipelineEntity.LEAD)
    assert lead_pipeline.is_default
    assert list(lead_pipeline.stages.values_list("name", flat=True)) == [
        "Фиксация обращения",
        "Презентация",
        "Встреча",
        "Коммерческое предложение",
        "Дожим",
        "Сделка",
        "Некачественный лид",
    ]
    deal_pipelines = Pipeline.objects.filter(entity=PipelineEntity.DEAL)
    assert set(deal_pipelines.values_list("name", flat=True)) == {
        "Проекты",
        "Поддержка",
        "Рекламации",
    }
    assert deal_pipelines.get(is_default=True).name == "Проекты"
    for pipeline in Pipeline.objects.all():
        kinds = Counter(pipeline.stages.values_list("kind", flat=True))
        assert kinds[StageKind.WON] == 1 and kinds[StageKind.LOST] == 1
    assert all(
        re.fullmatch(r"[a-z_]+", code) for code in Stage.objects.values_list("code", flat=True)
    )


def _cards():
    return [*Lead.all_objects.select_related("stage"), *Deal.all_objects.select_related("stage")]


def test_stage_history_leads_to_the_current_stage(demo):
    for card in _cards():
        field = "lead" if isinstance(card, Lead) else "deal"
        moves = list(StageTransition.objects.filter(**{field: card}).order_by("moved_at", "pk"))
        assert moves[0].from_stage_id is None
        assert moves[0].moved_at == card.created_at
        for previous, move in itertools.pairwise(moves):
            assert move.from_stage_id == previous.to_stage_id
            assert move.seconds_in_previous == int(
                (move.moved_at - previous.moved_at).total_seconds()
            )
        assert moves[-1].to_stage_id == card.stage_id
        assert card.stage_changed_at == moves[-1].moved_at
        if isinstance(card, Deal):
            assert card.stage.pipeline_id == card.pipeline_id


def test_closed_cards_have_closing_dates_and_lost_ones_a_reason(demo):
    for card in _cards():
        assert (card.closed_at is not None) == card.stage.is_closed
        assert (card.loss_reason_id is not None) == (card.stage.kind == StageKind.LOST)
        assert card.created_at <= NOW
        if card.closed_at:
            assert card.created_at <= card.closed_at <= NOW


def test_every_stage_a_card_entered_had_its_required_fields(demo):
    checked = 0
    for card in _cards():
        field = "lead" if isinstance(card, Lead) else "deal"
        for move in StageTransition.objects.filter(**{field: card}).select_related("to_stage"):
            assert missing_required(card, move.to_stage) == {}, (card.title, move.to_stage.name)
            checked += bool(move.to_stage.required_fields)
    assert checked > 0


def test_amounts_equal_product_rows_when_there_are_rows(demo):
    for card in _cards():
        rows = list(card.product_rows.all())
        assert card.amount_from_products == bool(rows)
        if rows:
            assert card.amount == sum((row.subtotal for row in rows), Decimal("0.00"))
    assert Lead.objects.filter(amount_from_products=True).exists()
    assert Deal.objects.filter(amount_from_products=True).exists()


def test_deals_and_contacts_have_exactly_one_primary_link(demo):
    for deal_id, primaries in Counter(
        DealContact.objects.filter(is_primary=True).values_list("deal_id", flat=True)
    ).items():
        assert primaries == 1, deal_id
    assert set(DealContact.objects.values_list("deal_id", flat=True)) == set(
        DealContact.objects.filter(is_primary=True).values_list("deal_id", flat=True)
    )
    linked = set(ContactCompany.objects.values_list("contact_id", flat=True))
    primary = Counter(
        ContactCompany.objects.filter(is_primary=True).values_list("contact_id", flat=True)
    )
    assert set(primary) == linked and set(primary.values()) == {1}


def test_custom_field_values_pass_validation(demo):
    for entity, model in (
        (EntityType.LEAD, Lead),
        (EntityType.DEAL, Deal),
        (EntityType.CONTACT, Contact),
        (EntityType.COMPANY, Company),
    ):
        values = [v for v in model.all_objects.values_list("custom_fields", flat=True) if v]
        assert values, entity
        for value in values:
            assert clean_custom_fields(entity, value) == value


def test_communications_are_stored_with_their_normalised_form(demo):
    normalizers = {
        CommunicationKind.PHONE: normalize_phone,
        CommunicationKind.EMAIL: normalize_email,
        CommunicationKind.WEB: normalize_url,
        CommunicationKind.MESSENGER: normalize_messenger,
    }
    typed_forms = set()
    for row in Communication.objects.all():
        assert normalizers[row.kind](row.value) == row.value_normalized, row.value
        if row.kind == CommunicationKind.PHONE:
            assert re.fullmatch(r"\+7\d{10}", row.value_normalized)
            typed_forms.add(re.sub(r"\d", "0", row.value))
    assert len(typed_forms) >= 4  # people type phones in many ways


def test_company_requisites_and_bank_accounts_are_valid(demo):
    types = Counter(Company.all_objects.values_list("company_type", flat=True))
    assert set(types) == set(CompanyType.values)
    for company in Company.all_objects.all():
        validators.clean_company_requisites(
            company_type=company.company_type,
            inn=company.inn,
            kpp=company.kpp,
            ogrn=company.ogrn,
        )
        if company.company_type == CompanyType.LEGAL_ENTITY:
            assert len(company.inn) == 10 and len(company.kpp) == 9 and len(company.ogrn) == 13
        if company.company_type == CompanyType.SOLE_PROPRIETOR:
            assert company.title.startswith("ИП ")
            assert len(company.inn) == 12 and not company.kpp and len(company.ogrn) == 15
    accounts = list(BankAccount.objects.all())
    assert accounts
    for account in accounts:
        validators.validate_bic(account.bic)
        validators.validate_settlement_account(account.account_number, bic=account.bic)
        validators.validate_correspondent_account(account.correspondent_account, bic=account.bic)
    primaries = Counter(
        BankAccount.objects.filter(is_primary=True).values_list("company_id", flat=True)
    )
    assert set(primaries.values()) == {1}
    assert set(primaries) == set(BankAccount.objects.values_list("company_id", flat=True))


def test_every_card_has_one_created_entry_and_every_move_a_stage_entry(demo):
    for model in (Lead, Deal, Contact, Company):
        card_type = ContentType.objects.get_for_model(model)
        created = TimelineEntry.objects.filter(card_type=card_type, kind=EntryKind.CREATED)
        assert created.count() == model.all_objects.count()
        assert created.values("card_id").distinct().count() == model.all_objects.count()
    moves = StageTransition.objects.filter(from_stage__isnull=False).count()
    assert TimelineEntry.objects.filter(kind=EntryKind.STAGE_CHANGED).count() == moves
    assert TimelineEntry.objects.filter(kind=EntryKind.COMMENT).exists()


def test_open_cards_have_planned_activities_some_overdue(demo):
    activities = list(Activity.objects.all())
    assert activities
    assert any(activity.deadline < NOW for activity in activities)
    assert any(activity.deadline > NOW for activity in activities)
    assert TimelineEntry.objects.filter(kind=EntryKind.ACTIVITY).count() == len(activities)
    for activity in activities:
        card = activity.card
        assert not card.stage.is_closed
        assert card.created_at <= activity.created_at <= NOW


def test_converted_leads_continue_as_deals_with_the_same_client(demo):
    converted = list(Lead.all_objects.filter(converted_at__isnull=False).select_related("stage"))
    assert converted
    for lead in converted:
        assert lead.stage.kind == StageKind.WON
        assert lead.contact_id and lead.company_id
        deal = Deal.all_objects.filter(lead=lead).first()
        if deal is not None:
            assert deal.company_id == lead.company_id
            assert deal.contact_links.get(is_primary=True).contact_id == lead.contact_id


def test_leads_spread_over_the_last_six_months(demo):
    dates = list(Lead.all_objects.values_list("created_at", flat=True))
    assert min(dates) >= NOW - datetime.timedelta(days=183)
    assert max(dates) - min(dates) > datetime.timedelta(days=90)
    assert Lead.all_objects.exclude(utm_source="").exists()


def _signature():
    return (
        list(
            Lead.all_objects.order_by("pk").values_list(
                "title", "stage__code", "amount", "created_at", "closed_at", "custom_fields"
            )
        ),
        list(Deal.all_objects.order_by("pk").values_list("title", "stage__code", "amount")),
        list(Company.all_objects.order_by("pk").values_list("title", "inn", "ogrn")),
        list(Contact.all_objects.order_by("pk").values_list("last_name", "birthday")),
        list(Communication.objects.order_by("pk").values_list("value")),
        TimelineEntry.objects.count(),
    )


def test_the_same_seed_and_clock_give_the_same_data(db):
    with transaction.atomic():
        generate_demo(SMALL, now=NOW)
        first = _signature()
        transaction.set_rollback(True)
    assert database_is_empty()
    generate_demo(SMALL, now=NOW)
    assert _signature() == first


def test_another_seed_gives_other_data(db):
    with transaction.atomic():
        generate_demo(SMALL, now=NOW)
        first = _signature()
        transaction.set_rollback(True)
    generate_demo(SMALL.__class__(**{**SMALL.__dict__, "seed": SMALL.seed + 1}), now=NOW)
    assert _signature() != first


def test_rows_added_after_the_demo_get_fresh_ids(demo):
    """Ids were given out by the generator; the database sequences must have moved past them."""
    employee = User.objects.create(username="new.employee")
    department = Department.objects.create(name="Новый отдел")
    contact = Contact.objects.create(last_name="Новиков", responsible=employee)
    stage = Stage.objects.filter(pipeline__entity=PipelineEntity.LEAD).first()
    lead = Lead.objects.create(title="Новый лид", stage=stage, responsible=employee)
    assert employee.pk > User.objects.exclude(pk=employee.pk).latest("pk").pk
    assert department.pk > 0 and contact.pk > 0 and lead.pk > 0
