"""The robot editor: the page per pipeline, the robot dialog generated from the action's
schema, the inline actions (toggle, delete, reorder) and the run log — rights and queries."""

import json

import pytest
from django import forms
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from voronka.access.models import Action, Entity, Scope
from voronka.access.tests.factories import role_with
from voronka.automation.actions import all_actions
from voronka.automation.forms import RobotForm
from voronka.automation.models import Robot, RobotRun, RunStatus
from voronka.automation.tests.factories import RobotFactory
from voronka.sales.tests.factories import DealFactory, PipelineFactory, stage_of

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def settings_admin(manager):
    """An employee whose role may read and change the settings (not a superuser)."""
    role_with(
        *((Entity.SETTINGS, action, Scope.ALL) for action in Action.values),
        (Entity.DEAL, Action.READ, Scope.ALL),
        (Entity.LEAD, Action.READ, Scope.ALL),
        members=[manager],
    )
    return manager


@pytest.fixture
def admin_client(client, settings_admin):
    client.force_login(settings_admin)
    return client


@pytest.fixture
def reader_client(client, manager):
    role_with((Entity.SETTINGS, Action.READ, Scope.ALL), members=[manager])
    client.force_login(manager)
    return client


def _triggers(response) -> dict:
    return json.loads(response.headers.get("HX-Trigger", "{}"))


def _as_post(form: RobotForm) -> dict:
    """What a browser sends for the dialog as it is shown: every field's shown value and the
    rows."""
    data: dict = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field, forms.BooleanField):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = value
    data["c_field"] = [row["field"] for row in form.condition_rows]
    data["c_op"] = [row["op"] for row in form.condition_rows]
    data["c_value"] = [row["value"] for row in form.condition_rows]
    data["v_field"] = [row["field"] for row in form.value_rows]
    data["v_mode"] = [row["mode"] for row in form.value_rows]
    data["v_value"] = [row["value"] for row in form.value_rows]
    return data


# ---- Rights ------------------------------------------------------------------------------------


def _urls(stage, robot):
    pipeline = stage.pipeline_id
    return {
        "editor": ("get", reverse("automation:editor")),
        "create": ("get", reverse("automation:robot_create", args=[stage.pk])),
        "update": ("get", reverse("automation:robot_update", args=[robot.pk])),
        "runs": ("get", reverse("automation:robot_runs", args=[robot.pk])),
        "row": ("get", reverse("automation:editor_row", args=[pipeline]) + "?kind=condition"),
        "create_post": ("post", reverse("automation:robot_create", args=[stage.pk])),
        "update_post": ("post", reverse("automation:robot_update", args=[robot.pk])),
        "toggle": ("post", reverse("automation:robot_toggle", args=[robot.pk])),
        "delete": ("post", reverse("automation:robot_delete", args=[robot.pk])),
        "reorder": ("post", reverse("automation:robot_reorder", args=[stage.pk])),
    }


def test_an_anonymous_visitor_is_sent_to_sign_in(client, first_stage):
    robot = RobotFactory(stage=first_stage)

    for method, url in _urls(first_stage, robot).values():
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login"))


def test_a_manager_without_settings_rights_gets_403_everywhere(client, manager, first_stage):
    robot = RobotFactory(stage=first_stage)
    client.force_login(manager)

    statuses = {
        name: getattr(client, method)(url).status_code
        for name, (method, url) in _urls(first_stage, robot).items()
    }

    assert set(statuses.values()) == {403}, statuses
    assert Robot.objects.get().is_active


def test_reading_the_settings_opens_the_editor_but_changes_nothing(reader_client, first_stage):
    robot = RobotFactory(stage=first_stage, name="Позвонить клиенту")

    page = reader_client.get(reverse("automation:editor"))
    writes = {
        name: getattr(reader_client, method)(url).status_code
        for name, (method, url) in _urls(first_stage, robot).items()
        if name not in ("editor", "runs", "row")
    }

    assert page.status_code == 200
    assert "Позвонить клиенту" in page.content.decode()
    assert reverse("automation:robot_toggle", args=[robot.pk]) not in page.content.decode()
    assert set(writes.values()) == {403}, writes
    robot.refresh_from_db()
    assert robot.is_active


@pytest.mark.parametrize("name", ["update", "runs", "toggle", "delete", "update_post"])
def test_a_robot_that_does_not_exist_is_404(admin_client, first_stage, name):
    robot = RobotFactory(stage=first_stage)
    method, url = _urls(first_stage, robot)[name]
    robot.delete()

    assert getattr(admin_client, method)(url).status_code == 404


# ---- The editor page ---------------------------------------------------------------------------


def test_the_editor_shows_the_stages_with_their_robots_in_order(admin_client, pipeline):
    first, second = stage_of(pipeline, "new"), stage_of(pipeline, "in_progress")
    RobotFactory(stage=first, name="Второй", sort=20)
    RobotFactory(
        stage=first,
        name="Первый",
        sort=10,
        timing={"type": "after", "amount": 2, "unit": "hours"},
        condition={"join": "and", "rules": [{"field": "amount", "op": "gte", "value": "1000"}]},
    )
    RobotFactory(
        stage=second,
        name="Третий",
        is_active=False,
        action="move_stage",
        params={"stage": stage_of(pipeline, "won").pk},
    )

    response = admin_client.get(reverse("automation:editor") + f"?pipeline={pipeline.pk}")

    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("Первый") < html.index("Второй") < html.index("Третий")
    assert "After 2 hours" in html
    assert "≥ 1000" in html
    assert "Move to a stage" in html
    assert 'class="robot-card off"' in html
    for code in ("new", "in_progress", "won", "lost"):
        assert stage_of(pipeline, code).name in html


def test_the_switcher_lists_lead_and_deal_pipelines(admin_client, pipeline):
    other = PipelineFactory.with_stages(name="Тендеры")

    html = admin_client.get(reverse("automation:editor") + f"?pipeline={other.pk}").content.decode()

    assert "Тендеры" in html and pipeline.name in html
    assert f'href="?pipeline={other.pk}" class="current"' in html


def test_the_editor_costs_the_same_queries_with_more_robots(
    admin_client, pipeline, django_assert_num_queries
):
    stage = stage_of(pipeline, "new")
    url = reverse("automation:editor") + f"?pipeline={pipeline.pk}"
    RobotFactory(stage=stage)
    admin_client.get(url)
    # session, user, rights, pipelines, stages, robots, triggers, custom fields
    with django_assert_num_queries(8) as few:
        admin_client.get(url)
    for _ in range(5):
        RobotFactory(stage=stage_of(pipeline, "in_progress"))
    with django_assert_num_queries(len(few.captured_queries)):
        admin_client.get(url)


def test_an_htmx_refresh_gets_only_the_board(admin_client, pipeline):
    response = admin_client.get(reverse("automation:editor"), headers=HTMX)

    assert response.status_code == 200
    assert 'id="settings-list"' in response.content.decode()
    assert "<html" not in response.content.decode()


# ---- The robot dialog --------------------------------------------------------------------------


def test_the_dialog_generates_the_action_s_parameters(admin_client, first_stage):
    url = reverse("automation:robot_create", args=[first_stage.pk])

    assign = admin_client.get(url + "?action=assign").content.decode()
    move = admin_client.get(url + "?action=move_stage").content.decode()

    assert 'name="p_strategy"' in assign and 'name="p_users"' in assign
    assert 'name="p_stage"' in move and stage_of(first_stage.pipeline, "won").name in move


def test_adding_a_robot_goes_through_the_service(admin_client, first_stage, manager):
    response = admin_client.post(
        reverse("automation:robot_create", args=[first_stage.pk]),
        {
            "name": "Раздать",
            "action": "assign",
            "stage": first_stage.pk,
            "is_active": "on",
            "p_strategy": "round_robin",
            "p_users": [manager.pk],
            "c_join": "or",
            "c_field": ["amount", "title", "title", ""],
            "c_op": ["gte", "not_empty", "in", "eq"],
            "c_value": ["5000", "", "Станки, Прессы", ""],
            "t_type": "after",
            "t_amount": "3",
            "t_unit": "days",
            "t_working_hours": "on",
        },
    )

    assert response.status_code == 204
    assert "voronka:modal-close" in _triggers(response)
    robot = Robot.objects.get()
    assert (robot.name, robot.action, robot.stage, robot.pipeline) == (
        "Раздать",
        "assign",
        first_stage,
        first_stage.pipeline,
    )
    assert robot.params == {"strategy": "round_robin", "users": [manager.pk]}
    assert robot.condition == {
        "join": "or",
        "rules": [
            {"field": "amount", "op": "gte", "value": "5000"},
            {"field": "title", "op": "not_empty"},
            {"field": "title", "op": "in", "value": ["Станки", "Прессы"]},
        ],
    }
    assert robot.timing == {"type": "after", "amount": 3, "unit": "days", "working_hours": True}


def test_a_refused_robot_comes_back_with_422_naming_the_field(admin_client, first_stage):
    response = admin_client.post(
        reverse("automation:robot_create", args=[first_stage.pk]),
        {
            "name": "Сломанный",
            "action": "assign",
            "stage": first_stage.pk,
            "p_strategy": "round_robin",
            "c_field": ["nope"],
            "c_op": ["eq"],
            "c_value": ["1"],
            "t_type": "at_field",
            "t_field": "",
        },
    )

    html = response.content.decode()
    assert response.status_code == 422
    assert "Choose the employees to assign in turn." in html
    assert "unknown field “nope”" in html
    assert "Choose a date field to run at." in html
    assert not Robot.objects.exists()


def test_a_required_parameter_is_named_under_its_field(admin_client, first_stage):
    response = admin_client.post(
        reverse("automation:robot_create", args=[first_stage.pk]),
        {"name": "Пустой", "action": "comment", "stage": first_stage.pk, "p_text": ""},
    )

    assert response.status_code == 422
    assert response.context["form"].errors["p_text"] == ["This parameter is required."]
    assert not Robot.objects.exists()


def test_editing_a_robot_changes_it_through_the_service(admin_client, first_stage):
    robot = RobotFactory(stage=first_stage)
    form = RobotForm(pipeline=first_stage.pipeline, robot=robot)
    data = {**_as_post(form), "name": "Новое имя", "p_text": "Перезвонить"}

    response = admin_client.post(reverse("automation:robot_update", args=[robot.pk]), data)

    assert response.status_code == 204
    robot.refresh_from_db()
    assert (robot.name, robot.params) == ("Новое имя", {"text": "Перезвонить"})


def _cases(pipeline, manager):
    return {
        "comment": {"text": "Позвонить {{ deal.title }}"},
        "set_fields": {
            "values": [
                {"field": "title", "template": "{{ deal.title }}!"},
                {"field": "amount", "expression": "amount * 0.9"},
                {"field": "comment", "value": "Готово"},
            ]
        },
        "move_stage": {"stage": stage_of(pipeline, "in_progress").pk},
        "send_email": {"subject": "Счёт", "body": "Здравствуйте, {{ deal.title }}"},
        "assign": {"strategy": "round_robin", "users": [manager.pk]},
        "create_task": {
            "title": "Перезвонить",
            "description": "Про {{ deal.title }}",
            "responsible": manager.pk,
            "deadline_amount": 2,
            "deadline_unit": "hours",
            "working_hours": True,
            "requires_control": True,
            "responsible_role": "chosen",
            "unless_open": True,
        },
        "create_linked_deal": {
            "pipeline": pipeline.pk,
            "by_loss_reason": True,
            "stage": stage_of(pipeline, "in_progress").pk,
            "title": "{{ deal.title }} (again)",
        },
        # A lead's action: its round trip is in test_actions_forms.py.
        "convert_lead": None,
        "call_webhook": {
            "url": "https://example.com/hook",
            "fields": ["title", "amount"],
            "extra": "source = crm\nmanager = {{ deal.responsible }}",
            "secret": "s3cret",
        },
        "wait_until": {"every_minutes": 10, "timeout_days": 3},
        "repeat_reminder": {
            "field": "closes_on",
            "text": "Samples received? {{ deal.title }}",
            "every_days": 7,
            "remind_with": "comment",
            "max_times": 4,
        },
        "notify": {
            "text": "{{ deal.title }}: the client is waiting",
            "to": "employees",
            "employees": [manager.pk],
        },
    }


def test_the_generated_form_round_trips_every_action_s_params(
    admin_client, pipeline, settings_admin
):
    cases = _cases(pipeline, settings_admin)
    assert {action.code for action in all_actions()} <= set(cases), "add a case for the action"
    stage = stage_of(pipeline, "new")
    for code, params in cases.items():
        if params is None:
            continue
        robot = RobotFactory(
            stage=stage,
            action=code,
            params=params,
            condition={
                "join": "or",
                "rules": [
                    {"field": "amount", "op": "gt", "value": "10"},
                    {"field": "title", "op": "in", "value": ["А", "Б"]},
                    {"field": "closes_on", "op": "empty"},
                ],
            },
            timing={
                "type": "at_field",
                "field": "closes_on",
                "offset": -1,
                "unit": "days",
                "time": "10:00",
            },
        )
        form = RobotForm(pipeline=pipeline, robot=robot)

        response = admin_client.post(
            reverse("automation:robot_update", args=[robot.pk]), _as_post(form)
        )

        assert response.status_code == 204, (
            code,
            response.context and response.context["form"].errors,
        )
        saved = Robot.objects.get(pk=robot.pk)
        assert (saved.params, saved.condition, saved.timing) == (
            robot.params,
            robot.condition,
            robot.timing,
        ), code


def test_an_added_row_is_an_empty_rule(admin_client, pipeline):
    url = reverse("automation:editor_row", args=[pipeline.pk])

    condition = admin_client.get(url + "?kind=condition")
    value = admin_client.get(url + "?kind=value")

    assert 'name="c_field"' in condition.content.decode()
    assert 'name="v_mode"' in value.content.decode()
    assert admin_client.get(url + "?kind=other").status_code == 404


# ---- Inline actions ----------------------------------------------------------------------------


def test_toggling_switches_a_robot_off_and_on(admin_client, first_stage):
    robot = RobotFactory(stage=first_stage)
    url = reverse("automation:robot_toggle", args=[robot.pk])

    off = admin_client.post(url)
    robot.refresh_from_db()
    assert (off.status_code, robot.is_active) == (204, False)
    assert "settings:changed" in _triggers(off)

    admin_client.post(url)
    robot.refresh_from_db()
    assert robot.is_active


def test_deleting_a_robot(admin_client, first_stage):
    robot = RobotFactory(stage=first_stage)

    response = admin_client.post(reverse("automation:robot_delete", args=[robot.pk]))

    assert response.status_code == 204
    assert not Robot.objects.exists()


def test_a_new_robot_runs_after_those_already_on_the_stage(admin_client, first_stage):
    earlier = RobotFactory(stage=first_stage, sort=500)

    admin_client.post(
        reverse("automation:robot_create", args=[first_stage.pk]),
        {"name": "Последний", "action": "comment", "stage": first_stage.pk, "p_text": "Привет"},
    )

    assert list(Robot.objects.order_by("sort", "pk").values_list("name", flat=True)) == [
        earlier.name,
        "Последний",
    ]


def test_reordering_after_a_drag(admin_client, first_stage):
    first, second = RobotFactory(stage=first_stage), RobotFactory(stage=first_stage)
    url = reverse("automation:robot_reorder", args=[first_stage.pk])

    response = admin_client.post(url, {"order": f"{second.pk},{first.pk}"})

    assert response.status_code == 204
    assert list(Robot.objects.order_by("sort", "pk")) == [second, first]


def test_a_stale_order_is_refused_with_422_and_nothing_changes(admin_client, first_stage):
    first, second = RobotFactory(stage=first_stage), RobotFactory(stage=first_stage)
    url = reverse("automation:robot_reorder", args=[first_stage.pk])

    response = admin_client.post(url, {"order": f"{second.pk}"})
    garbage = admin_client.post(url, {"order": "a,b"})

    assert (response.status_code, garbage.status_code) == (422, 422)
    assert list(Robot.objects.order_by("sort", "pk")) == [first, second]


# ---- The run log -------------------------------------------------------------------------------


def _runs(robot, deals, status=RunStatus.DONE):
    content_type = ContentType.objects.get_for_model(deals[0])
    now = timezone.now()
    return [
        RobotRun.objects.create(
            robot=robot,
            card_type=content_type,
            card_id=deal.pk,
            stage=robot.stage,
            status=status,
            due_at=now,
            finished_at=now,
            outcome=f"Сделано {deal.pk}",
            trace={"condition": {"join": "and", "rules": [{"text": "Сумма ≥ 10: да"}]}},
        )
        for deal in deals
    ]


def test_the_run_log_shows_the_latest_runs_with_why(admin_client, first_stage, make_deal):
    robot = RobotFactory(stage=first_stage)
    deal = DealFactory(title="Станки для завода", pipeline=first_stage.pipeline, stage=first_stage)
    _runs(robot, [deal])

    html = admin_client.get(reverse("automation:robot_runs", args=[robot.pk])).content.decode()

    assert "Станки для завода" in html
    assert reverse("sales:deal_detail", args=[deal.pk]) in html
    assert f"Сделано {deal.pk}" in html
    assert "Сумма ≥ 10: да" in html


def test_the_run_log_hides_cards_the_user_may_not_see(client, manager, first_stage):
    role_with((Entity.SETTINGS, Action.READ, Scope.ALL), members=[manager])
    robot = RobotFactory(stage=first_stage)
    deal = DealFactory(title="Чужая сделка", pipeline=first_stage.pipeline, stage=first_stage)
    _runs(robot, [deal])
    client.force_login(manager)

    html = client.get(reverse("automation:robot_runs", args=[robot.pk])).content.decode()

    assert "Чужая сделка" not in html
    assert f"#{deal.pk}" in html
    assert reverse("sales:deal_detail", args=[deal.pk]) not in html


def test_the_run_log_is_paged_by_keyset_with_constant_queries(
    admin_client, first_stage, make_deal, django_assert_num_queries, monkeypatch
):
    monkeypatch.setattr("voronka.automation.selectors.RUNS_PAGE", 3)
    robot = RobotFactory(stage=first_stage)
    deals = [DealFactory(pipeline=first_stage.pipeline, stage=first_stage) for _ in range(5)]
    runs = _runs(robot, deals)
    url = reverse("automation:robot_runs", args=[robot.pk])
    admin_client.get(url)

    # session, user, rights, robot, runs, deals
    with django_assert_num_queries(6):
        first = admin_client.get(url)
    with django_assert_num_queries(6):
        second = admin_client.get(url + f"?before={runs[2].pk}", headers=HTMX)

    first_html, second_html = first.content.decode(), second.content.decode()
    assert [f"Сделано {d.pk}" in first_html for d in deals] == [False, False, True, True, True]
    assert f"?before={runs[2].pk}" in first_html
    assert [f"Сделано {d.pk}" in second_html for d in deals] == [True, True, False, False, False]
    assert "?before=" not in second_html


def test_the_dialog_costs_the_same_queries_with_more_employees_and_fields(
    admin_client, first_stage, django_assert_num_queries
):
    from voronka.staff.tests.factories import UserFactory

    robot = RobotFactory(stage=first_stage, action="assign", params={"strategy": "department"})
    url = reverse("automation:robot_update", args=[robot.pk])
    admin_client.get(url)
    with CaptureQueriesContext(connection) as few:
        admin_client.get(url)
    UserFactory.create_batch(4)

    with django_assert_num_queries(len(few.captured_queries)):
        response = admin_client.get(url)

    assert response.status_code == 200


def test_a_lead_pipeline_has_its_own_editor_and_hints(admin_client):
    lead_pipeline = PipelineFactory.with_stages(entity="lead", name="Лиды с сайта")
    stage = stage_of(lead_pipeline, "new")

    page = admin_client.get(reverse("automation:editor") + f"?pipeline={lead_pipeline.pk}")
    dialog = admin_client.get(reverse("automation:robot_create", args=[stage.pk]))

    assert page.status_code == dialog.status_code == 200
    assert "{{ lead.title }}" in dialog.content.decode()
