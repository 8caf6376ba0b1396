"""Each monitoring check acts once per card and occasion and not twice, skips what it should
(won or lost deals, cards in the recycle bin, done tasks, inactive rules), and costs the same
queries for 10 cards as for 50."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from voronka.automation.models import MonitoringHit, MonitoringRule
from voronka.automation.monitoring.registry import check, get_kind
from voronka.automation.monitoring.services import run_monitoring
from voronka.contacts.models import Company, Contact
from voronka.contacts.tests.factories import CompanyFactory, ContactFactory
from voronka.customization.models import CustomField, EntityType, FieldType
from voronka.notifications.models import Notification
from voronka.sales.models import Deal, DealContact, Lead, PipelineEntity
from voronka.sales.tests.factories import DealFactory, LeadFactory, PipelineFactory, stage_of
from voronka.staff.tests.factories import UserFactory
from voronka.tasks.models import Task, TaskStatus
from voronka.tasks.tests.factories import TaskFactory
from voronka.timeline.models import Activity, ActivityKind, EntryKind, TimelineEntry

pytestmark = pytest.mark.django_db

NOW = timezone.now()
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


def rule(kind, pipeline=None, **params):
    return MonitoringRule.objects.create(
        kind=kind, name=kind, pipeline=pipeline, params=params, is_active=True
    )


def age(cards, delta):
    """Make ``cards`` created ``delta`` ago."""
    model = type(cards[0])
    manager = getattr(model, "all_objects", model.objects)
    manager.filter(pk__in=[card.pk for card in cards]).update(created_at=NOW - delta)


def notified():
    return sorted(Notification.objects.values_list("recipient__username", "card_id"))


@pytest.fixture
def lead_pipeline(db):
    return PipelineFactory.with_stages(entity=PipelineEntity.LEAD)


def new_lead(pipeline, responsible, *, minutes_ago=30, stage="new"):
    lead = LeadFactory(stage=stage_of(pipeline, stage), responsible=responsible)
    age([lead], datetime.timedelta(minutes=minutes_ago))
    return lead


# --- lead_not_taken ---------------------------------------------------------------------------


def test_a_lead_not_taken_is_escalated_to_the_head_once(lead_pipeline, manager, head):
    lead = new_lead(lead_pipeline, manager)
    monitoring = rule("lead_not_taken", minutes=15)
    assert check(monitoring, NOW) == 1
    assert check(monitoring, NOW + HOUR) == 0
    notification = Notification.objects.get()
    assert notification.recipient == head
    assert notification.card == lead
    assert lead.title in notification.text
    assert notification.key == f"monitoring:{MonitoringHit.objects.get().pk}"


def test_a_lead_taken_young_or_deleted_is_left_alone(lead_pipeline, manager, head):
    new_lead(lead_pipeline, manager, stage="in_progress")
    new_lead(lead_pipeline, manager, minutes_ago=5)
    deleted = new_lead(lead_pipeline, manager)
    Lead.all_objects.filter(pk=deleted.pk).update(deleted_at=NOW)
    assert check(rule("lead_not_taken", minutes=15), NOW) == 0
    assert Notification.objects.count() == 0


def test_a_lead_rule_of_one_pipeline_and_chosen_employees(lead_pipeline, manager, head):
    other = PipelineFactory.with_stages(entity=PipelineEntity.LEAD)
    lead = new_lead(lead_pipeline, manager)
    new_lead(other, manager)
    duty = UserFactory(username="duty")
    monitoring = rule("lead_not_taken", lead_pipeline, minutes=15, to="employees")
    monitoring.params["employees"] = [duty.pk]
    monitoring.save()
    assert check(monitoring, NOW) == 1
    assert notified() == [("duty", lead.pk)]


def test_nobody_above_means_no_notification_but_the_hit_is_kept(lead_pipeline, head):
    loner = UserFactory(department=None)
    new_lead(lead_pipeline, loner)
    monitoring = rule("lead_not_taken", minutes=15)
    assert check(monitoring, NOW) == 1
    assert Notification.objects.count() == 0
    assert MonitoringHit.objects.get().details == {"notified": []}


# --- task_overdue -----------------------------------------------------------------------------


def test_an_overdue_task_is_told_to_the_head_once_per_deadline(manager, head):
    task = TaskFactory(responsible=manager, deadline=NOW - HOUR)
    TaskFactory(responsible=manager, deadline=NOW - HOUR, status=TaskStatus.DONE)
    TaskFactory(responsible=manager, deadline=NOW + 10 * DAY)
    TaskFactory(responsible=manager, deadline=None)
    monitoring = rule("task_overdue")
    assert check(monitoring, NOW) == 1
    assert check(monitoring, NOW + HOUR) == 0
    assert notified() == [("head", task.pk)]
    # The deadline is moved a day on and missed again: told again.
    Task.objects.filter(pk=task.pk).update(deadline=NOW + DAY)
    assert check(monitoring, NOW + 2 * HOUR) == 0
    assert check(monitoring, NOW + DAY + HOUR) == 1
    assert Notification.objects.count() == 2
    assert MonitoringHit.objects.count() == 2


def test_the_overdue_notification_leads_to_the_task(manager, head, client):
    task = TaskFactory(responsible=manager, deadline=NOW - HOUR, title="Отправить КП")
    check(rule("task_overdue"), NOW)
    notification = Notification.objects.get()
    assert "Отправить КП" in notification.text
    client.force_login(head)
    response = client.get(f"/notifications/{notification.pk}/open/")
    assert response["Location"] == f"/tasks/{task.pk}/"


# --- deal_without_task ------------------------------------------------------------------------


def open_deal(pipeline, responsible, *, stage="new", days_ago=1, **data):
    deal = DealFactory(
        pipeline=pipeline, stage=stage_of(pipeline, stage), responsible=responsible, **data
    )
    age([deal], datetime.timedelta(days=days_ago))
    return deal


def test_a_deal_without_a_task_gets_one_for_its_responsible(pipeline, manager):
    deal = open_deal(pipeline, manager, title="Станки")
    monitoring = rule("deal_without_task", title="Следующий шаг: {{ deal.title }}")
    assert check(monitoring, NOW) == 1
    task = Task.objects.get()
    assert task.title == "Следующий шаг: Станки"
    assert task.responsible == manager
    assert task.card == deal
    assert task.created_by is None
    assert task.deadline == NOW + DAY
    hit = MonitoringHit.objects.get()
    assert task.robot_run_id == f"monitoring:{hit.pk}"
    assert hit.details == {"task_id": task.pk}
    # The deal has an open task now; next day too.
    assert check(monitoring, NOW + DAY) == 0
    assert Task.objects.count() == 1


def test_deals_with_a_task_closed_deleted_young_or_of_another_pipeline_are_skipped(
    pipeline, manager
):
    with_task = open_deal(pipeline, manager)
    TaskFactory(responsible=manager, card=with_task)
    open_deal(pipeline, manager, stage="won")
    open_deal(pipeline, manager, stage="lost")
    deleted = open_deal(pipeline, manager)
    Deal.all_objects.filter(pk=deleted.pk).update(deleted_at=NOW)
    open_deal(pipeline, manager, days_ago=0)
    other = PipelineFactory.with_stages()
    open_deal(other, manager)
    assert check(rule("deal_without_task", pipeline), NOW) == 0
    assert Task.objects.count() == 1


def test_a_deal_whose_task_was_done_gets_a_new_one_in_the_next_period(pipeline, manager):
    deal = open_deal(pipeline, manager)
    monitoring = rule("deal_without_task", repeat_days=1)
    check(monitoring, NOW)
    Task.objects.update(status=TaskStatus.DONE)
    assert check(monitoring, NOW + datetime.timedelta(minutes=1)) in (0, 1)
    assert check(monitoring, NOW + 2 * DAY) == 1
    assert Task.objects.filter(card_id=deal.pk, status=TaskStatus.NEW).count() == 1


def test_a_refused_task_is_written_on_the_hit_and_others_go_on(pipeline, manager, monkeypatch):
    first = open_deal(pipeline, manager)
    second = open_deal(pipeline, manager)
    from django.core.exceptions import ValidationError

    from voronka.tasks import services as task_services

    real = task_services.task_create

    def refuse_first(**kwargs):
        if kwargs["card"].pk == first.pk:
            raise ValidationError({"responsible": "Gone."})
        return real(**kwargs)

    monkeypatch.setattr(task_services, "task_create", refuse_first)
    assert check(rule("deal_without_task"), NOW) == 2
    assert list(Task.objects.values_list("card_id", flat=True)) == [second.pk]
    assert MonitoringHit.objects.get(card_id=first.pk).details == {"error": "Gone."}


# --- client_without_deal ----------------------------------------------------------------------


def test_a_client_without_an_open_deal_is_reminded_every_period(pipeline, manager):
    lonely = ContactFactory(responsible=manager)
    busy = ContactFactory(responsible=manager)
    deal = open_deal(pipeline, manager)
    DealContact.objects.create(deal=deal, contact=busy)
    closed = ContactFactory(responsible=manager)
    won = open_deal(pipeline, manager, stage="won")
    DealContact.objects.create(deal=won, contact=closed)
    company = CompanyFactory(responsible=manager)
    busy_company = CompanyFactory(responsible=manager)
    open_deal(pipeline, manager, company=busy_company)
    young = ContactFactory(responsible=manager)
    age([lonely, busy, closed], 40 * DAY)
    age([company, busy_company], 40 * DAY)
    monitoring = rule("client_without_deal", days=30)
    assert check(monitoring, NOW) == 3
    assert sorted(
        (n.card_type.model, n.card_id) for n in Notification.objects.select_related("card_type")
    ) == sorted([("contact", lonely.pk), ("contact", closed.pk), ("company", company.pk)])
    assert young.pk not in Notification.objects.values_list("card_id", flat=True)
    assert check(monitoring, NOW + DAY) == 0
    # A month on, the three again and the one that was too young then.
    assert check(monitoring, NOW + 31 * DAY) == 4


def test_client_without_deal_only_companies(manager):
    contact = ContactFactory(responsible=manager)
    company = CompanyFactory(responsible=manager)
    age([contact], 40 * DAY)
    age([company], 40 * DAY)
    assert check(rule("client_without_deal", days=30, clients="companies"), NOW) == 1
    assert Notification.objects.get().card == company


# --- no_interaction ---------------------------------------------------------------------------


def test_no_interaction_creates_a_task_and_a_recent_comment_or_call_prevents_it(manager):
    silent, commented, called, planned = (ContactFactory(responsible=manager) for _ in range(4))
    age([silent, commented, called, planned], 30 * DAY)
    company = CompanyFactory(responsible=manager)
    age([company], 30 * DAY)
    TimelineEntry.objects.create(card=commented, kind=EntryKind.COMMENT, text="Созвонились")
    Activity.objects.create(
        card=called, kind=ActivityKind.CALL, subject="Звонок", responsible=manager
    )
    # A to-do is not an interaction with the client.
    Activity.objects.create(
        card=planned, kind=ActivityKind.TO_DO, subject="Подумать", responsible=manager
    )
    monitoring = rule("no_interaction", days=14, title="Связаться")
    assert check(monitoring, NOW) == 3
    titles = {
        (task.card_type.model, task.card_id): task.title
        for task in Task.objects.select_related("card_type")
    }
    assert titles[("contact", silent.pk)] == f"Связаться: {silent}"
    assert titles[("company", company.pk)] == f"Связаться: {company.title}"
    assert set(titles) == {("contact", silent.pk), ("contact", planned.pk), ("company", company.pk)}
    assert check(monitoring, NOW + DAY) == 0


def test_an_old_comment_does_not_count(manager):
    contact = ContactFactory(responsible=manager)
    age([contact], 60 * DAY)
    entry = TimelineEntry.objects.create(card=contact, kind=EntryKind.COMMENT, text="Давно")
    TimelineEntry.objects.filter(pk=entry.pk).update(created_at=NOW - 20 * DAY)
    assert check(rule("no_interaction", days=14, clients="contacts"), NOW) == 1


# --- birthday ---------------------------------------------------------------------------------


def test_a_birthday_is_told_once_a_year(manager):
    today = timezone.localdate(NOW)
    born = ContactFactory(responsible=manager, birthday=today.replace(year=1990))
    ContactFactory(responsible=manager, birthday=today.replace(year=1990) - DAY)
    ContactFactory(responsible=manager, birthday=None)
    gone = ContactFactory(responsible=manager, birthday=today.replace(year=1985))
    Contact.all_objects.filter(pk=gone.pk).update(deleted_at=NOW)
    monitoring = rule("birthday")
    assert check(monitoring, NOW) == 1
    assert check(monitoring, NOW + HOUR) == 0
    notification = Notification.objects.get()
    assert notification.card == born
    assert f"{today.year - 1990} years" in notification.text


def test_born_on_29_february_is_told_on_28_february_in_other_years(manager):
    ContactFactory(responsible=manager, birthday=datetime.date(1992, 2, 29))
    feb_28 = datetime.datetime(2027, 2, 28, 10, tzinfo=datetime.UTC)
    assert check(rule("birthday"), feb_28) == 1


# --- payment_due ------------------------------------------------------------------------------


def test_payment_due_by_a_standard_date_field(pipeline, manager):
    target = timezone.localdate(NOW) + datetime.timedelta(days=3)
    due = open_deal(pipeline, manager, closes_on=target, title="Оплата станков")
    open_deal(pipeline, manager, closes_on=target + 10 * DAY)
    open_deal(pipeline, manager, stage="won", closes_on=target)
    monitoring = rule("payment_due", field="closes_on", days=3)
    assert check(monitoring, NOW) == 1
    assert check(monitoring, NOW + HOUR) == 0
    task = Task.objects.get()
    assert task.card == due
    assert "Оплата станков" in task.title
    # The date moves: a new reminder for the new date.
    Deal.objects.filter(pk=due.pk).update(closes_on=target + DAY)
    assert check(monitoring, NOW + DAY) == 1


def test_payment_due_by_a_custom_date_field(pipeline, manager):
    CustomField.objects.create(
        entity=EntityType.DEAL, code="pay_on", label="Payment", field_type=FieldType.DATE
    )
    target = timezone.localdate(NOW) + datetime.timedelta(days=2)
    due = open_deal(pipeline, manager, custom_fields={"pay_on": target.isoformat()})
    open_deal(pipeline, manager, custom_fields={"pay_on": (target + DAY).isoformat()})
    assert check(rule("payment_due", field="pay_on", days=2, title="Напомнить"), NOW) == 1
    assert Task.objects.get().card == due


# --- Running all rules ------------------------------------------------------------------------


def test_run_monitoring_runs_active_rules_only_and_records_the_time(lead_pipeline, manager, head):
    new_lead(lead_pipeline, manager)
    active = rule("lead_not_taken", minutes=15)
    inactive = rule("lead_not_taken", minutes=15)
    MonitoringRule.objects.filter(pk=inactive.pk).update(is_active=False)
    assert run_monitoring(NOW) == {active.pk: 1}
    active.refresh_from_db()
    inactive.refresh_from_db()
    assert active.last_checked_at == NOW
    assert inactive.last_checked_at is None
    assert Notification.objects.count() == 1


def test_one_failing_rule_does_not_stop_the_others(lead_pipeline, manager, head, monkeypatch):
    new_lead(lead_pipeline, manager)
    broken = rule("task_overdue")
    working = rule("lead_not_taken", minutes=15)

    def explode(self, rule, now):
        raise RuntimeError("broken check")

    monkeypatch.setattr(type(get_kind("task_overdue")), "find", explode)
    results = run_monitoring(NOW)
    assert results == {broken.pk: None, working.pk: 1}
    broken.refresh_from_db()
    assert broken.last_checked_at is None
    assert Notification.objects.count() == 1


def test_a_slow_check_runs_at_most_once_an_hour(manager):
    ContactFactory(responsible=manager, birthday=timezone.localdate(NOW).replace(year=1990))
    birthday = rule("birthday")
    assert run_monitoring(NOW) == {birthday.pk: 1}
    assert run_monitoring(NOW + datetime.timedelta(minutes=1)) == {}
    assert run_monitoring(NOW + HOUR) == {birthday.pk: 0}


def test_the_command_and_the_celery_task_run_the_rules(lead_pipeline, manager, head):
    from django.core.management import call_command

    from voronka.automation.monitoring.tasks import monitoring

    new_lead(lead_pipeline, manager)
    rule("lead_not_taken", minutes=15)
    assert monitoring() == 1
    call_command("run_monitoring")
    assert Notification.objects.count() == 1


# --- Queries do not grow with the cards -------------------------------------------------------


@pytest.fixture(autouse=True)
def _content_types_known(db):
    """Content types are cached for the life of a process, as in a running worker."""
    ContentType.objects.get_for_models(Lead, Deal, Contact, Company, Task)


def queries_of(monitoring, now):
    with CaptureQueriesContext(connection) as captured:
        check(monitoring, now)
    return len(captured.captured_queries)


@pytest.mark.parametrize("to", ["head", "responsible", "employees"])
def test_a_notifying_check_costs_the_same_queries_for_10_and_50_leads(
    lead_pipeline, manager, head, to
):
    def leads(count):
        return [
            new_lead(lead_pipeline, UserFactory(department=manager.department))
            for _ in range(count)
        ]

    params = {"minutes": 15, "to": to}
    if to == "employees":
        params["employees"] = [head.pk, manager.pk]
    leads(10)
    ten = queries_of(rule("lead_not_taken", **params), NOW)
    Notification.objects.all().delete()
    MonitoringRule.objects.all().delete()
    leads(40)
    fifty = queries_of(rule("lead_not_taken", **params), NOW)
    assert Notification.objects.count() == 50 * (2 if to == "employees" else 1)
    assert ten == fifty


def test_client_and_overdue_checks_cost_the_same_queries_for_10_and_50_cards(manager, head):
    def cards(count):
        contacts = [ContactFactory(responsible=manager) for _ in range(count)]
        age(contacts, 40 * DAY)
        for _ in range(count):
            TaskFactory(responsible=manager, deadline=NOW - HOUR)

    cards(10)
    ten = queries_of(rule("client_without_deal", days=30), NOW) + queries_of(
        rule("task_overdue"), NOW
    )
    MonitoringRule.objects.all().delete()
    cards(40)
    fifty = queries_of(rule("client_without_deal", days=30), NOW) + queries_of(
        rule("task_overdue"), NOW
    )
    assert Notification.objects.filter(kind="monitoring:task_overdue").count() == 60
    assert ten == fifty


def test_finding_cards_for_tasks_costs_the_same_queries_for_10_and_50(pipeline, manager):
    kinds = [
        ("deal_without_task", {}),
        ("no_interaction", {"days": 14}),
        ("payment_due", {"field": "closes_on", "days": 3}),
    ]
    target = timezone.localdate(NOW) + datetime.timedelta(days=3)

    def cards(count):
        for _ in range(count):
            open_deal(pipeline, manager, closes_on=target)
        age([ContactFactory(responsible=manager) for _ in range(count)], 40 * DAY)

    def find_queries():
        total = 0
        for code, params in kinds:
            monitoring = rule(code, **params)
            with CaptureQueriesContext(connection) as captured:
                found = get_kind(code).find(monitoring, NOW)
            total += len(captured.captured_queries)
            assert found
        return total

    cards(10)
    ten = find_queries()
    cards(40)
    assert find_queries() == ten
    # The second run of a rule that has acted on every card finds nothing, at the same cost.
    monitoring = rule("deal_without_task")
    check(monitoring, NOW)
    assert get_kind("deal_without_task").find(monitoring, NOW) == []
    assert Task.objects.filter(card_type__model="deal").count() == 50


def test_a_backlog_is_worked_through_in_batches(lead_pipeline, manager, head, monkeypatch):
    from voronka.automation.monitoring import checks, registry, services

    for module in (checks, registry, services):
        monkeypatch.setattr(module, "LIMIT", 3)
    monkeypatch.setattr(services, "MAX_BATCHES", 2)
    for _ in range(7):
        new_lead(lead_pipeline, manager)
    monitoring = rule("lead_not_taken", minutes=15)
    assert services.run_rule(monitoring, NOW) == 6
    assert services.run_rule(monitoring, NOW) == 1
    assert Notification.objects.count() == 7
