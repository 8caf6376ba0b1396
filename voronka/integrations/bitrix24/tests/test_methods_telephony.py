"""Telephony completions: ``attachRecord``'s two-step upload and click-to-call's
``ONEXTERNALCALLSTART``."""

import base64
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from voronka.contacts.models import CommunicationKind
from voronka.contacts.services.contacts import contact_create
from voronka.integrations.bitrix24 import delivery
from voronka.integrations.bitrix24.models import EventBinding, ExternalCall
from voronka.integrations.bitrix24.services import call_start
from voronka.integrations.bitrix24.tests.conftest import make_webhook
from voronka.sales.tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def call(client, hook, name, payload):
    response = client.post(hook + name, json.dumps(payload), content_type="application/json")
    return response.status_code, response.json()


def registered(client, hook, user) -> str:
    _, answer = call(
        client,
        hook,
        "telephony.externalcall.register",
        {"USER_ID": user.pk, "PHONE_NUMBER": "+79161234567", "TYPE": 2, "CRM_CREATE": 0},
    )
    return answer["result"]["CALL_ID"]


# --- attachRecord -------------------------------------------------------------------------


def test_attach_record_without_content_answers_an_upload_url_that_takes_the_file(
    client, manager, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    hook = make_webhook(manager)
    call_id = registered(client, hook, manager)

    status, first = call(
        client,
        hook,
        "telephony.externalCall.attachRecord",
        {"CALL_ID": call_id, "FILENAME": "record.mp3"},
    )
    upload_url = first["result"]["uploadUrl"]
    parts = urlsplit(upload_url)
    uploaded = client.post(
        f"{parts.path}?{parts.query}",
        {first["result"]["fieldName"]: SimpleUploadedFile("record.mp3", b"ID3 two steps")},
    )

    assert status == 200
    assert parts.path.startswith(hook) and parts.scheme == "http"
    assert parse_qs(parts.query)["CALL_ID"] == [call_id]
    assert first["result"]["fieldName"] == "file"
    assert uploaded.status_code == 200, uploaded.content
    stored = ExternalCall.objects.get(call_id=call_id)
    assert uploaded.json()["result"] == {"FILE_ID": stored.pk}
    assert stored.record.read() == b"ID3 two steps"
    assert stored.record.name.endswith(".mp3")


def test_attach_record_with_content_or_url_stores_it_at_once(client, manager, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    hook = make_webhook(manager)
    first, second = registered(client, hook, manager), None
    _, answer = call(
        client,
        hook,
        "telephony.externalCall.attachRecord",
        {
            "CALL_ID": first,
            "FILENAME": "a.wav",
            "FILE_CONTENT": base64.b64encode(b"RIFF").decode(),
        },
    )
    second = call(
        client,
        hook,
        "telephony.externalcall.register",
        {"USER_ID": manager.pk, "PHONE_NUMBER": "+79160000000", "TYPE": 1, "CRM_CREATE": 0},
    )[1]["result"]["CALL_ID"]
    _, by_url = call(
        client,
        hook,
        "telephony.externalCall.attachRecord",
        {"CALL_ID": second, "RECORD_URL": "https://pbx.example.org/r/2.mp3"},
    )

    assert "FILE_ID" in answer["result"] and "FILE_ID" in by_url["result"]
    assert ExternalCall.objects.get(call_id=first).record.read() == b"RIFF"
    assert ExternalCall.objects.get(call_id=second).record_url == "https://pbx.example.org/r/2.mp3"


def test_attach_record_with_nothing_names_what_is_missing(client, manager):
    hook = make_webhook(manager)
    call_id = registered(client, hook, manager)

    status, answer = call(client, hook, "telephony.externalCall.attachRecord", {"CALL_ID": call_id})

    assert (status, answer["error"]) == (400, "ERROR_CORE")
    assert "FILENAME" in answer["error_description"]


def test_the_upload_step_is_refused_inside_a_batch(client, manager):
    hook = make_webhook(manager)
    call_id = registered(client, hook, manager)

    _, answer = call(
        client,
        hook,
        "batch",
        {"cmd": {"a": f"telephony.externalCall.attachRecord?CALL_ID={call_id}&FILENAME=x.mp3"}},
    )

    assert answer["result"]["result_error"]["a"]["error"] == "ERROR_BATCH_METHOD_NOT_ALLOWED"


def test_a_record_of_another_employees_call_is_not_found(client, manager, other_manager):
    call_id = registered(client, make_webhook(other_manager), other_manager)

    status, answer = call(
        client,
        make_webhook(manager),
        "telephony.externalCall.attachRecord",
        {"CALL_ID": call_id, "FILENAME": "x.mp3"},
    )

    assert (status, answer["error"]) == (400, "NOT_FOUND")


def test_telephony_methods_need_the_telephony_scope(client, manager):
    status, answer = call(
        client,
        make_webhook(manager, scopes=["crm"]),
        "telephony.externalCall.attachRecord",
        {"CALL_ID": "x", "FILENAME": "x.mp3"},
    )

    assert (status, answer["error"]) == (401, "insufficient_scope")


# --- click-to-call ------------------------------------------------------------------------


@pytest.fixture
def sent(monkeypatch):
    """Deliveries queued by the services, kept instead of posted."""
    queued = []
    monkeypatch.setattr(
        "voronka.integrations.bitrix24.tasks.deliver_event.delay",
        lambda binding_id, event, fields: queued.append((binding_id, event, fields)),
    )
    return queued


def test_click_to_call_registers_the_call_and_asks_the_pbx_to_dial(
    manager, sent, django_capture_on_commit_callbacks
):
    manager.phone = "101"
    manager.save(update_fields=["phone"])
    binding = EventBinding.objects.create(
        event="ONEXTERNALCALLSTART",
        handler="https://pbx.example.org/b24",
        user=manager,
        application_token="secret",
    )
    contact = contact_create(
        actor=manager,
        data={"first_name": "Anna"},
        communications=[{"kind": CommunicationKind.PHONE, "value": "+7 916 765-43-21"}],
    )

    with django_capture_on_commit_callbacks(execute=True):
        started = call_start(actor=manager, phone="+7 916 765-43-21", line_number="74950000000")

    assert started.call_type == 1 and started.user_id == manager.pk
    assert (started.card_id, started.created_lead_id) == (contact.pk, None)
    [(binding_id, event, fields)] = [entry for entry in sent if entry[1] == "ONEXTERNALCALLSTART"]
    assert (binding_id, event) == (binding.pk, "ONEXTERNALCALLSTART")
    assert fields["CALL_ID"] == started.call_id
    assert fields["PHONE_NUMBER_INTERNATIONAL"] == "+79167654321"
    assert (fields["EXTENSION"], fields["USER_ID"]) == ("101", manager.pk)
    assert (fields["CRM_ENTITY_TYPE"], fields["CRM_ENTITY_ID"]) == ("CONTACT", contact.pk)
    assert fields["LINE_NUMBER"] == "74950000000"


def test_the_start_event_carries_its_keys_in_data_itself():
    binding = EventBinding(pk=7, application_token="secret")

    body = parse_qs(
        delivery.body(binding, "ONEXTERNALCALLSTART", {"CALL_ID": "externalCall.x", "USER_ID": 3})
    )

    assert body["data[CALL_ID]"] == ["externalCall.x"]
    assert body["data[USER_ID]"] == ["3"]
    assert body["auth[application_token]"] == ["secret"]


def test_click_to_call_on_a_card_the_employee_may_not_see_is_refused(manager, other_manager, sent):
    lead = LeadFactory(responsible=other_manager)

    with pytest.raises(PermissionDenied):
        call_start(actor=manager, phone="+79160000000", card=lead)

    assert not ExternalCall.objects.exists()
    assert sent == []


def test_a_call_registered_by_the_pbx_itself_is_not_sent_back_to_it(
    client, manager, sent, django_capture_on_commit_callbacks
):
    EventBinding.objects.create(
        event="ONEXTERNALCALLSTART",
        handler="https://pbx.example.org/b24",
        user=manager,
        application_token="secret",
    )

    with django_capture_on_commit_callbacks(execute=True):
        registered(client, make_webhook(manager), manager)

    assert [entry for entry in sent if entry[1] == "ONEXTERNALCALLSTART"] == []
