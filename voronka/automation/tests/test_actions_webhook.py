"""The webhook action against a real HTTP server on 127.0.0.1: the body, the idempotency key and
the signature; 2xx done, 4xx failed at once, 5xx and timeouts retried; private targets refused
unless allowed."""

import datetime
import hashlib
import hmac
import http.server
import json
import threading
import time

import pytest
from django.utils import timezone

from voronka.automation.models import RobotRun, RunEffect, RunStatus
from voronka.automation.services import claim_due_runs, execute_run
from voronka.automation.tests.factories import RobotFactory

pytestmark = pytest.mark.django_db


class Receiver(http.server.BaseHTTPRequestHandler):
    """Answers each POST with the next of ``server.answers`` (status, delay) and keeps what
    it was sent."""

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length)
        self.server.received.append({"headers": dict(self.headers), "body": body})
        status, delay = self.server.answers.pop(0) if self.server.answers else (200, 0)
        if delay:
            time.sleep(delay)
        answer = b'{"ok": true}' if status < 300 else b"no such client"
        try:
            self.send_response(status)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver(settings):
    settings.AUTOMATION_WEBHOOK_ALLOW_PRIVATE = True
    settings.AUTOMATION_WEBHOOK_TIMEOUT = 2
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.received = []
    server.answers = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    yield server
    server.shutdown()
    server.server_close()


def hook(stage, url, **params):
    return RobotFactory(
        stage=stage,
        action="call_webhook",
        params={
            "url": url,
            "fields": ["title", "amount", "responsible"],
            "extra": "source = crm\nnote = {{ deal.title }} for {{ deal.amount }}",
            **params,
        },
    )


def execute(card):
    run = RobotRun.objects.get(card_id=card.pk)
    claim_due_runs(worker_id="test")
    return run, execute_run(run.pk, "test")


def test_a_2xx_answer_finishes_the_run_with_the_status(make_deal, first_stage, receiver, manager):
    hook(first_stage, receiver.url, secret="s3cret")
    deal = make_deal(amount="1500")

    run, result = execute(deal)

    assert (result.status, result.outcome) == (RunStatus.DONE, "Webhook answered 200.")
    run.refresh_from_db()
    assert run.trace["action"]["status"] == 200
    [call] = receiver.received
    payload = json.loads(call["body"])
    assert payload["run_id"] == run.pk
    assert payload["entity"] == "deal"
    assert payload["card"] == {
        "id": deal.pk,
        "title": "Поставка станков",
        "amount": "1500.00",
        "responsible": {"id": manager.pk, "name": str(manager)},
    }
    assert payload["params"] == {"source": "crm", "note": "Поставка станков for 1500.00"}
    assert call["headers"]["Idempotency-Key"] == f"robot-run-{run.pk}"
    expected = hmac.new(b"s3cret", call["body"], hashlib.sha256).hexdigest()
    assert call["headers"]["X-Voronka-Signature"] == f"sha256={expected}"


def test_a_retried_run_does_not_call_again(make_deal, first_stage, receiver):
    hook(first_stage, receiver.url)
    deal = make_deal()
    run, _result = execute(deal)

    # The same run executed again (its worker was thought dead): the effect is recorded.
    RobotRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING,
        lease_owner="test",
        lease_until=timezone.now() + datetime.timedelta(minutes=1),
    )
    again = execute_run(run.pk, "test")

    assert again.outcome == "The webhook was already called."
    assert len(receiver.received) == 1
    assert "X-Voronka-Signature" not in receiver.received[0]["headers"]


def test_a_4xx_answer_fails_at_once(make_deal, first_stage, receiver):
    receiver.answers = [(404, 0)]
    hook(first_stage, receiver.url)
    deal = make_deal()

    run, result = execute(deal)

    run.refresh_from_db()
    assert (result.status, run.attempts) == (RunStatus.FAILED, 1)
    assert result.outcome == "The webhook refused the call: 404 no such client"
    assert not RunEffect.objects.filter(run=run).exists()


@pytest.mark.parametrize("answer", [(503, 0), (429, 0), (200, 3)], ids=["5xx", "429", "timeout"])
def test_a_5xx_or_a_timeout_is_retried_with_back_off(
    make_deal, first_stage, receiver, settings, answer
):
    settings.AUTOMATION_WEBHOOK_TIMEOUT = 0.5
    receiver.answers = [answer]
    hook(first_stage, receiver.url)
    deal = make_deal()

    run, result = execute(deal)

    run.refresh_from_db()
    assert (result.status, run.status) == (RunStatus.PLANNED, RunStatus.PLANNED)
    assert run.due_at > timezone.now() + datetime.timedelta(seconds=20)
    assert run.outcome.startswith("Attempt 1 failed, trying again in 30 s: ")
    # Nothing recorded: the next attempt calls again, with the same idempotency key.
    assert not RunEffect.objects.filter(run=run).exists()
    claim_due_runs(worker_id="test", now=timezone.now() + datetime.timedelta(minutes=1))
    again = execute_run(run.pk, "test")
    assert again.status == RunStatus.DONE
    keys = {call["headers"]["Idempotency-Key"] for call in receiver.received}
    assert keys == {f"robot-run-{run.pk}"}


def test_a_connection_refused_is_retried(make_deal, first_stage, settings):
    settings.AUTOMATION_WEBHOOK_ALLOW_PRIVATE = True
    hook(first_stage, "http://127.0.0.1:9/hook")
    deal = make_deal()

    _run, result = execute(deal)

    assert result.status == RunStatus.PLANNED
    assert "ConnectError" in result.outcome


def test_a_private_address_is_refused_unless_allowed(make_deal, first_stage, receiver, settings):
    settings.AUTOMATION_WEBHOOK_ALLOW_PRIVATE = False
    hook(first_stage, receiver.url.replace("127.0.0.1", "localhost"))
    deal = make_deal()

    _run, result = execute(deal)

    assert result.status == RunStatus.FAILED
    assert "is inside the network; webhooks go outside." in result.outcome
    assert receiver.received == []


def test_the_robot_checks_the_url_fields_and_extra_parameters(first_stage):
    from django.core.exceptions import ValidationError

    from voronka.automation.services import robot_create

    with pytest.raises(ValidationError) as error:
        robot_create(
            actor=None,
            data={
                "stage": first_stage,
                "name": "Hook",
                "action": "call_webhook",
                "params": {"url": "ftp://x", "fields": ["nope"], "extra": "no equals sign"},
            },
        )

    assert error.value.message_dict["params"] == [
        "url: Enter an http:// or https:// address.",
        "fields: Unknown fields: nope.",
        "extra: Write each extra parameter as “name = value”: no equals sign",
    ]
