"""Robots that talk to other servers (a webhook, an SMTP server) do not hold the database while
that server answers: the request is prepared from the card, sent with no transaction open under
the run's lease, and recorded in a short transaction afterwards. A slow receiver lets every
other write through; a retry sends the same idempotency mark; a run taken over by another
worker during the send is finished once; a card that left the stage meanwhile gets a done run
with a note."""

import datetime
import http.server
import smtplib
import threading
import time

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connections
from django.utils import timezone

from voronka.automation import services
from voronka.automation.actions import get_action
from voronka.automation.models import RobotRun, RunEffect, RunStatus
from voronka.automation.services import claim_due_runs, execute_run
from voronka.automation.tests.factories import RobotFactory
from voronka.automation.tests.test_actions_webhook import Receiver, hook
from voronka.contacts.services import contact_create
from voronka.sales.models import Deal
from voronka.sales.services import deal_move_to_stage, deal_update
from voronka.timeline.models import EntryKind, TimelineEntry

# How long the slow receivers take to answer, and how long a write may take meanwhile.
SLOW = 2.0
QUICK = 1.0


@pytest.fixture
def receiver(settings):
    """A webhook receiver on 127.0.0.1 answering each POST with the next of ``answers``
    (status, seconds to wait first)."""
    settings.AUTOMATION_WEBHOOK_ALLOW_PRIVATE = True
    settings.AUTOMATION_WEBHOOK_TIMEOUT = 2
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.received, server.answers = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    yield server
    server.shutdown()
    server.server_close()


def robot_entries(run):
    return TimelineEntry.objects.filter(kind=EntryKind.ROBOT, payload__robot_run_id=run.pk)


def claim(now=None):
    return claim_due_runs(worker_id="w1", now=now)


class Letters:
    """What the test e-mail backends delivered, and how they behave."""

    sent: list = []
    delay = 0.0
    failures: list[str] = []  # "before" or "after": refuse the next letter before or after it went


class FlakyBackend(BaseEmailBackend):
    def send_messages(self, messages):
        if Letters.delay:
            time.sleep(Letters.delay)
        failure = Letters.failures.pop(0) if Letters.failures else None
        if failure == "before":
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        Letters.sent.extend(messages)
        if failure == "after":
            raise smtplib.SMTPServerDisconnected("Connection lost after the letter")
        return len(messages)


@pytest.fixture
def letters(settings):
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    Letters.sent, Letters.delay, Letters.failures = [], 0.0, []
    yield Letters
    Letters.sent, Letters.delay, Letters.failures = [], 0.0, []


def email_robot(stage):
    return RobotFactory(
        stage=stage,
        action="send_email",
        params={"subject": "По сделке {{ deal.title }}", "body": "Здравствуйте!"},
    )


@pytest.fixture
def client_deal(make_deal, manager):
    def make(**data):
        contact = contact_create(
            actor=manager,
            data={"first_name": "Анна", "last_name": "Котова"},
            communications=[{"kind": "email", "value": "anna@client.ru"}],
        )
        deal = make_deal(**data)
        deal.contact_links.create(contact=contact, is_primary=True)
        return deal

    return make


def write_during_the_send(deal, manager, started) -> tuple[float, object]:
    """Execute the deal's run in a worker thread; once the other server has the request,
    change the deal here and time it. The seconds the change took and the run's result."""
    run = RobotRun.objects.get(card_id=deal.pk)
    claim()
    results = []

    def worker():
        try:
            results.append(execute_run(run.pk, "w1"))
        finally:
            connections.close_all()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not started() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert started(), "the request never reached the server"
        begun = time.monotonic()
        deal_update(actor=manager, deal=Deal.objects.get(pk=deal.pk), data={"title": "Новое"})
        took = time.monotonic() - begun
    finally:
        thread.join()
    return took, results[0]


@pytest.mark.django_db(transaction=True)
def test_a_slow_webhook_lets_the_card_be_changed_meanwhile(
    make_deal, first_stage, receiver, manager, settings
):
    settings.AUTOMATION_WEBHOOK_TIMEOUT = 5
    receiver.answers = [(200, SLOW)]
    hook(first_stage, receiver.url)
    deal = make_deal()

    took, result = write_during_the_send(deal, manager, lambda: bool(receiver.received))

    # The worker kept no transaction open while the receiver slept: on SQLite a write
    # transaction would have held the one write lock, on PostgreSQL the card's row.
    assert took < QUICK, f"the change waited {took:.2f} s for the webhook"
    assert (result.status, result.outcome) == (RunStatus.DONE, "Webhook answered 200.")
    assert Deal.objects.get(pk=deal.pk).title == "Новое"
    assert RunEffect.objects.filter(run_id=result.run_id, key="webhook").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_slow_smtp_server_lets_the_card_be_changed_meanwhile(
    client_deal, first_stage, letters, manager
):
    letters.delay = SLOW
    email_robot(first_stage)
    deal = client_deal()
    run = RobotRun.objects.get(card_id=deal.pk)
    sending = threading.Event()
    original = FlakyBackend.send_messages

    def send_messages(self, messages):
        sending.set()
        return original(self, messages)

    FlakyBackend.send_messages = send_messages
    try:
        took, result = write_during_the_send(deal, manager, sending.is_set)
    finally:
        FlakyBackend.send_messages = original

    assert took < QUICK, f"the change waited {took:.2f} s for the SMTP server"
    assert (result.status, result.outcome) == (RunStatus.DONE, "E-mail sent to anna@client.ru.")
    [letter] = letters.sent
    assert letter.extra_headers["Message-ID"] == f"<robot-run-{run.pk}@voronka>"
    feed = TimelineEntry.objects.filter(kind=EntryKind.COMMENT, payload__robot_run_id=run.pk)
    assert feed.get().text == "E-mail to anna@client.ru: По сделке Поставка станков"


def test_a_webhook_answering_500_is_retried_with_the_same_key(make_deal, first_stage, receiver):
    receiver.answers = [(500, 0)]
    hook(first_stage, receiver.url)
    deal = make_deal()
    run = RobotRun.objects.get(card_id=deal.pk)
    claim()

    first = execute_run(run.pk, "w1")

    run.refresh_from_db()
    assert (first.status, run.status, run.lease_owner) == (RunStatus.PLANNED, "planned", "")
    assert run.outcome.startswith("Attempt 1 failed, trying again in 30 s: RuntimeError: ")
    assert not RunEffect.objects.filter(run=run).exists()

    claim(now=timezone.now() + datetime.timedelta(minutes=1))
    second = execute_run(run.pk, "w1")

    run.refresh_from_db()
    assert (second.status, run.attempts) == (RunStatus.DONE, 2)
    assert [call["headers"]["Idempotency-Key"] for call in receiver.received] == [
        f"robot-run-{run.pk}"
    ] * 2
    assert RunEffect.objects.filter(run=run, key="webhook").count() == 1
    assert robot_entries(run).get().payload["status"] == RunStatus.DONE


def test_a_refusal_fails_the_run_at_once_without_recording_it(make_deal, first_stage, receiver):
    receiver.answers = [(410, 0)]
    hook(first_stage, receiver.url)
    deal = make_deal()
    claim()

    result = execute_run(RobotRun.objects.get(card_id=deal.pk).pk, "w1")

    assert (result.status, result.outcome) == (
        RunStatus.FAILED,
        "The webhook refused the call: 410 no such client",
    )
    assert not RunEffect.objects.exists()


@pytest.fixture
def during_send(monkeypatch):
    """Run ``do(run)`` inside the webhook's send, before the request goes (first call only)."""
    action = get_action("call_webhook")
    original = type(action).send
    calls = []

    def install(do):
        def send(self, run, request):
            calls.append(run.pk)
            if len(calls) == 1:
                do(run)
            return original(self, run, request)

        monkeypatch.setattr(type(action), "send", send)
        return calls

    return install


def take_over(run, *, execute):
    """The lease of ``w1`` has run out; ``w2`` claims the run, and executes it if asked."""
    RobotRun.objects.filter(pk=run.pk).update(
        lease_until=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert claim_due_runs(worker_id="w2") == [run.pk]
    if execute:
        assert execute_run(run.pk, "w2").status == RunStatus.DONE


def test_a_run_taken_over_and_finished_during_the_send_is_finished_once(
    make_deal, first_stage, receiver, during_send
):
    hook(first_stage, receiver.url)
    deal = make_deal()
    run = RobotRun.objects.get(card_id=deal.pk)
    claim()
    during_send(lambda run: take_over(run, execute=True))

    assert execute_run(run.pk, "w1") is None

    run.refresh_from_db()
    assert (run.status, run.lease_owner, run.attempts) == (RunStatus.DONE, "", 2)
    assert RunEffect.objects.filter(run=run).count() == 1
    assert robot_entries(run).count() == 1
    # Both workers called; the receiver recognises the repeat by its key.
    assert {call["headers"]["Idempotency-Key"] for call in receiver.received} == {
        f"robot-run-{run.pk}"
    }
    assert len(receiver.received) == 2


def test_a_run_taken_over_during_the_send_is_left_to_its_new_worker(
    make_deal, first_stage, receiver, during_send
):
    hook(first_stage, receiver.url)
    deal = make_deal()
    run = RobotRun.objects.get(card_id=deal.pk)
    claim()
    during_send(lambda run: take_over(run, execute=False))

    assert execute_run(run.pk, "w1") is None

    run.refresh_from_db()
    assert (run.status, run.lease_owner) == (RunStatus.RUNNING, "w2")
    assert not RunEffect.objects.filter(run=run).exists()
    assert not robot_entries(run).exists()

    assert execute_run(run.pk, "w2").status == RunStatus.DONE
    assert RunEffect.objects.filter(run=run).count() == robot_entries(run).count() == 1


def test_the_lease_is_extended_to_cover_the_send(
    make_deal, first_stage, receiver, during_send, settings
):
    settings.AUTOMATION_WEBHOOK_TIMEOUT = 10
    hook(first_stage, receiver.url)
    deal = make_deal()
    run = RobotRun.objects.get(card_id=deal.pk)
    claim_due_runs(worker_id="w1", lease_seconds=5)
    leases = []
    during_send(lambda run: leases.append(RobotRun.objects.get(pk=run.pk).lease_until))

    assert execute_run(run.pk, "w1").status == RunStatus.DONE

    # Connecting, sending and waiting for the answer, each up to the timeout.
    assert leases[0] > timezone.now() + datetime.timedelta(seconds=30)


def test_a_card_moved_out_of_the_stage_during_the_send_gets_a_done_run_with_a_note(
    make_deal, first_stage, second_stage, receiver, during_send, manager
):
    hook(first_stage, receiver.url)
    deal = make_deal()
    run = RobotRun.objects.get(card_id=deal.pk)
    claim()

    def move(run):
        deal_move_to_stage(actor=manager, deal=Deal.objects.get(pk=deal.pk), stage=second_stage)
        assert RobotRun.objects.get(pk=run.pk).status == RunStatus.CANCELLED

    during_send(move)

    result = execute_run(run.pk, "w1")

    run.refresh_from_db()
    assert run.status == result.status == RunStatus.DONE
    assert run.outcome == (
        "Webhook answered 200. It was sent before the run was stopped: The card left the stage."
    )
    assert run.trace["action"]["status"] == 200
    assert RunEffect.objects.filter(run=run, key="webhook").count() == 1
    assert robot_entries(run).get().payload["status"] == RunStatus.DONE


def test_a_card_already_out_of_the_stage_is_not_sent(
    make_deal, first_stage, second_stage, receiver, manager
):
    hook(first_stage, receiver.url)
    deal = make_deal()
    run = RobotRun.objects.get(card_id=deal.pk)
    claim()
    # Moved by someone between the claim and the execution, without cancelling (as a run of
    # this very robot would, were it the one moving it).
    Deal.all_objects.filter(pk=deal.pk).update(stage=second_stage)

    result = execute_run(run.pk, "w1")

    assert (result.status, result.outcome) == (
        RunStatus.SKIPPED,
        "The card is no longer in the stage.",
    )
    assert receiver.received == []


def test_an_email_keeps_its_message_id_across_retries(client_deal, first_stage, letters):
    letters.failures = ["before", "after"]
    email_robot(first_stage)
    deal = client_deal()
    run = RobotRun.objects.get(card_id=deal.pk)

    attempts = []
    for minutes in (0, 1, 5):
        claim(now=timezone.now() + datetime.timedelta(minutes=minutes))
        attempts.append(execute_run(run.pk, "w1").status)

    # Refused; delivered but the connection dropped before the answer; delivered.
    assert attempts == [RunStatus.PLANNED, RunStatus.PLANNED, RunStatus.DONE]
    assert [letter.extra_headers["Message-ID"] for letter in letters.sent] == [
        f"<robot-run-{run.pk}@voronka>"
    ] * 2
    assert RunEffect.objects.filter(run=run, key="email").count() == 1
    feed = TimelineEntry.objects.filter(kind=EntryKind.COMMENT, payload__robot_run_id=run.pk)
    assert feed.count() == 1


def test_an_email_run_done_before_is_not_sent_again(client_deal, first_stage, letters):
    email_robot(first_stage)
    deal = client_deal()
    run = RobotRun.objects.get(card_id=deal.pk)
    claim()
    assert execute_run(run.pk, "w1").status == RunStatus.DONE

    # Executed again, as if its worker had been thought dead.
    RobotRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING,
        lease_owner="w1",
        lease_until=timezone.now() + datetime.timedelta(minutes=1),
    )
    again = execute_run(run.pk, "w1")

    assert (again.status, again.outcome) == (RunStatus.DONE, "The e-mail was already sent.")
    assert len(letters.sent) == 1


def test_a_robot_switched_to_a_webhook_after_the_claim_calls_it_outside(
    make_deal, first_stage, receiver, monkeypatch
):
    robot = RobotFactory(stage=first_stage)
    deal = make_deal()
    run = RobotRun.objects.get(card_id=deal.pk)
    claim()
    # Changed in the editor between the claim and the execution (same stage: the run stays).
    type(robot).objects.filter(pk=robot.pk).update(
        action="call_webhook", params={"url": receiver.url}
    )
    calls = []
    original = services._execute_external

    def external(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(services, "_execute_external", external)

    result = execute_run(run.pk, "w1")

    assert (result.status, result.outcome, calls) == (RunStatus.DONE, "Webhook answered 200.", [1])
    assert len(receiver.received) == 1


def test_a_robot_switched_from_a_webhook_after_the_claim_performs_its_new_action(
    make_deal, first_stage, receiver
):
    robot = hook(first_stage, receiver.url)
    deal = make_deal()
    run = RobotRun.objects.get(card_id=deal.pk)
    claim()
    type(robot).objects.filter(pk=robot.pk).update(action="comment", params={"text": "Готово"})

    result = execute_run(run.pk, "w1")

    assert (result.status, result.outcome) == (RunStatus.DONE, "Comment added: Готово")
    assert receiver.received == []


def test_an_external_action_performed_directly_sends_and_records_in_one_go(
    make_deal, first_stage, receiver
):
    hook(first_stage, receiver.url)
    deal = make_deal()
    run = RobotRun.objects.select_related("robot").get(card_id=deal.pk)
    action = get_action("call_webhook")

    first = action.perform(run, deal, run.robot.params)
    second = action.perform(run, deal, run.robot.params)

    assert (first.text, second.text) == ("Webhook answered 200.", "The webhook was already called.")
    assert len(receiver.received) == 1
    assert RunEffect.objects.filter(run=run, key="webhook").count() == 1
