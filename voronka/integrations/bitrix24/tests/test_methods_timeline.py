"""``crm.timeline.comment.{update,delete,fields}`` and ``crm.activity.{update,delete,fields}``."""

import json

import pytest

from voronka.access.models import Action, AuditEvent, Entity, Scope
from voronka.access.tests.factories import role_with
from voronka.integrations.bitrix24.models import EventBinding
from voronka.integrations.bitrix24.tests.conftest import make_webhook
from voronka.sales.tests.factories import LeadFactory
from voronka.timeline.models import Activity, ActivityKind, EntryKind, TimelineEntry
from voronka.timeline.services import activity_create, comment_add

pytestmark = pytest.mark.django_db


def call(client, hook, name, payload):
    response = client.post(hook + name, json.dumps(payload), content_type="application/json")
    return response.status_code, response.json()


# --- comments -----------------------------------------------------------------------------


def test_the_author_changes_and_deletes_a_comment(client, manager):
    lead = LeadFactory(responsible=manager)
    entry = comment_add(actor=manager, card=lead, text="First thought")
    hook = make_webhook(manager)

    status, updated = call(
        client,
        hook,
        "crm.timeline.comment.update",
        {"id": entry.pk, "fields": {"COMMENT": "Second thought"}},
    )
    _, read = call(client, hook, "crm.timeline.comment.get", {"id": entry.pk})
    _, deleted = call(client, hook, "crm.timeline.comment.delete", {"id": entry.pk})
    gone = call(client, hook, "crm.timeline.comment.get", {"id": entry.pk})

    assert (status, updated["result"]) == (200, entry.pk)
    assert read["result"]["COMMENT"] == "Second thought"
    assert deleted["result"] is True
    assert gone == (400, {"error": "NOT_FOUND", "error_description": "Not found"})
    audit = AuditEvent.objects.get(action="comment.delete")
    assert audit.details["text"] == "Second thought"
    assert audit.details["card_id"] == lead.pk


def test_an_empty_comment_is_refused_and_named(client, manager):
    entry = comment_add(actor=manager, card=LeadFactory(responsible=manager), text="Kept")

    status, answer = call(
        client,
        make_webhook(manager),
        "crm.timeline.comment.update",
        {"id": entry.pk, "fields": {"COMMENT": " "}},
    )

    assert (status, answer["error"]) == (400, "INVALID_ARG_VALUE")
    assert answer["error_description"].startswith("COMMENT:")
    entry.refresh_from_db()
    assert entry.text == "Kept"


def test_a_comment_on_a_hidden_card_is_not_found(client, manager, other_manager):
    entry = comment_add(
        actor=other_manager, card=LeadFactory(responsible=other_manager), text="Theirs"
    )
    hook = make_webhook(manager)

    updated = call(
        client, hook, "crm.timeline.comment.update", {"id": entry.pk, "fields": {"COMMENT": "x"}}
    )
    deleted = call(client, hook, "crm.timeline.comment.delete", {"id": entry.pk})

    assert updated == deleted == (400, {"error": "NOT_FOUND", "error_description": "Not found"})
    assert TimelineEntry.objects.get(pk=entry.pk).text == "Theirs"


def test_only_the_author_changes_a_comment(client, manager, other_manager):
    role_with(
        (Entity.LEAD, Action.READ, Scope.ALL),
        (Entity.LEAD, Action.UPDATE, Scope.ALL),
        members=[manager],
    )
    entry = comment_add(
        actor=other_manager, card=LeadFactory(responsible=other_manager), text="Theirs"
    )

    status, answer = call(
        client,
        make_webhook(manager),
        "crm.timeline.comment.delete",
        {"id": entry.pk},
    )

    assert (status, answer["error"]) == (403, "ACCESS_DENIED")
    assert TimelineEntry.objects.filter(pk=entry.pk).exists()


def test_comment_fields_are_described(client, manager):
    _, answer = call(client, make_webhook(manager), "crm.timeline.comment.fields", {})

    assert answer["result"]["COMMENT"]["isRequired"] is True
    assert set(answer["result"]) >= {"ID", "ENTITY_ID", "ENTITY_TYPE", "AUTHOR_ID", "CREATED"}


def test_comment_methods_need_the_crm_scope(client, manager):
    entry = comment_add(actor=manager, card=LeadFactory(responsible=manager), text="Kept")

    status, answer = call(
        client,
        make_webhook(manager, scopes=["task"]),
        "crm.timeline.comment.delete",
        {"id": entry.pk},
    )

    assert (status, answer["error"]) == (401, "insufficient_scope")


def test_a_comment_change_is_posted_to_bound_handlers(
    client, manager, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(
        "voronka.integrations.bitrix24.tasks.deliver_event.delay",
        lambda binding_id, event, fields: sent.append((event, fields)),
    )
    EventBinding.objects.create(
        event="ONCRMTIMELINECOMMENTUPDATE",
        handler="https://example.org/b24",
        user=manager,
        application_token="t",
    )
    entry = comment_add(actor=manager, card=LeadFactory(responsible=manager), text="One")

    with django_capture_on_commit_callbacks(execute=True):
        call(
            client,
            make_webhook(manager),
            "crm.timeline.comment.update",
            {"id": entry.pk, "fields": {"COMMENT": "Two"}},
        )

    assert ("ONCRMTIMELINECOMMENTUPDATE", {"ID": entry.pk}) in sent


def test_a_new_comment_is_posted_to_bound_handlers(
    client, manager, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(
        "voronka.integrations.bitrix24.tasks.deliver_event.delay",
        lambda binding_id, event, fields: sent.append((event, fields)),
    )
    EventBinding.objects.create(
        event="ONCRMTIMELINECOMMENTADD",
        handler="https://example.org/b24",
        user=manager,
        application_token="t",
    )
    lead = LeadFactory(responsible=manager)

    with django_capture_on_commit_callbacks(execute=True):
        _, added = call(
            client,
            make_webhook(manager),
            "crm.timeline.comment.add",
            {"fields": {"ENTITY_ID": lead.pk, "ENTITY_TYPE": "lead", "COMMENT": "Hello"}},
        )

    assert ("ONCRMTIMELINECOMMENTADD", {"ID": added["result"]}) in sent


# --- activities ---------------------------------------------------------------------------


def _activity(user, card=None) -> Activity:
    return activity_create(
        actor=user,
        card=card or LeadFactory(responsible=user),
        kind=ActivityKind.CALL,
        subject="Call back",
        responsible=user,
    )


def test_an_activity_is_changed_completed_and_deleted(client, manager, other_manager):
    activity = _activity(manager)
    hook = make_webhook(manager)

    status, updated = call(
        client,
        hook,
        "crm.activity.update",
        {
            "id": activity.pk,
            "fields": {
                "SUBJECT": "Call back about the invoice",
                "DEADLINE": "2026-12-01T10:00:00+03:00",
                "RESPONSIBLE_ID": other_manager.pk,
            },
        },
    )
    _, read = call(client, hook, "crm.activity.get", {"id": activity.pk})
    _, completed = call(
        client, hook, "crm.activity.update", {"id": activity.pk, "fields": {"COMPLETED": "Y"}}
    )
    _, deleted = call(client, hook, "crm.activity.delete", {"id": activity.pk})

    assert (status, updated["result"]) == (200, True)
    assert read["result"]["SUBJECT"] == "Call back about the invoice"
    assert read["result"]["RESPONSIBLE_ID"] == str(other_manager.pk)
    assert read["result"]["DEADLINE"].startswith("2026-12-01T")
    assert completed["result"] is True
    assert deleted["result"] is True
    assert not Activity.objects.filter(pk=activity.pk).exists()
    assert not TimelineEntry.objects.filter(
        kind__in=[EntryKind.ACTIVITY, EntryKind.ACTIVITY_DONE], payload__activity_id=activity.pk
    ).exists()
    audit = AuditEvent.objects.get(action="activity.delete")
    assert audit.details["subject"] == "Call back about the invoice"
    assert audit.details["completed"] is True


def test_an_activity_change_updates_its_line_in_the_feed(client, manager):
    activity = _activity(manager)

    call(
        client,
        make_webhook(manager),
        "crm.activity.update",
        {"id": activity.pk, "fields": {"SUBJECT": "Meet at the office"}},
    )

    entry = TimelineEntry.objects.get(kind=EntryKind.ACTIVITY, payload__activity_id=activity.pk)
    assert entry.text == "Meet at the office"


def test_activity_update_names_the_invalid_field(client, manager):
    activity = _activity(manager)
    hook = make_webhook(manager)

    empty = call(
        client, hook, "crm.activity.update", {"id": activity.pk, "fields": {"SUBJECT": ""}}
    )
    bad_date = call(
        client, hook, "crm.activity.update", {"id": activity.pk, "fields": {"DEADLINE": "soon"}}
    )
    nobody = call(
        client,
        hook,
        "crm.activity.update",
        {"id": activity.pk, "fields": {"RESPONSIBLE_ID": 999999}},
    )

    assert empty[0] == 400 and "SUBJECT" in empty[1]["error_description"]
    assert bad_date[0] == 400 and "DEADLINE" in bad_date[1]["error_description"]
    assert nobody[0] == 400 and "RESPONSIBLE_ID" in nobody[1]["error_description"]
    activity.refresh_from_db()
    assert activity.subject == "Call back"


def test_a_completed_activity_is_not_reopened(client, manager):
    activity = _activity(manager)
    hook = make_webhook(manager)
    call(client, hook, "crm.activity.update", {"id": activity.pk, "fields": {"COMPLETED": "Y"}})

    status, answer = call(
        client, hook, "crm.activity.update", {"id": activity.pk, "fields": {"COMPLETED": "N"}}
    )

    assert status == 400 and answer["error_description"].startswith("COMPLETED:")


def test_an_activity_on_a_hidden_card_is_not_found(client, manager, other_manager):
    activity = _activity(other_manager)
    hook = make_webhook(manager)

    updated = call(
        client, hook, "crm.activity.update", {"id": activity.pk, "fields": {"SUBJECT": "x"}}
    )
    deleted = call(client, hook, "crm.activity.delete", {"id": activity.pk})

    assert updated == deleted == (400, {"error": "NOT_FOUND", "error_description": "Not found"})
    assert Activity.objects.filter(pk=activity.pk, subject="Call back").exists()


def test_an_activity_on_a_card_seen_but_not_editable_is_refused(client, manager, other_manager):
    role_with(
        (Entity.LEAD, Action.READ, Scope.ALL),
        (Entity.LEAD, Action.UPDATE, Scope.OWN),
        members=[manager],
    )
    activity = _activity(other_manager)

    status, answer = call(client, make_webhook(manager), "crm.activity.delete", {"id": activity.pk})

    assert (status, answer["error"]) == (403, "ACCESS_DENIED")
    assert Activity.objects.filter(pk=activity.pk).exists()


def test_activity_fields_are_described(client, manager):
    hook = make_webhook(manager)

    _, fields = call(client, hook, "crm.activity.fields", {})
    _, communication = call(client, hook, "crm.activity.communication.fields", {})

    assert fields["result"]["SUBJECT"]["isRequired"] is True
    assert all(len(description) == 7 for description in fields["result"].values())
    assert set(communication["result"]) == {"ID", "TYPE", "VALUE", "ENTITY_ID", "ENTITY_TYPE_ID"}
