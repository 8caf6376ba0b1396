"""A pipeline's automation as one JSON document: exported without database ids, imported into
another pipeline (another installation) with every reference resolved by name, validated
completely before anything is written."""

import copy
import json

import pytest
from django.core.exceptions import PermissionDenied

from voronka.automation.models import Robot, RobotRun
from voronka.automation.services import runs_create
from voronka.automation.tests.factories import RobotFactory
from voronka.automation.transfer import (
    FORMAT,
    export_json,
    export_pipeline,
    import_pipeline,
    param_reference,
    parse_document,
)
from voronka.customization.models import CustomField, EntityType, FieldType
from voronka.sales.models import Deal, Pipeline, StageKind
from voronka.sales.tests.factories import LossReasonFactory, PipelineFactory, stage_of
from voronka.staff.models import Department

pytestmark = pytest.mark.django_db


@pytest.fixture
def automated(pipeline, manager, other_manager, department):
    """A deal pipeline whose robots refer to employees, a department, a loss reason, a stage of
    another pipeline and a custom employee field."""
    new, in_progress, lost = (stage_of(pipeline, code) for code in ("new", "in_progress", "lost"))
    rewarm = PipelineFactory.with_stages(name="Re-warming", entity="deal")
    reason = LossReasonFactory(name="Too expensive")
    CustomField.objects.create(
        entity=EntityType.DEAL, code="curator", label="Curator", field_type=FieldType.EMPLOYEE
    )
    RobotFactory(
        stage=new,
        name="Greet",
        params={"text": "Hello, {{ deal.title }}"},
        condition={
            "join": "or",
            "rules": [
                {"field": "responsible", "op": "eq", "value": manager.pk},
                {"field": "curator", "op": "in", "value": [other_manager.pk]},
                {"field": "amount", "op": "gte", "value": "1000"},
            ],
        },
        timing={"type": "after", "amount": 2, "unit": "hours"},
    )
    RobotFactory(
        stage=new,
        name="Assign",
        action="assign",
        params={"strategy": "round_robin", "users": [manager.pk, other_manager.pk]},
    )
    RobotFactory(
        stage=new,
        name="Department",
        action="assign",
        params={"strategy": "department", "department": department.pk},
        is_active=False,
    )
    RobotFactory(
        stage=in_progress,
        name="Call",
        action="create_task",
        params={"title": "Call {{ deal.title }}", "responsible": other_manager.pk},
    )
    RobotFactory(
        stage=in_progress,
        name="Hand over",
        action="set_fields",
        params={
            "values": [
                {"field": "responsible", "value": other_manager.pk},
                {"field": "title", "template": "{{ deal.title }}!"},
            ]
        },
    )
    RobotFactory(
        stage=in_progress,
        name="Give up",
        action="move_stage",
        params={"stage": lost.pk, "loss_reason": reason.pk},
    )
    RobotFactory(
        stage=lost,
        name="Re-warm",
        action="move_stage",
        params={"stage": stage_of(rewarm, "new").pk},
    )
    return pipeline


def test_the_export_names_what_robots_refer_to_and_holds_no_database_ids(
    automated, manager, other_manager, department
):
    document = export_pipeline(automated)

    assert document["format"] == FORMAT and document["version"] == 1
    assert document["pipeline"]["stages"][0] == {"code": "new", "name": "New", "kind": "open"}
    robots = {robot["name"]: robot for robot in document["robots"]}
    assert [robot["name"] for robot in document["robots"]] == [
        "Greet",
        "Assign",
        "Department",
        "Call",
        "Hand over",
        "Give up",
        "Re-warm",
    ]
    assert robots["Greet"]["stage"] == "new"
    assert [rule.get("value") for rule in robots["Greet"]["condition"]["rules"]] == [
        manager.username,
        [other_manager.username],
        "1000",
    ]
    assert robots["Assign"]["params"]["users"] == [manager.username, other_manager.username]
    assert robots["Department"]["params"]["department"] == department.name
    assert robots["Department"]["is_active"] is False
    assert robots["Call"]["params"]["responsible"] == other_manager.username
    assert robots["Hand over"]["params"]["values"][0] == {
        "field": "responsible",
        "value": other_manager.username,
    }
    assert robots["Give up"]["params"] == {"stage": "lost", "loss_reason": "Too expensive"}
    assert robots["Re-warm"]["params"] == {"stage": {"pipeline": "Re-warming", "code": "new"}}
    assert robots["Greet"]["timing"] == {"type": "after", "amount": 2, "unit": "hours"}
    text = export_json(automated)
    assert json.loads(text) == document
    assert '"id"' not in text


def _fresh_copy(document: dict) -> Pipeline:
    """The pipeline as another installation has it: same name and stage codes, no robots."""
    described = document["pipeline"]
    return PipelineFactory.with_stages(
        name=described["name"],
        entity=described["entity"],
        stages=[(stage["code"], stage["kind"]) for stage in described["stages"]],
    )


def test_export_then_import_into_a_fresh_pipeline_then_export_gives_the_same_json(
    automated, admin_user
):
    first = export_json(automated)
    Robot.objects.all().delete()
    automated.delete()
    fresh = _fresh_copy(json.loads(first))

    report = import_pipeline(actor=admin_user, pipeline=fresh, data=json.loads(first))

    assert report.ok and report.written, report.errors
    assert len(report.created) == 7 and not report.updated and not report.deleted
    assert export_json(fresh) == first


def test_imported_robots_work_with_this_installations_ids(automated, admin_user, other_manager):
    document = export_pipeline(automated)
    target = _fresh_copy({**document, "pipeline": {**document["pipeline"], "name": "Copy"}})

    import_pipeline(actor=admin_user, pipeline=target, data=document)

    call = Robot.objects.get(pipeline=target, name="Call")
    assert call.stage == stage_of(target, "in_progress")
    assert call.params["responsible"] == other_manager.pk
    give_up = Robot.objects.get(pipeline=target, name="Give up")
    assert give_up.params["stage"] == stage_of(target, "lost").pk
    re_warm = Robot.objects.get(pipeline=target, name="Re-warm")
    assert re_warm.params["stage"] == stage_of(Pipeline.objects.get(name="Re-warming"), "new").pk


def test_anything_missing_is_an_error_naming_the_robot_parameter_and_thing_and_nothing_is_written(
    automated, admin_user
):
    document = export_pipeline(automated)
    broken = copy.deepcopy(document)
    broken["robots"][1]["params"]["users"][1] = "nobody"
    broken["robots"][2]["params"]["department"] = "Sales abroad"
    broken["robots"][3]["params"]["responsible"] = "petrov"
    broken["robots"][5]["params"]["loss_reason"] = "Weather"
    broken["robots"][6]["params"]["stage"] = {"pipeline": "Re-warming", "code": "gone"}
    broken["robots"][0]["stage"] = "negotiation"
    broken["robots"][0]["condition"]["rules"][0]["value"] = "ghost"
    target = _fresh_copy({**document, "pipeline": {**document["pipeline"], "name": "Copy"}})
    RobotFactory(stage=stage_of(target, "new"), name="Already there")

    report = import_pipeline(actor=admin_user, pipeline=target, data=broken)

    assert not report.ok and not report.written
    assert report.errors == [
        "robots[0].stage: no stage with the code “negotiation” in “Copy”.",
        "robots[0].condition.rules[0].value: no employee with the username “ghost” here.",
        "robots[1].params.users[1]: no employee with the username “nobody” here.",
        "robots[2].params.department: no department named “Sales abroad” here.",
        "robots[3].params.responsible: no employee with the username “petrov” here.",
        "robots[5].params.loss_reason: no loss reason named “Weather” here.",
        "robots[6].params.stage: no stage with the code “gone (Re-warming)” here.",
    ]
    assert list(Robot.objects.filter(pipeline=target).values_list("name", flat=True)) == [
        "Already there"
    ]


def test_each_robot_is_validated_against_its_action_schema_with_the_json_path(
    automated, admin_user
):
    document = export_pipeline(automated)
    document["robots"][0]["params"] = {"text": "", "colour": "red"}
    document["robots"][1]["action"] = "teleport"
    document["robots"][3]["timing"] = {"type": "sometime"}
    document["robots"][4]["name"] = ""
    before = Robot.objects.count()

    report = import_pipeline(actor=admin_user, pipeline=automated, data=document)

    assert report.errors == [
        "robots[0].params.colour: Unknown parameter.",
        "robots[0].params.text: This parameter is required.",
        "robots[1].action: unknown “teleport”.",
        "robots[3].timing: Unknown timing “sometime”.",
        "robots[4].name: This field cannot be blank.",
    ]
    assert Robot.objects.count() == before


@pytest.mark.parametrize(
    ("document", "error"),
    [
        ([], "The document is a JSON object."),
        ({"format": "other"}, "format: this is not a Voronka automation file"),
        ({"format": FORMAT, "version": 2}, "version: version 2 is not supported"),
        (
            {"format": FORMAT, "version": 1, "pipeline": {"entity": "lead"}},
            "pipeline.entity: the file is for “lead”",
        ),
        (
            {"format": FORMAT, "version": 1, "pipeline": {"entity": "deal"}, "robots": {}},
            "robots: a list is expected.",
        ),
    ],
)
def test_a_document_of_another_kind_is_refused(pipeline, admin_user, document, error):
    report = import_pipeline(actor=admin_user, pipeline=pipeline, data=document)

    assert len(report.errors) == 1 and report.errors[0].startswith(error), report.errors


def test_bad_json_is_explained():
    data, errors = parse_document(b'{"format": ')

    assert data is None
    assert errors[0].startswith("The file is not valid JSON: Expecting value (line 1")
    assert parse_document(b"\xff\xfe")[1] == ["The file is not UTF-8 text."]


def test_replace_updates_robots_matched_by_stage_and_name_keeps_their_runs_and_deletes_the_rest(
    automated, admin_user, make_deal
):
    document = export_pipeline(automated)
    greet = Robot.objects.get(name="Greet")
    deal = make_deal()
    runs_create(model=Deal, card_id=deal.pk, stage_id=greet.stage_id)
    document["robots"] = [robot for robot in document["robots"] if robot["name"] != "Assign"]
    document["robots"][0]["params"]["text"] = "Changed"
    document["robots"].append({**document["robots"][0], "name": "Another"})

    preview = import_pipeline(
        actor=admin_user, pipeline=automated, data=document, mode="replace", dry_run=True
    )
    assert not preview.written
    assert [change.name for change in preview.deleted] == ["Assign"]
    assert [change.name for change in preview.created] == ["Another"]
    assert Robot.objects.filter(name="Assign").exists()

    report = import_pipeline(actor=admin_user, pipeline=automated, data=document, mode="replace")

    assert report.written
    greet.refresh_from_db()
    assert greet.params == {"text": "Changed"}
    assert RobotRun.objects.filter(robot=greet).exists()
    assert not Robot.objects.filter(name="Assign").exists()
    assert Robot.objects.filter(pipeline=automated).count() == 7


def test_merge_adds_and_updates_but_deletes_nothing(automated, admin_user):
    document = export_pipeline(automated)
    document["robots"] = [{**document["robots"][0], "name": "Second greeting"}]

    report = import_pipeline(actor=admin_user, pipeline=automated, data=document, mode="merge")

    assert [change.name for change in report.created] == ["Second greeting"]
    assert not report.deleted
    assert Robot.objects.filter(pipeline=automated).count() == 8


def test_a_manager_may_not_import(automated, manager):
    document = export_pipeline(automated)

    with pytest.raises(PermissionDenied):
        import_pipeline(actor=manager, pipeline=automated, data=document)


def test_the_system_imports_without_a_user(pipeline):
    document = {
        "format": FORMAT,
        "version": 1,
        "pipeline": {"entity": "deal", "name": pipeline.name, "stages": []},
        "robots": [
            {"stage": "won", "name": "Thank", "action": "comment", "params": {"text": "Hi"}}
        ],
    }

    report = import_pipeline(actor=None, pipeline=pipeline, data=document)

    assert report.written
    robot = Robot.objects.get()
    assert (robot.stage.code, robot.sort, robot.is_active) == ("won", 100, True)


def test_parameter_types_holding_ids_are_mapped_by_one_table():
    assert param_reference("stage", {"type": "stage"}) == ("stage", False)
    assert param_reference("users", {"type": "employees"}) == ("employee", True)
    assert param_reference("department", {"type": "department"}) == ("department", False)
    assert param_reference("responsible", {"type": "integer"}) == ("employee", False)
    assert param_reference("deadline_amount", {"type": "integer"}) is None
    assert param_reference("text", {"type": "template"}) is None
    assert param_reference("owner", {"type": "integer", "reference": "employee"}) == (
        "employee",
        False,
    )


def test_an_ambiguous_name_is_an_error(automated, admin_user, department):
    Department.objects.create(name=department.name)
    document = export_pipeline(automated)

    report = import_pipeline(actor=admin_user, pipeline=automated, data=document)

    assert report.errors == [
        f"robots[2].params.department: no department named “{department.name} (2 of them)” here."
    ]


def test_a_lost_stage_pipeline_of_leads_is_exported_too(admin_user):
    leads = PipelineFactory.with_stages(entity="lead", stages=[("new", StageKind.OPEN)])
    RobotFactory(stage=stage_of(leads, "new"), params={"text": "{{ lead.title }}"})

    document = export_pipeline(leads)

    assert document["pipeline"]["entity"] == "lead"
    assert document["robots"][0]["params"] == {"text": "{{ lead.title }}"}


# ---- Triggers and monitoring rules travel with the robots --------------------------------------


@pytest.fixture
def with_triggers(automated):
    from voronka.automation.models import MonitoringRule, Trigger

    in_progress, won, lost = (stage_of(automated, code) for code in ("in_progress", "won", "lost"))
    reason = LossReasonFactory(name="Went silent")
    Trigger.objects.create(
        pipeline=automated,
        stage=in_progress,
        name="Task done",
        kind="task_completed",
        params={"robot_tasks_only": True},
        sort=10,
    )
    Trigger.objects.create(
        pipeline=automated, stage=won, name="Paid", kind="inbound_webhook", secret="s3cret"
    )
    Trigger.objects.create(
        pipeline=automated,
        stage=lost,
        name="Silent",
        kind="field_changed",
        params={"fields": ["comment"], "loss_reason": reason.pk},
        condition={"rules": [{"field": "source", "op": "empty"}]},
        allow_backwards=True,
    )
    MonitoringRule.objects.create(
        kind="deal_without_task",
        name="No task",
        pipeline=automated,
        params={"title": "Plan {{ deal.title }}", "deadline_days": 1},
        is_active=True,
    )
    return automated


def test_triggers_and_monitoring_rules_are_exported_without_ids_or_secrets(with_triggers):
    document = export_pipeline(with_triggers)

    triggers = {trigger["name"]: trigger for trigger in document["triggers"]}
    assert [trigger["name"] for trigger in document["triggers"]] == ["Task done", "Paid", "Silent"]
    assert triggers["Silent"] == {
        "stage": "lost",
        "name": "Silent",
        "sort": 100,
        "kind": "field_changed",
        "params": {"fields": ["comment"], "loss_reason": "Went silent"},
        "condition": {"rules": [{"field": "source", "op": "empty"}]},
        "allow_backwards": True,
        "is_active": True,
    }
    assert "s3cret" not in export_json(with_triggers)
    assert document["monitoring"] == [
        {
            "kind": "deal_without_task",
            "name": "No task",
            "params": {"title": "Plan {{ deal.title }}", "deadline_days": 1},
            "is_active": True,
        }
    ]


def test_the_round_trip_holds_for_triggers_and_monitoring_rules(with_triggers, admin_user):
    from voronka.automation.models import MonitoringRule, Trigger

    first = export_json(with_triggers)
    Robot.objects.all().delete()
    with_triggers.delete()
    fresh = _fresh_copy(json.loads(first))

    report = import_pipeline(actor=admin_user, pipeline=fresh, data=json.loads(first))

    assert report.written, report.errors
    assert export_json(fresh) == first
    paid = Trigger.objects.get(pipeline=fresh, name="Paid")
    assert paid.secret and paid.secret != "s3cret"
    assert MonitoringRule.objects.get(pipeline=fresh).name == "No task"


def test_replacing_keeps_a_webhook_triggers_secret_and_validates_triggers_and_rules(
    with_triggers, admin_user
):
    from voronka.automation.models import MonitoringRule, Trigger

    document = export_pipeline(with_triggers)
    report = import_pipeline(actor=admin_user, pipeline=with_triggers, data=document)
    assert report.written and len(report.updated) == 7 + 3 + 1 and not report.deleted
    assert Trigger.objects.get(name="Paid").secret == "s3cret"

    document["triggers"][2]["params"]["loss_reason"] = "Weather"
    document["triggers"][0]["kind"] = "rain"
    document["monitoring"][0]["params"]["deadline_days"] = "soon"
    document["monitoring"].append({"kind": "deal_without_task", "name": "", "params": {}})

    report = import_pipeline(actor=admin_user, pipeline=with_triggers, data=document)

    assert report.errors == [
        "triggers[0].kind: unknown “rain”.",
        "triggers[2].params.loss_reason: no loss reason named “Weather” here.",
        "monitoring[0].params.deadline_days: choose a value.",
        "monitoring[1].name: This field cannot be blank.",
        "monitoring[1].params.title: This parameter is required.",
    ]
    assert MonitoringRule.objects.count() == 1


def test_a_reference_to_something_gone_is_exported_as_it_is_and_refused_on_import(
    pipeline, admin_user
):
    RobotFactory(
        stage=stage_of(pipeline, "new"),
        name="Orphan",
        action="create_task",
        params={"title": "Call", "responsible": 987654},
    )
    document = export_pipeline(pipeline)
    assert document["robots"][0]["params"]["responsible"] == 987654

    report = import_pipeline(actor=admin_user, pipeline=pipeline, data=document)

    assert report.errors == [
        "robots[0].params.responsible: no employee with the username “987654” here."
    ]


def test_a_stage_of_a_missing_pipeline_is_named_with_its_pipeline(automated, admin_user):
    document = export_pipeline(automated)
    document["robots"][6]["params"]["stage"] = {"pipeline": "Gone", "code": "new"}

    report = import_pipeline(actor=admin_user, pipeline=automated, data=document)

    assert report.errors == ["robots[6].params.stage: no stage with the code “new (Gone)” here."]


def test_a_deeply_nested_file_is_refused_not_crashed_on():
    assert parse_document("[" * 100_000 + "]" * 100_000)[1] == ["The file is nested too deeply."]
