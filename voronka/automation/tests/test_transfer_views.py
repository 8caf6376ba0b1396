"""Export and import of a pipeline's automation from the robot editor, and from the command
line."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from voronka.access.models import Action, Entity, Scope
from voronka.access.tests.factories import role_with
from voronka.automation.models import Robot
from voronka.automation.tests.factories import RobotFactory
from voronka.automation.transfer import export_json
from voronka.sales.tests.factories import PipelineFactory, stage_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def robots(pipeline, manager):
    RobotFactory(stage=stage_of(pipeline, "new"), name="Greet", params={"text": "Hi"})
    RobotFactory(
        stage=stage_of(pipeline, "in_progress"),
        name="Assign",
        action="assign",
        params={"strategy": "round_robin", "users": [manager.pk]},
    )
    return pipeline


def _upload(content: bytes, name="automation.json"):
    return SimpleUploadedFile(name, content, content_type="application/json")


def _export_url(pipeline):
    return reverse("automation_transfer:export", args=[pipeline.pk])


def _import_url(pipeline):
    return reverse("automation_transfer:import", args=[pipeline.pk])


def test_export_downloads_the_pipelines_automation_as_a_json_file(
    client, admin_user, robots, django_assert_num_queries
):
    client.force_login(admin_user)
    robots.name = "Продажи опт"
    robots.save()

    # Session, user, pipeline, stages, robots, the usernames, triggers, monitoring rules.
    with django_assert_num_queries(8):
        response = client.get(_export_url(robots))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert (
        "automation-%D0%BF%D1%80%D0%BE%D0%B4%D0%B0%D0%B6%D0%B8-%D0%BE%D0%BF%D1%82.json"
        in (response["Content-Disposition"])
    )
    assert response["Content-Disposition"].startswith("attachment")
    document = json.loads(response.content)
    assert [robot["name"] for robot in document["robots"]] == ["Greet", "Assign"]


def test_a_manager_may_neither_export_nor_import(client, manager, robots):
    client.force_login(manager)

    assert client.get(_export_url(robots)).status_code == 403
    assert client.get(_import_url(robots)).status_code == 403
    response = client.post(_import_url(robots), {"file": _upload(b"{}"), "mode": "replace"})
    assert response.status_code == 403


def test_reading_the_settings_lets_export_but_not_import(client, manager, robots):
    role_with((Entity.SETTINGS, Action.READ, Scope.ALL), members=[manager])
    client.force_login(manager)

    assert client.get(_export_url(robots)).status_code == 200
    assert client.get(_import_url(robots)).status_code == 403


def test_a_missing_pipeline_is_404(client, admin_user):
    client.force_login(admin_user)

    assert client.get(reverse("automation_transfer:export", args=[999999])).status_code == 404
    assert client.get(reverse("automation_transfer:import", args=[999999])).status_code == 404


def test_import_previews_the_changes_then_writes_them_on_confirmation(client, admin_user, robots):
    client.force_login(admin_user)
    document = json.loads(export_json(robots))
    document["robots"][0]["params"]["text"] = "Hello"
    document["robots"][1]["name"] = "Assign in turn"
    target = PipelineFactory.with_stages(name="Copy")
    RobotFactory(stage=stage_of(target, "won"), name="Thank")

    page = client.get(_import_url(target))
    assert page.status_code == 200
    assert 'name="file"' in page.content.decode()

    preview = client.post(
        _import_url(target),
        {"file": _upload(json.dumps(document).encode()), "mode": "replace"},
    )
    text = preview.content.decode()
    assert preview.status_code == 200, text
    assert "import-preview" in text and "Assign in turn" in text and "Thank" in text
    assert "<td>Robot</td>" in text
    assert Robot.objects.filter(pipeline=target).count() == 1

    done = client.post(
        _import_url(target),
        {"confirm": "1", "mode": "replace", "document": json.dumps(document)},
    )

    assert done.status_code == 204
    assert "voronka:toast" in done["HX-Trigger"]
    assert sorted(Robot.objects.filter(pipeline=target).values_list("name", flat=True)) == [
        "Assign in turn",
        "Greet",
    ]


def test_merge_keeps_what_the_file_does_not_name(client, admin_user, robots):
    client.force_login(admin_user)
    document = json.loads(export_json(robots))
    target = PipelineFactory.with_stages(name="Copy")
    RobotFactory(stage=stage_of(target, "won"), name="Thank")

    client.post(
        _import_url(target), {"confirm": "1", "mode": "merge", "document": json.dumps(document)}
    )

    assert Robot.objects.filter(pipeline=target).count() == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "The file is not valid JSON"),
        (b"\xff\xfe\x00", "The file is not UTF-8 text."),
        (b'{"format": "other"}', "this is not a Voronka automation file"),
    ],
)
def test_a_bad_file_is_explained_with_422(client, admin_user, robots, content, message):
    client.force_login(admin_user)

    response = client.post(_import_url(robots), {"file": _upload(content), "mode": "replace"})

    assert response.status_code == 422
    assert message in response.content.decode()


def test_problems_are_listed_with_their_paths_and_nothing_is_written(client, admin_user, robots):
    client.force_login(admin_user)
    document = json.loads(export_json(robots))
    document["robots"][1]["params"]["users"] = ["nobody"]
    before = list(Robot.objects.values_list("pk", "name", "params"))

    response = client.post(
        _import_url(robots), {"file": _upload(json.dumps(document).encode()), "mode": "replace"}
    )
    confirmed = client.post(
        _import_url(robots),
        {"confirm": "1", "mode": "replace", "document": json.dumps(document)},
    )

    assert response.status_code == 422 and confirmed.status_code == 422
    assert "robots[1].params.users[0]: no employee with the username “nobody” here." in (
        response.content.decode()
    )
    assert list(Robot.objects.values_list("pk", "name", "params")) == before


def test_a_file_over_the_size_limit_is_refused(client, admin_user, robots, settings):
    settings.AUTOMATION_IMPORT_MAX_BYTES = 100
    client.force_login(admin_user)

    response = client.post(_import_url(robots), {"file": _upload(b" " * 200), "mode": "replace"})

    assert response.status_code == 422
    assert "The file is larger than 0 KB." in response.content.decode()


def test_no_file_is_a_form_error(client, admin_user, robots):
    client.force_login(admin_user)

    response = client.post(_import_url(robots), {"mode": "replace"})

    assert response.status_code == 422


def test_the_commands_export_to_a_file_and_import_it_into_another_pipeline(
    robots, tmp_path, manager
):
    output = tmp_path / "automation.json"
    call_command("export_automation", robots.name, "-o", str(output), stderr=io.StringIO())
    target = PipelineFactory.with_stages(name="Copy")

    dry = io.StringIO()
    call_command("import_automation", str(output), "--pipeline", "Copy", "--dry-run", stdout=dry)
    assert "2 would be created" in dry.getvalue()
    assert not Robot.objects.filter(pipeline=target).exists()

    out = io.StringIO()
    call_command("import_automation", str(output), "--pipeline", "Copy", stdout=out)

    assert "2 were created, 0 updated, 0 deleted." in out.getvalue()
    assert Robot.objects.get(pipeline=target, name="Assign").params["users"] == [manager.pk]
    printed = io.StringIO()
    call_command("export_automation", "Copy", stdout=printed)
    assert json.loads(printed.getvalue())["robots"][1]["params"]["users"] == [manager.username]


def test_the_import_command_lists_the_problems_and_fails(robots, tmp_path):
    document = json.loads(export_json(robots))
    document["robots"][0]["stage"] = "nowhere"
    path_ = tmp_path / "automation.json"
    path_.write_text(json.dumps(document))

    with pytest.raises(CommandError, match=r"robots\[0\]\.stage: no stage with the code"):
        call_command("import_automation", str(path_), "--pipeline", robots.name, "--merge")
    with pytest.raises(CommandError, match="No pipeline named “Nowhere”"):
        call_command("export_automation", "Nowhere")


def test_the_editor_buttons_offer_import_only_to_who_may_change_the_settings(
    rf, admin_user, manager, pipeline
):
    from django.template.loader import render_to_string

    role_with((Entity.SETTINGS, Action.READ, Scope.ALL), members=[manager])
    context = {"pipeline": pipeline}

    admin_html = render_to_string(
        "automation/transfer/_buttons.html", {**context, "user": admin_user}
    )
    reader_html = render_to_string(
        "automation/transfer/_buttons.html", {**context, "user": manager}
    )

    assert _export_url(pipeline) in admin_html and _import_url(pipeline) in admin_html
    assert _export_url(pipeline) in reader_html and _import_url(pipeline) not in reader_html
