"""Triggers in the robot editor: shown above each stage's robots, the dialog generated from the
kind's schema with the robots' condition rows, switch, delete — rights and queries."""

import pytest
from django.urls import reverse

from voronka.access.models import Action, Entity, Scope
from voronka.access.tests.factories import role_with
from voronka.automation.models import Trigger
from voronka.automation.triggers.base import all_kinds
from voronka.automation.triggers.forms import TriggerForm
from voronka.sales.models import PipelineEntity
from voronka.sales.tests.factories import PipelineFactory, SourceFactory, stage_of

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def admin_client(client, manager):
    role_with(
        *((Entity.SETTINGS, action, Scope.ALL) for action in Action.values),
        members=[manager],
    )
    client.force_login(manager)
    return client


def make_trigger(stage, kind="task_completed", **fields):
    fields.setdefault("name", "Задача выполнена")
    return Trigger.objects.create(
        pipeline=stage.pipeline, stage=stage, kind=kind, secret="s" * 43, **fields
    )


def _urls(stage, trigger):
    return {
        "create": ("get", reverse("automation:trigger_create", args=[stage.pk])),
        "update": ("get", reverse("automation:trigger_update", args=[trigger.pk])),
        "create_post": ("post", reverse("automation:trigger_create", args=[stage.pk])),
        "update_post": ("post", reverse("automation:trigger_update", args=[trigger.pk])),
        "toggle": ("post", reverse("automation:trigger_toggle", args=[trigger.pk])),
        "delete": ("post", reverse("automation:trigger_delete", args=[trigger.pk])),
    }


def test_a_manager_without_settings_rights_gets_403_everywhere(client, manager, second_stage):
    trigger = make_trigger(second_stage)
    client.force_login(manager)

    statuses = {
        name: getattr(client, method)(url).status_code
        for name, (method, url) in _urls(second_stage, trigger).items()
    }

    assert set(statuses.values()) == {403}, statuses
    assert Trigger.objects.get().is_active


def test_a_reader_sees_triggers_but_changes_nothing(client, manager, second_stage):
    role_with((Entity.SETTINGS, Action.READ, Scope.ALL), members=[manager])
    client.force_login(manager)
    trigger = make_trigger(second_stage, name="Звонок клиента", kind="client_activity")

    html = client.get(reverse("automation:editor")).content.decode()

    assert "Звонок клиента" in html
    assert reverse("automation:trigger_toggle", args=[trigger.pk]) not in html
    assert reverse("automation:trigger_create", args=[second_stage.pk]) not in html


@pytest.mark.parametrize("name", ["update", "toggle", "delete", "update_post"])
def test_a_trigger_that_does_not_exist_is_404(admin_client, second_stage, name):
    trigger = make_trigger(second_stage)
    method, url = _urls(second_stage, trigger)[name]
    trigger.delete()

    assert getattr(admin_client, method)(url).status_code == 404


def test_the_editor_shows_triggers_above_the_robots_with_the_webhook_address(
    admin_client, pipeline, second_stage
):
    from voronka.automation.tests.factories import RobotFactory

    RobotFactory(stage=second_stage, name="Робот стадии")
    make_trigger(
        second_stage,
        "field_changed",
        name="Сумма изменилась",
        params={"fields": ["amount"]},
        condition={"join": "and", "rules": [{"field": "amount", "op": "gte", "value": "10"}]},
    )
    hook = make_trigger(second_stage, "inbound_webhook", name="Из 1С", is_active=False)

    html = admin_client.get(reverse("automation:editor") + f"?pipeline={pipeline.pk}").content
    html = html.decode()

    assert html.index("Сумма изменилась") < html.index("Робот стадии")
    assert "When a field of the card changes: Amount" in html
    assert "≥ 10" in html
    assert 'class="trigger-card off"' in html
    assert f"/automation/hooks/{hook.pk}/{hook.secret}/" in html
    assert "Copy" in html


def test_the_editor_costs_the_same_queries_with_more_triggers(
    admin_client, pipeline, django_assert_num_queries
):
    url = reverse("automation:editor") + f"?pipeline={pipeline.pk}"
    make_trigger(stage_of(pipeline, "in_progress"))
    admin_client.get(url)
    # session, user, rights, pipelines, stages, robots, triggers, custom fields
    with django_assert_num_queries(8):
        admin_client.get(url)
    for kind in ("field_changed", "inbound_webhook", "date_reached", "client_activity"):
        make_trigger(stage_of(pipeline, "won"), kind, params={})
    with django_assert_num_queries(8):
        admin_client.get(url)


def test_lead_source_triggers_cost_one_query_for_their_sources(
    admin_client, django_assert_num_queries
):
    leads = PipelineFactory.with_stages(entity=PipelineEntity.LEAD)
    sources = [SourceFactory(name=f"Канал {n}") for n in range(3)]
    stage = stage_of(leads, "in_progress")
    make_trigger(stage, "lead_from_source", params={"sources": [sources[0].pk]})
    url = reverse("automation:editor") + f"?pipeline={leads.pk}"
    admin_client.get(url)
    with django_assert_num_queries(9):
        html = admin_client.get(url).content.decode()
    make_trigger(stage, "lead_from_source", params={"sources": [s.pk for s in sources]})
    with django_assert_num_queries(9):
        admin_client.get(url)
    assert "Канал 0" in html


@pytest.mark.parametrize("kind", [kind.code for kind in all_kinds()])
def test_the_dialog_of_each_kind_opens(admin_client, pipeline, kind, django_assert_max_num_queries):
    if kind == "lead_from_source":
        pipeline = PipelineFactory.with_stages(entity=PipelineEntity.LEAD)
    stage = stage_of(pipeline, "in_progress")
    url = reverse("automation:trigger_create", args=[stage.pk]) + f"?kind={kind}"

    with django_assert_max_num_queries(12):
        response = admin_client.get(url, headers=HTMX)

    assert response.status_code == 200
    assert f'<option value="{kind}" selected' in response.content.decode()


def test_the_dialog_creates_a_trigger_with_a_condition(admin_client, second_stage):
    url = reverse("automation:trigger_create", args=[second_stage.pk])

    response = admin_client.post(
        url,
        {
            "name": "Сумма выросла",
            "kind": "field_changed",
            "stage": second_stage.pk,
            "is_active": "on",
            "p_fields": ["amount", "title"],
            "c_join": "and",
            "c_field": ["amount"],
            "c_op": ["gte"],
            "c_value": ["1000"],
        },
        headers=HTMX,
    )

    assert response.status_code == 204, response.content.decode()
    trigger = Trigger.objects.get()
    assert trigger.params == {"fields": ["amount", "title"]}
    assert trigger.condition == {
        "join": "and",
        "rules": [{"field": "amount", "op": "gte", "value": "1000"}],
    }
    assert trigger.secret and not trigger.allow_backwards


def test_the_dialog_shows_the_services_errors_with_422(admin_client, second_stage):
    url = reverse("automation:trigger_create", args=[second_stage.pk])

    response = admin_client.post(
        url,
        {"name": "Дата", "kind": "date_reached", "stage": second_stage.pk, "p_offset": "1"},
        headers=HTMX,
    )

    assert response.status_code == 422
    assert "This parameter is required." in response.content.decode()
    assert not Trigger.objects.exists()


def test_the_dialog_round_trips_an_existing_trigger(admin_client, second_stage):
    trigger = make_trigger(
        second_stage, "date_reached", params={"field": "closes_on", "offset": -2}
    )
    form = TriggerForm(pipeline=second_stage.pipeline, trigger=trigger)
    data = {
        "name": form["name"].value(),
        "kind": "date_reached",
        "stage": form["stage"].value(),
        "is_active": "on",
        "allow_backwards": "on",
        "p_field": form["p_field"].value(),
        "p_offset": form["p_offset"].value(),
    }

    response = admin_client.post(
        reverse("automation:trigger_update", args=[trigger.pk]), data, headers=HTMX
    )

    assert response.status_code == 204, response.content.decode()
    trigger.refresh_from_db()
    assert trigger.params == {"field": "closes_on", "offset": -2}
    assert trigger.allow_backwards


def test_the_webhook_dialog_shows_its_address(admin_client, second_stage):
    hook = make_trigger(second_stage, "inbound_webhook")

    html = admin_client.get(
        reverse("automation:trigger_update", args=[hook.pk]), headers=HTMX
    ).content.decode()

    assert reverse("automation:trigger_hook", args=[hook.pk, hook.secret]) in html


def test_toggle_and_delete(admin_client, second_stage):
    trigger = make_trigger(second_stage)

    assert (
        admin_client.post(reverse("automation:trigger_toggle", args=[trigger.pk])).status_code
        == 204
    )
    trigger.refresh_from_db()
    assert not trigger.is_active
    assert (
        admin_client.post(reverse("automation:trigger_delete", args=[trigger.pk])).status_code
        == 204
    )
    assert not Trigger.objects.exists()


def test_the_dialog_shows_the_condition_rows_as_saved(admin_client, second_stage):
    trigger = make_trigger(
        second_stage,
        "field_changed",
        params={"fields": ["amount"]},
        condition={"join": "or", "rules": [{"field": "amount", "op": "gte", "value": "10"}]},
    )

    html = admin_client.get(
        reverse("automation:trigger_update", args=[trigger.pk]), headers=HTMX
    ).content.decode()

    assert '<option value="gte" selected>' in html
    assert '<option value="amount" selected>' in html
    # Fields that no edit changes are not offered to watch.
    assert '<option value="stage_changed_at"' not in html.split('name="c_field"')[0]
