"""Setting monitoring up: validating rules (what the JSON import calls too), the services with
the settings rights, the default rules, and the settings page — rights, dialog, switch, delete,
“check now”, query counts."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from voronka.access.models import Action, Entity, Scope
from voronka.access.tests.factories import role_with
from voronka.automation.models import MonitoringHit, MonitoringRule
from voronka.automation.monitoring.forms import RuleForm
from voronka.automation.monitoring.registry import all_kinds, get_kind
from voronka.automation.monitoring.services import (
    install_default_rules,
    rule_clean,
    rule_create,
    rule_delete,
    rule_toggle,
    rule_update,
)
from voronka.customization.models import CustomField, EntityType, FieldType
from voronka.notifications.models import Notification
from voronka.sales.models import PipelineEntity
from voronka.sales.tests.factories import LeadFactory, PipelineFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def settings_admin(manager):
    """An employee whose role may read and change the settings (not a superuser)."""
    role_with(
        *((Entity.SETTINGS, action, Scope.ALL) for action in Action.values),
        members=[manager],
    )
    return manager


@pytest.fixture
def admin_client(client, settings_admin):
    client.force_login(settings_admin)
    return client


def lead_rule(**data):
    return MonitoringRule.objects.create(
        kind="lead_not_taken", name="Лид без ответа", params={"minutes": 15}, **data
    )


# --- rule_clean and the services --------------------------------------------------------------


def test_every_default_rule_is_valid_and_off(db):
    created = install_default_rules()
    assert {rule.kind for rule in created} == {kind.code for kind in all_kinds()}
    assert not any(rule.is_active for rule in created)
    for rule in created:
        rule_clean(rule)
    # Again: nothing more.
    assert install_default_rules() == []
    assert MonitoringRule.objects.count() == len(all_kinds())


def test_default_texts_are_plain_strings_in_the_installations_language(settings, db):
    settings.LANGUAGE_CODE = "en"
    install_default_rules()
    rule = MonitoringRule.objects.get(kind="deal_without_task")
    assert rule.params["title"] == "Plan the next step on “{{ deal.title }}”"


def test_rule_clean_names_each_problem():
    rule = MonitoringRule(kind="nope", name="")
    with pytest.raises(ValidationError) as error:
        rule_clean(rule)
    assert set(error.value.message_dict) == {"kind", "name"}


def test_rule_clean_checks_the_parameters(db):
    rule = MonitoringRule(kind="lead_not_taken", name="x", params={"minutes": "ten", "odd": 1})
    with pytest.raises(ValidationError) as error:
        rule_clean(rule)
    assert sorted(error.value.message_dict["params"]) == [
        "minutes: choose a value.",
        "odd: Unknown parameter.",
    ]
    rule.params = {"minutes": 0}
    with pytest.raises(ValidationError) as error:
        rule_clean(rule)
    assert error.value.message_dict["params"] == ["minutes: Enter a number greater than zero."]
    rule.params = {"minutes": 10, "to": "employees"}
    with pytest.raises(ValidationError) as error:
        rule_clean(rule)
    assert error.value.message_dict["params"] == ["employees: Choose the employees to notify."]


def test_rule_clean_checks_the_pipeline(db):
    deals = PipelineFactory()
    leads = PipelineFactory(entity=PipelineEntity.LEAD)
    with pytest.raises(ValidationError) as error:
        rule_clean(
            MonitoringRule(kind="lead_not_taken", name="x", pipeline=deals, params={"minutes": 5})
        )
    assert error.value.message_dict["pipeline"] == ["Choose a pipeline of leads."]
    with pytest.raises(ValidationError) as error:
        rule_clean(MonitoringRule(kind="birthday", name="x", pipeline=leads))
    assert "pipeline" in error.value.message_dict
    rule_clean(
        MonitoringRule(kind="lead_not_taken", name="x", pipeline=leads, params={"minutes": 5})
    )


def test_payment_due_takes_a_date_field_of_deals(db):
    CustomField.objects.create(
        entity=EntityType.DEAL, code="pay_on", label="Payment", field_type=FieldType.DATE
    )
    CustomField.objects.create(
        entity=EntityType.DEAL, code="note", label="Note", field_type=FieldType.STRING
    )
    params = {"days": 3, "title": "Напомнить"}
    for field in ("closes_on", "begins_on", "pay_on"):
        rule_clean(MonitoringRule(kind="payment_due", name="x", params={**params, "field": field}))
    for field in ("note", "title", "created_at"):
        with pytest.raises(ValidationError) as error:
            rule_clean(
                MonitoringRule(kind="payment_due", name="x", params={**params, "field": field})
            )
        assert error.value.message_dict["params"] == ["field: Choose a date field of deals."]


def test_the_services_need_the_settings_rights(manager, settings_admin):
    data = {"kind": "birthday", "name": "ДР"}
    other = type(manager).objects.create(username="plain")
    with pytest.raises(PermissionDenied):
        rule_create(actor=other, data=data)
    rule = rule_create(actor=settings_admin, data=data)
    assert rule.is_active is False
    for call in (
        lambda: rule_update(actor=other, rule=rule, data={"name": "y"}),
        lambda: rule_toggle(actor=other, rule=rule),
        lambda: rule_delete(actor=other, rule=rule),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert rule_toggle(actor=settings_admin, rule=rule).is_active is True
    rule = rule_update(actor=settings_admin, rule=rule, data={"name": "Дни рождения", "kind": "x"})
    assert (rule.name, rule.kind) == ("Дни рождения", "birthday")
    rule_delete(actor=settings_admin, rule=rule)
    assert not MonitoringRule.objects.exists()


def test_an_invalid_update_changes_nothing(settings_admin):
    rule = lead_rule()
    with pytest.raises(ValidationError):
        rule_update(actor=settings_admin, rule=rule, data={"params": {"minutes": -1}})
    rule.refresh_from_db()
    assert rule.params == {"minutes": 15}


# --- The settings page ------------------------------------------------------------------------


def test_a_manager_gets_403_everywhere(client, manager):
    rule = lead_rule()
    client.force_login(manager)
    assert client.get(reverse("monitoring:rules")).status_code == 403
    assert client.get(reverse("monitoring:rule_create")).status_code == 403
    for name in ("rule_update", "rule_toggle", "rule_delete", "rule_run"):
        assert client.post(reverse(f"monitoring:{name}", args=[rule.pk])).status_code == 403
    rule.refresh_from_db()
    assert rule.is_active is False


def test_a_reader_of_the_settings_sees_the_rules_without_controls(client, manager):
    role_with((Entity.SETTINGS, Action.READ, Scope.ALL), members=[manager])
    lead_rule(is_active=True)
    client.force_login(manager)
    response = client.get(reverse("monitoring:rules"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Лид без ответа" in page
    assert "robot-toggle" not in page and "Check now" not in page
    # Reading only: the page installs no default rules either.
    MonitoringRule.objects.all().delete()
    client.get(reverse("monitoring:rules"))
    assert not MonitoringRule.objects.exists()


def test_the_first_visit_installs_the_default_rules_switched_off(admin_client):
    response = admin_client.get(reverse("monitoring:rules"))
    assert response.status_code == 200
    assert MonitoringRule.objects.count() == len(all_kinds())
    assert not MonitoringRule.objects.filter(is_active=True).exists()
    page = response.content.decode()
    for kind in all_kinds():
        assert escape(str(kind.label)) in page


def test_the_page_shows_last_check_and_hits_in_a_fixed_number_of_queries(
    admin_client, django_assert_num_queries
):
    install_default_rules()
    rule = MonitoringRule.objects.get(kind="lead_not_taken")
    rule.last_checked_at = timezone.now()
    rule.save()
    lead = LeadFactory()
    for key in ("a", "b"):
        MonitoringHit.objects.create(rule=rule, card=lead, key=key)
    url = reverse("monitoring:rules")
    # Session, user, rights, the rules with their hit counts.
    with django_assert_num_queries(4):
        response = admin_client.get(url)
    assert f'id="rule-{rule.pk}"' in response.content.decode()
    for pipeline in range(5):
        MonitoringRule.objects.create(
            kind="deal_without_task", name=f"p{pipeline}", pipeline=PipelineFactory()
        )
    with django_assert_num_queries(4):
        partial = admin_client.get(url, headers=HTMX)
    assert "<html" not in partial.content.decode()
    row = partial.content.decode().split(f'id="rule-{rule.pk}"')[1].split("</tr>")[0]
    assert '<td class="num">2</td>' in row


def test_the_create_dialog_is_generated_from_the_checks_parameters(admin_client):
    response = admin_client.get(reverse("monitoring:rule_create") + "?kind=payment_due")
    assert response.status_code == 200
    form = response.context["form"]
    assert form.kind.code == "payment_due"
    assert set(form.param_names) == set(get_kind("payment_due").params_schema)
    page = response.content.decode()
    assert 'name="p_field"' in page and 'value="closes_on"' in page
    assert 'name="pipeline"' in page
    birthday = admin_client.get(reverse("monitoring:rule_create") + "?kind=birthday")
    assert 'name="pipeline"' not in birthday.content.decode()


def test_creating_a_rule_through_the_dialog(admin_client, manager):
    leads = PipelineFactory(entity=PipelineEntity.LEAD)
    response = admin_client.post(
        reverse("monitoring:rule_create"),
        {
            "kind": "lead_not_taken",
            "name": "Лиды за 10 минут",
            "pipeline": leads.pk,
            "is_active": "on",
            "p_minutes": "10",
            "p_to": "employees",
            "p_employees": [manager.pk],
        },
        headers=HTMX,
    )
    assert response.status_code == 204
    assert "settings:changed" in response["HX-Trigger"]
    rule = MonitoringRule.objects.get()
    assert (rule.name, rule.pipeline, rule.is_active) == ("Лиды за 10 минут", leads, True)
    assert rule.params == {"minutes": 10, "to": "employees", "employees": [manager.pk]}


def test_the_services_refusal_shows_under_its_parameter(admin_client):
    response = admin_client.post(
        reverse("monitoring:rule_create"),
        {"kind": "lead_not_taken", "name": "x", "p_minutes": "0"},
        headers=HTMX,
    )
    assert response.status_code == 422
    assert response.context["form"].errors["p_minutes"] == ["Enter a number greater than zero."]
    assert not MonitoringRule.objects.exists()


def test_editing_a_rule_keeps_its_check(admin_client):
    rule = lead_rule()
    page = admin_client.get(reverse("monitoring:rule_update", args=[rule.pk]))
    assert 'value="15"' in page.content.decode()
    response = admin_client.post(
        reverse("monitoring:rule_update", args=[rule.pk]),
        {"kind": "birthday", "name": "Новое имя", "p_minutes": "30", "p_to": "head"},
    )
    assert response.status_code == 204
    rule.refresh_from_db()
    assert (rule.kind, rule.name, rule.params) == (
        "lead_not_taken",
        "Новое имя",
        {"minutes": 30, "to": "head"},
    )


def test_toggle_delete_and_missing_rules(admin_client):
    rule = lead_rule()
    response = admin_client.post(reverse("monitoring:rule_toggle", args=[rule.pk]))
    assert response.status_code == 204
    assert "The rule is on." in response["HX-Trigger"]
    rule.refresh_from_db()
    assert rule.is_active
    assert admin_client.post(reverse("monitoring:rule_delete", args=[rule.pk])).status_code == 204
    assert not MonitoringRule.objects.exists()
    for name in ("rule_update", "rule_toggle", "rule_delete", "rule_run"):
        assert admin_client.post(reverse(f"monitoring:{name}", args=[rule.pk])).status_code == 404


def test_check_now_acts_and_says_how_much(admin_client, manager, head):
    leads = PipelineFactory.with_stages(entity=PipelineEntity.LEAD)
    lead = LeadFactory(stage=leads.stages.first(), responsible=manager)
    type(lead).objects.filter(pk=lead.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=1)
    )
    rule = lead_rule()
    response = admin_client.post(reverse("monitoring:rule_run", args=[rule.pk]))
    assert response.status_code == 204
    assert "acted on 1 card(s)" in response["HX-Trigger"]
    assert Notification.objects.get().recipient == head
    rule.refresh_from_db()
    assert rule.last_checked_at is not None


def test_a_failing_check_now_is_a_refusal_not_a_server_error(admin_client, monkeypatch):
    rule = lead_rule()

    def explode(self, rule, now):
        raise RuntimeError("boom")

    monkeypatch.setattr(type(get_kind("lead_not_taken")), "find", explode)
    response = admin_client.post(reverse("monitoring:rule_run", args=[rule.pk]))
    assert response.status_code == 422
    assert "The check failed: boom" in response["HX-Trigger"]


def test_the_form_offers_every_kind_without_a_template_of_its_own(db):
    for kind in all_kinds():
        form = RuleForm(kind=kind)
        assert [field.name for field in form.param_fields()] == [
            f"p_{name}" for name in kind.params_schema
        ]
