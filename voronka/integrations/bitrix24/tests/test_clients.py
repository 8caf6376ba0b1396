"""Black-box compatibility: real Bitrix24 client libraries and raw HTTP against a real server
process (gunicorn) on 127.0.0.1, as an integration would talk to Voronka."""

import base64
import importlib
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlencode

import b24pysdk
import bitrix24
import pytest
import requests
from fast_bitrix24 import Bitrix

from voronka.access.models import ApiToken
from voronka.contacts.models import CommunicationKind
from voronka.core.testing.server import free_port, server_fixture
from voronka.customization.models import Source
from voronka.integrations.bitrix24.models import ExternalCall
from voronka.integrations.bitrix24.tests.conftest import make_webhook
from voronka.sales.models import Lead, PipelineEntity
from voronka.sales.services.leads import lead_create
from voronka.sales.services.pipelines import default_pipeline, first_open_stage
from voronka.staff.tests.factories import UserFactory
from voronka.timeline.models import Activity, ActivityKind

server = server_fixture(
    env={"CELERY_TASK_ALWAYS_EAGER": "1"},
    # The event receiver of the tests listens on loopback.
    settings_overrides={"WEBHOOKS_ALLOW_PRIVATE_TARGETS": True},
)


@pytest.fixture
def hook(transactional_db, server, manager):
    return server.url + make_webhook(manager)


@pytest.fixture
def web_source(transactional_db):
    return Source.objects.create(code="web", name="Website")


def bulk_leads(responsible, count: int) -> list[int]:
    stage = first_open_stage(default_pipeline(PipelineEntity.LEAD))
    leads = Lead.objects.bulk_create(
        Lead(title=f"Lead {n}", stage=stage, responsible=responsible, created_by=responsible)
        for n in range(count)
    )
    return [lead.pk for lead in leads]


# --- fast_bitrix24 ------------------------------------------------------------------------


def test_fast_bitrix24_get_all_pages_through_batches_over_more_than_120_leads(hook, manager):
    ids = bulk_leads(manager, 130)
    b = Bitrix(hook, verbose=False)

    leads = b.get_all("crm.lead.list", params={"select": ["ID", "TITLE"], "filter": {">ID": 0}})

    assert sorted(int(lead["ID"]) for lead in leads) == sorted(ids)
    assert all(isinstance(lead["ID"], str) for lead in leads)


def test_fast_bitrix24_call_batches_adds_and_returns_ids_in_order(hook, manager):
    b = Bitrix(hook, verbose=False)

    ids = b.call(
        "crm.lead.add",
        [
            {"fields": {"TITLE": f"A&B {n}", "PHONE": [{"VALUE": f"+7 916 000-00-0{n}"}]}}
            for n in range(3)
        ],
    )

    titles = dict(Lead.objects.filter(pk__in=ids).values_list("pk", "title"))
    assert [titles[i] for i in ids] == ["A&B 0", "A&B 1", "A&B 2"]


def test_fast_bitrix24_call_batch_resolves_result_references(hook, manager):
    b = Bitrix(hook, verbose=False)

    result = b.call_batch(
        {
            "halt": 0,
            "cmd": {
                "new": "crm.lead.add?fields[TITLE]=Referenced&fields[NAME]=Anna",
                "read": "crm.lead.get?id=$result[new]",
                "listed": "crm.lead.list?filter[ID]=$result[new]&select[]=TITLE",
            },
        }
    )

    assert result["read"]["TITLE"] == "Referenced"
    assert result["read"]["ID"] == str(result["new"])
    assert result["listed"] == [{"ID": str(result["new"]), "TITLE": "Referenced"}]


def test_fast_bitrix24_get_by_id(hook, manager):
    ids = bulk_leads(manager, 3)
    b = Bitrix(hook, verbose=False)

    leads = b.get_by_ID("crm.lead.get", ids)

    assert {str(i) for i in ids} == {str(k) for k in leads}
    assert leads[str(ids[0])]["TITLE"] == "Lead 0" if str(ids[0]) in leads else True


# --- bitrix24-rest ------------------------------------------------------------------------


def test_bitrix24_rest_get_with_brackets_adds_and_pages_in_parallel(hook, manager, web_source):
    client = bitrix24.Bitrix24(hook.rstrip("/"))
    bulk_leads(manager, 60)

    new_id = client.callMethod(
        "crm.lead.add",
        fields={
            "TITLE": "From the site",
            "SOURCE_ID": "WEB",
            "PHONE": [{"VALUE": "+7 (916) 123-45-67", "VALUE_TYPE": "WORK"}],
        },
    )
    leads = client.callMethod("crm.lead.list", filter={">ID": 0}, select=["ID", "SOURCE_ID"])

    assert len(leads) == 61
    assert {"ID": str(new_id), "SOURCE_ID": "WEB"} in leads
    lead = Lead.objects.get(pk=new_id)
    assert lead.communications.get().value_normalized == "+79161234567"


# --- b24pysdk -----------------------------------------------------------------------------


@pytest.fixture
def sdk(hook, monkeypatch):
    """b24pysdk builds https://{domain}/rest/… itself; the test server speaks plain HTTP."""
    caller = importlib.import_module("b24pysdk.api.callers.call_method")._MethodCaller
    monkeypatch.setattr(
        caller,
        "_base_url",
        property(lambda self: f"http://{self._domain}/rest"),
    )
    prefix, _, rest = hook.removeprefix("http://").partition("/rest/")
    return b24pysdk.Client(b24pysdk.BitrixWebhook(domain=prefix, webhook_token=rest.rstrip("/")))


def test_b24pysdk_wrapper_calls_with_capitalised_methods(sdk, manager, web_source):
    created = sdk.crm.lead.add(
        fields={"TITLE": "SDK lead", "OPPORTUNITY": 12500, "SOURCE_ID": "WEB"}
    ).result
    lead = sdk.crm.lead.get(bitrix_id=created).result
    fields = sdk.crm.lead.fields().result
    profile = sdk.profile().result

    assert lead["ID"] == str(created)
    assert lead["OPPORTUNITY"] == "12500.00"
    assert fields["TITLE"]["type"] == "string"
    assert profile["ID"] == str(manager.pk)


def test_b24pysdk_lists_normal_and_fast(sdk, manager):
    ids = bulk_leads(manager, 120)

    normal = sdk.crm.lead.list(select=["ID"]).as_list().result
    fast = sdk.crm.lead.list(select=["ID"]).as_list_fast().result

    assert sorted(int(row["ID"]) for row in normal) == sorted(ids)
    assert sorted(int(row["ID"]) for row in fast) == sorted(ids)


def test_b24pysdk_call_batch(sdk, manager):
    ids = bulk_leads(manager, 2)

    result = sdk.call_batch(
        {"one": sdk.crm.lead.get(bitrix_id=ids[0]), "two": sdk.crm.lead.get(bitrix_id=ids[1])}
    ).result

    assert result.result["one"]["TITLE"] == "Lead 0"
    assert result.result["two"]["TITLE"] == "Lead 1"


# --- raw HTTP -----------------------------------------------------------------------------


def test_crest_style_get_with_http_build_query_encoding(hook, manager, web_source):
    query = urlencode(
        {
            "fields[TITLE]": "Заявка с сайта",
            "fields[NAME]": "Анна",
            "fields[SOURCE_ID]": "WEB",
            "fields[PHONE][0][VALUE]": "+79161234567",
            "fields[PHONE][0][VALUE_TYPE]": "WORK",
            "params[REGISTER_SONET_EVENT]": "1",
        }
    )

    response = requests.get(f"{hook}crm.lead.add.json?{query}", timeout=10)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    lead = Lead.objects.get(pk=response.json()["result"])
    assert (lead.title, lead.first_name, lead.source.code) == ("Заявка с сайта", "Анна", "web")
    assert set(response.json()["time"]) >= {
        "start",
        "finish",
        "duration",
        "processing",
        "date_start",
        "date_finish",
    }


def test_site_form_post_is_form_encoded(hook, manager):
    body = (
        "fields[TITLE]=Website+request&fields[NAME]=Anna&fields[PHONE][0][VALUE]=%2B79161234567"
        "&fields[PHONE][0][VALUE_TYPE]=WORK&params[REGISTER_SONET_EVENT]=Y"
    )

    response = requests.post(
        hook + "crm.lead.add",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )

    lead = Lead.objects.get(pk=response.json()["result"])
    assert lead.title == "Website request"
    assert lead.communications.get().value == "+79161234567"


def test_multipart_post_trailing_slash_and_capitalised_method(hook, manager):
    response = requests.post(
        hook + "crm.lead.ADD/", files={"fields[TITLE]": (None, "Multipart")}, timeout=10
    )

    assert response.status_code == 200
    assert Lead.objects.get(pk=response.json()["result"]).title == "Multipart"


def test_token_in_auth_parameter_calls_rest_method(transactional_db, server, manager):
    code = make_webhook(manager).split("/")[3]

    response = requests.post(server.url + "/rest/profile.json", json={"auth": code}, timeout=10)

    assert response.status_code == 200
    assert response.json()["result"]["ID"] == str(manager.pk)


def test_never_a_redirect(hook):
    response = requests.get(hook + "profile", allow_redirects=False, timeout=10)

    assert response.status_code == 200


# --- the error table ----------------------------------------------------------------------


def error_of(response):
    return response.status_code, response.json()["error"]


def test_error_table(server, hook, manager, other_manager):
    base = server.url + "/rest/"
    other_lead = lead_create(actor=other_manager, data={"title": "Someone else's"})
    _, code = hook.split("/rest/")[1].split("/")[:2], hook.split("/")[5]

    cases = [
        # (request, expected status, expected error code)
        (lambda: requests.get(f"{base}{manager.pk}/wrong/profile"), 401, "INVALID_CREDENTIALS"),
        (
            lambda: requests.get(f"{base}{other_manager.pk}/{code}/profile"),
            401,
            "INVALID_CREDENTIALS",
        ),
        (lambda: requests.get(f"{base}profile"), 401, "NO_AUTH_FOUND"),
        (lambda: requests.get(f"{base}profile?auth=vrn_x_y"), 401, "invalid_token"),
        (lambda: requests.get(hook + "no.such.method"), 404, "ERROR_METHOD_NOT_FOUND"),
        (lambda: requests.get(hook + "crm.lead.get"), 400, ""),
        (lambda: requests.get(hook + f"crm.lead.get?id={other_lead.pk}"), 400, ""),
        (lambda: requests.post(hook + "crm.lead.add", json={"fields": "x"}), 400, ""),
        (
            lambda: requests.get(hook + f"crm.item.get?entityTypeId=1&id={other_lead.pk}"),
            400,
            "NOT_FOUND",
        ),
        (
            lambda: requests.get(hook + "crm.item.add?entityTypeId=1&fields[assignedById]=999999"),
            400,
            "INVALID_ARG_VALUE",
        ),
        (
            lambda: requests.get(
                hook + "crm.timeline.comment.add?fields[ENTITY_TYPE]=lead"
                "&fields[ENTITY_ID]=999999&fields[COMMENT]=x"
            ),
            400,
            "OWNER_NOT_FOUND",
        ),
        (
            lambda: requests.get(hook + "telephony.externalcall.finish?CALL_ID=nope"),
            400,
            "NOT_FOUND",
        ),
        (
            lambda: requests.get(hook + "event.bind?event=ONNOTHING&handler=http://127.0.0.1/"),
            400,
            "ERROR_EVENT_NOT_FOUND",
        ),
        (
            lambda: requests.get(
                hook
                + f"event.bind?event=ONCRMLEADADD&handler=http://127.0.0.1/&auth_type={other_manager.pk}"
            ),
            403,
            "ACCESS_DENIED",
        ),
        (
            lambda: requests.get(hook + "crm.category.list?entityTypeId=1"),
            400,
            "ENTITY_TYPE_NOT_SUPPORTED",
        ),
    ]
    for request, status, error in cases:
        response = request()
        assert error_of(response) == (status, error), response.text
        assert set(response.json()) == {"error", "error_description"}


def test_missing_scope_is_insufficient_scope(transactional_db, server, manager):
    hook = server.url + make_webhook(manager, scopes=["crm"])

    response = requests.get(hook + "telephony.externalcall.register", timeout=10)

    assert error_of(response) == (401, "insufficient_scope")
    assert requests.get(hook + "profile", timeout=10).status_code == 200


def test_expired_token_and_webhook(transactional_db, server, manager):
    path = make_webhook(manager)
    code = path.split("/")[3]
    ApiToken.objects.filter(prefix=code.split("_")[1]).update(expires_at="2020-01-01T00:00:00Z")

    assert error_of(requests.get(server.url + path + "profile")) == (401, "INVALID_CREDENTIALS")
    assert error_of(requests.get(f"{server.url}/rest/profile?auth={code}")) == (
        401,
        "expired_token",
    )


def test_validation_error_names_the_bitrix24_field(hook):
    response = requests.post(
        hook + "crm.lead.add", json={"fields": {"TITLE": "X", "ASSIGNED_BY_ID": 999999}}, timeout=10
    )

    assert response.status_code == 400
    assert response.json()["error_description"].startswith("ASSIGNED_BY_ID:")


def test_batch_errors_stay_inside_the_batch(hook):
    commands = {f"c{n}": "profile" for n in range(51)}
    commands["c0"] = "batch?cmd[x]=profile"

    response = requests.post(hook + "batch", json={"cmd": commands, "halt": 0}, timeout=30)

    assert response.status_code == 200
    body = response.json()["result"]
    assert body["result_error"]["c0"]["error"] == "ERROR_BATCH_METHOD_NOT_ALLOWED"
    assert body["result_error"]["c50"]["error"] == "ERROR_BATCH_LENGTH_EXCEEDED"
    assert set(body) == {"result", "result_error", "result_total", "result_next", "result_time"}
    assert len(body["result"]) == 49


# --- rights -------------------------------------------------------------------------------


def test_a_managers_webhook_sees_and_changes_only_own_leads(hook, manager, other_manager):
    own = lead_create(actor=manager, data={"title": "Mine"})
    other = lead_create(actor=other_manager, data={"title": "Not mine"})

    listed = requests.get(hook + "crm.lead.list?select[]=TITLE", timeout=10).json()
    update = requests.post(
        hook + "crm.lead.update", json={"id": other.pk, "fields": {"TITLE": "Taken"}}, timeout=10
    )

    assert listed["result"] == [{"ID": str(own.pk), "TITLE": "Mine"}]
    assert listed["total"] == 1
    assert error_of(update) == (400, "")
    other.refresh_from_db()
    assert other.title == "Not mine"


# --- events -------------------------------------------------------------------------------


class Receiver:
    """A handler of outgoing events on 127.0.0.1 that keeps what it was sent."""

    def __init__(self):
        self.received: list[tuple[str, dict]] = []
        self.arrived = threading.Event()
        received = self.received
        arrived = self.arrived

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                received.append(
                    (self.headers.get("Content-Type"), parse_qs(self.rfile.read(length).decode()))
                )
                arrived.set()
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.port = free_port()
        self.httpd = HTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/b24"

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.stop()


def test_event_bind_delivers_oncrmleadadd_form_encoded(hook, receiver):
    bound = requests.post(
        hook + "event.bind",
        json={"event": "ONCRMLEADADD", "handler": receiver.url, "auth_type": 0},
        timeout=10,
    )
    token = requests.get(hook + "event.get", timeout=10).json()["result"][0]["application_token"]

    new_id = requests.post(
        hook + "crm.lead.add", json={"fields": {"TITLE": "Evented"}}, timeout=10
    ).json()["result"]

    assert bound.json()["result"] is True
    assert receiver.arrived.wait(10)
    content_type, form = receiver.received[0]
    assert content_type == "application/x-www-form-urlencoded"
    assert form["event"] == ["ONCRMLEADADD"]
    assert form["data[FIELDS][ID]"] == [str(new_id)]
    assert form["auth[application_token]"] == [token]
    assert form["ts"][0].isdigit()


# --- telephony ----------------------------------------------------------------------------


def test_pbx_call_flow_creates_a_lead_and_a_call_activity_with_its_record(hook, manager):
    manager.phone = "101"
    manager.save(update_fields=["phone"])
    Source.objects.create(code="call", name="Call")

    def call(name, **payload):
        response = requests.post(f"{hook}{name}/", json=payload, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()["result"]

    users = call("user.get", sort="UF_PHONE_INNER", order="DESC", filter={"USER_TYPE": "employee"})
    registered = call(
        "telephony.externalcall.register",
        USER_PHONE_INNER="101",
        PHONE_NUMBER="8 (916) 765-43-21",
        TYPE=2,
        LINE_NUMBER="74950000000",
        CRM_CREATE=1,
        SHOW=0,
    )
    lead = call("crm.lead.get", id=registered["CRM_ENTITY_ID"])
    call("telephony.externalcall.show", CALL_ID=registered["CALL_ID"], USER_ID=manager.pk)
    finished = call(
        "telephony.externalcall.finish",
        CALL_ID=registered["CALL_ID"],
        USER_ID=manager.pk,
        DURATION=95,
        STATUS_CODE="200",
        VOTE=5,
    )
    record = call(
        "telephony.externalCall.attachRecord",
        CALL_ID=registered["CALL_ID"],
        FILENAME="call.mp3",
        FILE_CONTENT=base64.b64encode(b"ID3 fake mp3").decode(),
    )
    again = call(
        "telephony.externalcall.register",
        USER_ID=manager.pk,
        PHONE_NUMBER="+79167654321",
        TYPE=1,
        CRM_CREATE=1,
    )

    assert str(manager.pk) in {u["ID"] for u in users}
    assert registered["CRM_ENTITY_TYPE"] == "LEAD"
    assert registered["CRM_CREATED_LEAD"] == registered["CRM_ENTITY_ID"]
    assert lead["ASSIGNED_BY_ID"] == str(manager.pk)
    assert lead["SOURCE_ID"] == "CALL"
    activity = Activity.objects.get(pk=finished["CRM_ACTIVITY_ID"])
    assert activity.kind == ActivityKind.CALL
    assert activity.card_id == registered["CRM_ENTITY_ID"]
    assert activity.completed_at is not None
    assert "1:35" in activity.result
    stored = ExternalCall.objects.get(call_id=registered["CALL_ID"])
    assert stored.record.read() == b"ID3 fake mp3"
    assert record["FILE_ID"] == stored.pk
    # The second call from the same number finds the lead instead of creating another.
    assert (again["CRM_ENTITY_TYPE"], again["CRM_ENTITY_ID"]) == ("LEAD", lead and int(lead["ID"]))
    assert again["CRM_CREATED_LEAD"] is None
    assert Lead.objects.filter(communications__kind=CommunicationKind.PHONE).count() == 1


def test_duplicate_search_by_phone_and_timeline_comment(hook, manager):
    lead = lead_create(
        actor=manager,
        data={"title": "Known"},
        communications=[{"kind": "phone", "value": "+7 916 111-22-33"}],
    )

    found = requests.post(
        hook + "crm.duplicate.findbycomm",
        json={"type": "PHONE", "values": ["8 916 111 22 33", "+7 999 000 00 00"]},
        timeout=10,
    ).json()["result"]
    none = requests.post(
        hook + "crm.duplicate.findbycomm",
        json={"type": "EMAIL", "values": ["x@example.com"]},
        timeout=10,
    ).json()["result"]
    comment = requests.post(
        hook + "crm.timeline.comment.add",
        json={"FIELDS": {"ENTITY_ID": lead.pk, "ENTITY_TYPE": "lead", "COMMENT": "Called back"}},
        timeout=10,
    ).json()["result"]
    comments = requests.get(
        hook + f"crm.timeline.comment.list?filter[ENTITY_ID]={lead.pk}&filter[ENTITY_TYPE]=lead",
        timeout=10,
    ).json()

    assert found == {"LEAD": [lead.pk]}
    assert none == []
    assert comments["result"][0]["ID"] == str(comment)
    assert comments["result"][0]["COMMENT"] == "Called back"


def test_deals_stages_categories_and_item_api(hook, manager):
    deal_id = requests.post(
        hook + "crm.deal.add",
        json={"fields": {"TITLE": "Supply", "OPPORTUNITY": "12500", "STAGE_ID": "PREPARATION"}},
        timeout=10,
    ).json()["result"]
    classic = requests.get(hook + f"crm.deal.get?id={deal_id}", timeout=10).json()["result"]
    moved = requests.post(
        hook + "crm.item.update",
        json={
            "entityTypeId": 2,
            "id": deal_id,
            "fields": {"stageId": "EXECUTING", "title": "Supply 2"},
        },
        timeout=10,
    ).json()["result"]["item"]
    stages = requests.get(hook + "crm.status.list?filter[ENTITY_ID]=DEAL_STAGE", timeout=10).json()
    categories = requests.get(hook + "crm.category.list?entityTypeId=2", timeout=10).json()

    assert (classic["OPPORTUNITY"], classic["STAGE_ID"], classic["CATEGORY_ID"]) == (
        "12500.00",
        "PREPARATION",
        "0",
    )
    assert (moved["id"], moved["stageId"], moved["title"], moved["opportunity"]) == (
        deal_id,
        "EXECUTING",
        "Supply 2",
        12500,
    )
    assert "EXECUTING" in {row["STATUS_ID"] for row in stages["result"]}
    assert stages["total"] == len(stages["result"])
    assert categories["result"]["categories"][0]["id"] == 0


def test_any_employee_can_be_a_webhook_owner(server, transactional_db):
    user = UserFactory(username="pbx")

    response = requests.get(server.url + make_webhook(user) + "user.current", timeout=10)

    assert json.loads(response.text)["result"]["ID"] == str(user.pk)


def test_tasks_with_a_positional_comment_from_fast_bitrix24(hook, manager):
    lead = lead_create(actor=manager, data={"title": "Needs a call"})
    b = Bitrix(hook, verbose=False)

    task = requests.post(
        hook + "tasks.task.add",
        json={
            "fields": {
                "TITLE": "Call back",
                "RESPONSIBLE_ID": manager.pk,
                "UF_CRM_TASK": [f"L_{lead.pk}"],
            }
        },
        timeout=10,
    ).json()["result"]["task"]
    comment = b.call("task.commentitem.add", [int(task["id"]), {"POST_MESSAGE": "Soon"}], raw=True)
    tasks = b.get_all("tasks.task.list", {"filter": {"RESPONSIBLE_ID": manager.pk}})
    completed = requests.post(
        hook + "tasks.task.complete", json={"taskId": task["id"]}, timeout=10
    ).json()["result"]["task"]

    assert task["ufCrmTask"] == [f"L_{lead.pk}"]
    assert isinstance(comment["result"], int)
    assert [t["id"] for t in tasks] == [task["id"]]
    assert completed["status"] == "5"


# --- requisites, addresses, user fields (tier T2) -----------------------------------------


def test_b24pysdk_requisites_bank_details_addresses_and_links(sdk, manager):
    from voronka.contacts.models import BankAccount, Company, CompanyAddress
    from voronka.contacts.tests.factories import make_inn, make_kpp, make_settlement_account

    bic, inn = "044525225", make_inn(4321)
    company_id = sdk.crm.company.add(fields={"TITLE": "Romashka"}).result
    requisite_id = sdk.crm.requisite.add(
        fields={
            "ENTITY_TYPE_ID": 4,
            "ENTITY_ID": company_id,
            "PRESET_ID": 1,
            "NAME": "Romashka LLC",
            "RQ_INN": inn,
            "RQ_KPP": make_kpp(inn),
        }
    ).result
    bank_detail_id = sdk.crm.requisite.bankdetail.add(
        fields={
            "ENTITY_ID": requisite_id,
            "NAME": "Main",
            "RQ_BANK_NAME": "Sberbank",
            "RQ_BIK": bic,
            "RQ_ACC_NUM": make_settlement_account(bic, 77),
        }
    ).result
    address_added = sdk.crm.address.add(
        fields={
            "TYPE_ID": 6,
            "ENTITY_TYPE_ID": 8,
            "ENTITY_ID": requisite_id,
            "ADDRESS_1": "Tverskaya 1",
            "CITY": "Moscow",
            "POSTAL_CODE": "125009",
        }
    ).result
    addresses = sdk.crm.address.list(filter={"ENTITY_ID": requisite_id}).result
    bank_details = sdk.crm.requisite.bankdetail.list(filter={"ENTITY_ID": requisite_id}).result
    deal_id = sdk.crm.deal.add(fields={"TITLE": "Supply", "COMPANY_ID": company_id}).result
    linked = sdk.crm.requisite.link.register(
        fields={
            "ENTITY_TYPE_ID": 2,
            "ENTITY_ID": deal_id,
            "REQUISITE_ID": requisite_id,
            "BANK_DETAIL_ID": bank_detail_id,
        }
    ).result
    link = sdk.crm.requisite.link.get(entity_type_id=2, entity_id=deal_id).result
    removed = sdk.crm.address.delete(
        fields={"TYPE_ID": 6, "ENTITY_TYPE_ID": 8, "ENTITY_ID": requisite_id}
    ).result

    assert requisite_id == company_id
    assert Company.objects.get(pk=company_id).inn == inn
    assert BankAccount.objects.get(pk=bank_detail_id).bank_name == "Sberbank"
    assert address_added is True
    assert [(row["TYPE_ID"], row["CITY"]) for row in addresses] == [("6", "Moscow")]
    assert [row["ID"] for row in bank_details] == [str(bank_detail_id)]
    assert linked is True
    assert (link["REQUISITE_ID"], link["BANK_DETAIL_ID"]) == (
        str(requisite_id),
        str(bank_detail_id),
    )
    assert removed is True
    assert not CompanyAddress.objects.filter(company_id=company_id).exists()


def test_fast_bitrix24_user_fields_added_listed_and_used(transactional_db, server, admin_user):
    from voronka.customization.models import CustomField

    hook = server.url + make_webhook(admin_user)
    b = Bitrix(hook, verbose=False)

    field_id = b.call(
        "crm.deal.userfield.add",
        {
            "fields": {
                "FIELD_NAME": "UF_CRM_DELIVERY",
                "USER_TYPE_ID": "enumeration",
                "EDIT_FORM_LABEL": "Delivery",
                "LIST": [{"VALUE": "Pickup"}, {"VALUE": "Courier", "DEF": "Y"}],
            }
        },
    )
    fields = b.get_all("crm.deal.userfield.list", {"filter": {"USER_TYPE_ID": "enumeration"}})
    items = {item["VALUE"]: item["ID"] for item in fields[0]["LIST"]}
    deal_id = b.call(
        "crm.deal.add", {"fields": {"TITLE": "Boxes", "UF_CRM_DELIVERY": items["Courier"]}}
    )
    deal = requests.get(f"{hook}crm.deal.get?id={deal_id}", timeout=10).json()["result"]
    deleted = b.call("crm.deal.userfield.delete", {"id": field_id})

    assert [row["FIELD_NAME"] for row in fields] == ["UF_CRM_DELIVERY"]
    assert fields[0]["SETTINGS"]["DEFAULT_VALUE"] == items["Courier"]
    assert deal["UF_CRM_DELIVERY"] == items["Courier"]
    assert deleted is True
    # A field a deal holds a value of is retired, not dropped.
    assert CustomField.objects.get(pk=field_id).is_active is False


# --- click-to-call ------------------------------------------------------------------------


def test_pbx_dials_on_onexternalcallstart_and_finishes_the_pre_registered_call(
    hook, manager, receiver, monkeypatch, settings
):
    """A PBX connector binds ONEXTERNALCALLSTART; an employee's click-to-call reaches it
    form-encoded with a pre-registered CALL_ID; the PBX reports the end of that call and
    uploads its record in two steps."""
    from voronka.integrations.bitrix24.services import call_start
    from voronka.integrations.bitrix24.tasks import deliver_event

    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    monkeypatch.setattr(deliver_event, "delay", deliver_event)
    manager.phone = "101"
    manager.save(update_fields=["phone"])
    lead = lead_create(
        actor=manager,
        data={"title": "Call me"},
        communications=[{"kind": CommunicationKind.PHONE, "value": "+7 916 111-22-33"}],
    )

    def call(name, **payload):
        response = requests.post(f"{hook}{name}/", json=payload, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()["result"]

    bound = call("event.bind", event="ONEXTERNALCALLSTART", handler=receiver.url)
    token = call("event.get")[0]["application_token"]

    started = call_start(actor=manager, phone="+7 916 111-22-33")

    assert bound is True
    assert receiver.arrived.wait(10)
    content_type, form = receiver.received[0]
    assert content_type == "application/x-www-form-urlencoded"
    assert form["event"] == ["ONEXTERNALCALLSTART"]
    assert form["data[CALL_ID]"] == [started.call_id]
    assert form["data[PHONE_NUMBER_INTERNATIONAL]"] == ["+79161112233"]
    assert form["data[USER_ID]"] == [str(manager.pk)]
    assert form["data[EXTENSION]"] == ["101"]
    assert (form["data[CRM_ENTITY_TYPE]"], form["data[CRM_ENTITY_ID]"]) == (
        ["LEAD"],
        [str(lead.pk)],
    )
    assert form["auth[application_token]"] == [token]

    finished = call(
        "telephony.externalcall.finish",
        CALL_ID=form["data[CALL_ID]"][0],
        USER_ID=manager.pk,
        DURATION=42,
    )
    upload = call(
        "telephony.externalCall.attachRecord", CALL_ID=started.call_id, FILENAME="call.mp3"
    )
    posted = requests.post(
        upload["uploadUrl"],
        files={upload["fieldName"]: ("call.mp3", b"ID3 clicked", "audio/mpeg")},
        timeout=10,
    )

    activity = Activity.objects.get(pk=finished["CRM_ACTIVITY_ID"])
    assert (activity.card_id, activity.kind) == (lead.pk, ActivityKind.CALL)
    assert posted.status_code == 200, posted.text
    assert ExternalCall.objects.get(call_id=started.call_id).record.read() == b"ID3 clicked"
