"""9. Mixed load: several signed-in employees working at once through HTTP.

gunicorn (the server of scenario 5: ``gthread`` workers, as many as CPUs, 2 threads each) on
loopback and the benchmark's database. 4, then 8 client threads, each with a keep-alive
connection and the session of one of three employees — the head of sales (Head role: the
department's cards) and two sales managers (Manager role: their own cards), so every page pays
for the access rights — send a realistic mix for a fixed time:

=========================  ======  ===============================================================
kind                       weight  request
=========================  ======  ===============================================================
board                      15 %    deals board of the benchmark pipeline (``sales:deal_board``)
board column               15 %    the next 20 cards of a column (htmx ``sales:deal_board_column``)
deal list                  10 %    ``sales:deal_list`` of the pipeline: newest, one stage, mine,
                                   by amount
lead list                  10 %    ``sales:lead_list``: all, one stage, mine
card                       20 %    a deal, lead or contact card the employee sees
search                     10 %    contacts quick search by a phone in one of 3 spellings
lead create                10 %    the lead form posted (``sales:lead_create``, CSRF token)
stage move                  5 %    a deal dragged to another column (htmx ``sales:deal_move``
                                   with the card's version and the board's totals)
REST API                    5 %    ``/api/v1/deals/?stage=…`` with a personal token
=========================  ======  ===============================================================

Requests per second, p50/p95/p99 per kind and overall; any answer outside 2xx/3xx (or a
redirect to the sign-in page) is an error and is listed.

References, both on the same database at the same concurrency:

* **raw SQL mix**: the same weights of the raw statements the other scenarios use as their
  references (the board's first screen, a column page, a list page, a card, a phone lookup,
  a lead insert, a stage update with its transition and entry, an API page), from as many
  threads, each with its own connection. It is the database's share of the work: what is
  left is Django — request handling, rights, forms, templates — and HTTP.
* **bare Django**: the same server and clients requesting ``core:health`` (no session, one
  small read): the ceiling of requests per second of the stack on this machine.

The smoke test runs the mix in-process through the test client (a server would not see the
test's transaction): two rounds of every kind, with the queries of each request counted.
"""

import contextlib
import http.client
import json
import math
import os
import random
import secrets
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from benchmarks.measure import Timing, percentile, result
from benchmarks.scenarios.base import number
from benchmarks.scenarios.deal_board import raw_first_screen, raw_more_cards
from benchmarks.scenarios.deal_card import raw_card
from benchmarks.scenarios.deal_list import raw_page
from benchmarks.scenarios.lead_create import RawInsert, Server, _FormFields, form_body
from benchmarks.scenarios.search import phone_spellings, raw_lookup
from benchmarks.sql import fetch, table
from voronka.access.models import Action, Entity, Role, Scope, TokenScope
from voronka.access.predicates import scope_for, visible_to
from voronka.access.services import api_token_create, role_assign
from voronka.contacts.models import Communication, CommunicationKind, Contact
from voronka.sales.models import Deal, Lead, Stage, StageKind, StageTransition
from voronka.sales.selectors.boards import board_cursor
from voronka.staff.models import User
from voronka.timeline.models import EntryKind, TimelineEntry

SCENARIO = "9 mixed"
CLIENTS = (4, 8)
SECONDS = {"full": 60.0, "quick": 10.0}
RAW_SECONDS = {"full": 20.0, "quick": 3.0}
BARE_SECONDS = {"full": 10.0, "quick": 2.0}
ROUNDS = 2  # in-process (smoke test): every kind this many times per employee
SAMPLES = 40  # cards, phones… of each employee the requests pick from
PER_STAGE = 20
TARGET_PER_SECOND = 150
TARGET_P95_MS = 100


@dataclass(frozen=True)
class Kind:
    name: str
    weight: int


KINDS = (
    Kind("board", 15),
    Kind("board column", 15),
    Kind("deal list", 10),
    Kind("lead list", 10),
    Kind("card", 20),
    Kind("search", 10),
    Kind("lead create", 10),
    Kind("stage move", 5),
    Kind("REST API", 5),
)
WEIGHTS = ", ".join(f"{kind.name} {kind.weight}%" for kind in KINDS)


@dataclass
class Request:
    method: str
    url: str
    body: bytes | None = None
    headers: dict = field(default_factory=dict)


@dataclass
class Mover:
    """A deal one client drags back and forth between its stage and another open one."""

    deal_id: int
    stages: tuple[int, int]
    version: int
    moves: int = 0

    def next_stage(self) -> int:
        return self.stages[(self.moves + 1) % 2]


@dataclass
class Actor:
    """A signed-in employee and what the requests pick from among what they may see."""

    label: str
    user: User
    client: Client
    cookie: str
    csrf: str
    token: str
    board_url: str
    column_urls: list[str]
    deal_list_urls: list[str]
    lead_list_urls: list[str]
    card_urls: list[str]
    search_urls: list[str]
    lead_form: dict[str, str]
    movable: list[tuple[int, int, int]]  # (deal id, stage id, version) the employee may change


class Session:
    """What one client thread sends: its employee's requests, its own deals to move."""

    def __init__(self, actor: Actor, seed: int, movers: list[Mover], pipeline_stages: list[int]):
        self.actor = actor
        self.rng = random.Random(seed)
        self.movers = movers
        self.pipeline_stages = pipeline_stages
        self.serial = random.SystemRandom().randrange(10**8, 10**9)
        self.deck: list[Kind] = []

    def choose(self) -> Kind:
        """The next kind from a shuffled deck holding each kind as often as its weight, so
        even a short run keeps the proportions."""
        if not self.deck:
            self.deck = deck(self.rng)
        return self.deck.pop()

    def request(self, kind: Kind) -> Request:
        actor, rng = self.actor, self.rng
        name = kind.name
        if name == "board":
            return Request("GET", actor.board_url)
        if name == "board column":
            return Request("GET", rng.choice(actor.column_urls), headers={"HX-Request": "true"})
        if name == "deal list":
            return Request("GET", rng.choice(actor.deal_list_urls))
        if name == "lead list":
            return Request("GET", rng.choice(actor.lead_list_urls))
        if name == "card":
            # An employee who sees no card (no rights) opens the board instead.
            return Request("GET", rng.choice(actor.card_urls or [actor.board_url]))
        if name == "search":
            return Request("GET", rng.choice(actor.search_urls))
        if name == "lead create":
            self.serial += 1
            body = form_body(actor.lead_form, self.serial, actor.csrf)
            for key in list(body):
                if key == "phone" or (key.endswith("value") and "phone" in key):
                    body[key] = _unique_phone(self.serial)
            return Request(
                "POST",
                reverse("sales:lead_create"),
                urlencode(body).encode(),
                {"Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true"},
            )
        if name == "stage move":
            mover = self.movers[rng.randrange(len(self.movers))] if self.movers else None
            if mover is None:  # an employee with nothing to move looks at the board instead
                return Request("GET", actor.board_url)
            values = {"stage": mover.next_stage(), "version": mover.version, "board": "1"}
            return Request(
                "POST",
                reverse("sales:deal_move", args=[mover.deal_id]),
                urlencode(values).encode(),
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "HX-Request": "true",
                    "HX-Current-URL": f"http://127.0.0.1{actor.board_url}",
                    "X-CSRFToken": actor.csrf,
                },
            )
        if name == "REST API":
            stage = rng.choice(self.pipeline_stages)
            return Request(
                "GET",
                f"{reverse('api:deal-list')}?stage={stage}",
                headers={"Authorization": f"Bearer {actor.token}", "Cookie": ""},
            )
        raise ValueError(name)

    def answered(self, kind: Kind, request: Request, status: int, trigger: str | None) -> None:
        """Follow the version of a moved deal, as the board does from its ``HX-Trigger``."""
        if kind.name != "stage move" or status != 200 or not trigger:
            return
        try:
            moved = json.loads(trigger).get("voronka:card-moved") or {}
        except ValueError:
            return
        for mover in self.movers:
            if mover.deal_id == moved.get("id"):
                mover.moves += 1
                mover.version = moved.get("version", mover.version)


def deck(rng: random.Random) -> list[Kind]:
    step = math.gcd(*(kind.weight for kind in KINDS))
    cards = [kind for kind in KINDS for _ in range(kind.weight // step)]
    rng.shuffle(cards)
    return cards


def _unique_phone(serial: int) -> str:
    digits = f"{serial % 10_000_000:07d}"
    return f"+7 (800) {digits[:3]}-{digits[3:5]}-{digits[5:]}"  # a block the demo never uses


# --- the employees and what they look at -----------------------------------------------------


def _actors(context) -> list[Actor]:
    """The head of sales (the benchmark's employee) and two sales managers with the Manager
    role (given to them when they have no role with wider rights)."""
    head = context.user
    managers = []
    manager_role = Role.objects.filter(code="manager").first()
    candidates = (
        User.objects.filter(is_active=True, is_superuser=False, department_id=head.department_id)
        .exclude(pk=head.pk)
        .order_by("pk")
    )
    for user in candidates:
        if scope_for(user, Entity.DEAL, Action.READ) == Scope.OWN and scope_for(
            user, Entity.LEAD, Action.ADD
        ):
            managers.append(user)
        if len(managers) == 2:
            break
    if len(managers) < 2 and manager_role is not None:
        # No demo employee of the department has the Manager role alone: give it to one.
        for user in candidates.exclude(pk__in=[m.pk for m in managers]).filter(access_roles=None):
            role_assign(actor=None, role=manager_role, user=user)
            managers.append(User.objects.get(pk=user.pk))
            if len(managers) == 2:
                break
    people = [(_role_label(head, "head of sales"), head)]
    people += [(_role_label(user, "sales manager"), user) for user in managers]
    return [_actor(context, label, user) for label, user in people]


def _role_label(user, what: str) -> str:
    roles = ", ".join(user.access_roles.order_by("pk").values_list("name", flat=True)) or "Manager"
    return f"{what} {user.username} ({roles})"


def _actor(context, label: str, user: User) -> Actor:
    dataset = context.dataset
    rng = random.Random(user.pk)
    client = Client(HTTP_HOST="127.0.0.1", raise_request_exception=False)
    client.force_login(user)
    csrf = secrets.token_hex(16)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.cookies[settings.CSRF_COOKIE_NAME] = csrf
    cookie = f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={csrf}"
    _token, token = api_token_create(
        actor=user, user=user, name="Benchmark: mixed load", scopes=[TokenScope.READ]
    )

    pipeline_id = dataset.pipeline_id
    deals = visible_to(user, Deal.objects.filter(pipeline_id=pipeline_id))
    # The next cards of each column, below the 20th card the employee sees there.
    column_urls = []
    for stage_id in dataset.stage_ids:
        twentieth = list(
            deals.filter(stage_id=stage_id)
            .order_by("-created_at", "-pk")
            .only("pk", "created_at")[PER_STAGE - 1 : PER_STAGE]
        )
        if twentieth:
            after = board_cursor(twentieth[0])
            url = reverse("sales:deal_board_column", args=[stage_id])
            column_urls.append(f"{url}?after={after}")
    board_url = reverse("sales:deal_board", args=[pipeline_id])
    if not column_urls:
        column_urls = [reverse("sales:deal_board_column", args=[dataset.stage_ids[0]])]

    deal_list = reverse("sales:deal_list")
    stage = rng.choice(dataset.stage_ids)
    deal_list_urls = [
        f"{deal_list}?pipeline={pipeline_id}",
        f"{deal_list}?pipeline={pipeline_id}&stage={stage}",
        f"{deal_list}?pipeline={pipeline_id}&mine=on",
        f"{deal_list}?pipeline={pipeline_id}&sort=-amount",
    ]
    lead_list = reverse("sales:lead_list")
    lead_stages = list(
        Stage.objects.filter(pipeline__entity="lead", kind=StageKind.OPEN).values_list(
            "pk", flat=True
        )[:3]
    )
    lead_list_urls = [lead_list, f"{lead_list}?mine=on"]
    lead_list_urls += [f"{lead_list}?stage={pk}" for pk in lead_stages[:1]]

    def sample(queryset) -> list[int]:
        ids = list(queryset.order_by("-pk").values_list("pk", flat=True)[: SAMPLES * 5])
        return rng.sample(ids, min(SAMPLES, len(ids)))

    card_urls = [reverse("sales:deal_detail", args=[pk]) for pk in sample(deals)]
    card_urls += [
        reverse("sales:lead_detail", args=[pk])
        for pk in sample(visible_to(user, Lead.objects.all()))[: SAMPLES // 2]
    ]
    contact_ids = sample(visible_to(user, Contact.objects.all()))
    card_urls += [
        reverse("contacts:contact_detail", args=[pk]) for pk in contact_ids[: SAMPLES // 2]
    ]

    contact_type = ContentType.objects.get_for_model(Contact)
    phones = Communication.objects.filter(
        kind=CommunicationKind.PHONE, card_type=contact_type, card_id__in=contact_ids
    ).values_list("value_normalized", flat=True)
    contact_list = reverse("contacts:contact_list")
    search_urls = [
        f"{contact_list}?{urlencode({'q': spelling})}"
        for value in sorted(set(phones))[:SAMPLES]
        if value.startswith("+7") and len(value) == 12
        for spelling in phone_spellings(value)
    ] or [f"{contact_list}?{urlencode({'q': '+7 (999) 000-00-00'})}"]

    form_page = client.get(reverse("sales:lead_create"))
    parser = _FormFields()
    parser.feed(form_page.content.decode())
    lead_form = parser.form_for(reverse("sales:lead_create"))

    movable = list(
        visible_to(user, Deal.objects.filter(pipeline_id=pipeline_id), action=Action.UPDATE)
        .filter(stage_id__in=dataset.stage_ids)
        .order_by("-pk")
        .values_list("pk", "stage_id", "version")[:SAMPLES]
    )
    return Actor(
        label=label,
        user=user,
        client=client,
        cookie=cookie,
        csrf=csrf,
        token=token,
        board_url=board_url,
        column_urls=column_urls,
        deal_list_urls=deal_list_urls,
        lead_list_urls=lead_list_urls,
        card_urls=card_urls,
        search_urls=search_urls,
        lead_form=lead_form,
        movable=movable,
    )


def _sessions(actors: list[Actor], clients: int, stage_ids: list[int], taken: set) -> list:
    """One session per client thread, the employees in turn; every thread moves deals of its
    own (no two threads drag the same card)."""
    sessions = []
    for index in range(clients):
        actor = actors[index % len(actors)]
        movers = []
        for deal_id, stage_id, version in actor.movable:
            if deal_id in taken:
                continue
            other = next((pk for pk in stage_ids if pk != stage_id), stage_id)
            movers.append(Mover(deal_id, (stage_id, other), version))
            taken.add(deal_id)
            if len(movers) == 2:
                break
        sessions.append(Session(actor, 1000 + index, movers, stage_ids))
    return sessions


# --- running the mix -------------------------------------------------------------------------


@dataclass
class Load:
    seconds: dict[str, list[float]]  # per kind
    errors: list[tuple[str, str]]  # (kind, what happened)
    wall: float
    # CPU seconds the work took: the server's processes (HTTP), or this process (raw SQL; on
    # SQLite that includes the database's work).
    cpu: float | None = None
    # CPU seconds of each request, per kind, where they could be told apart (in-process runs,
    # raw SQL threads).
    cpu_per_kind: dict[str, list[float]] = field(default_factory=dict)

    @property
    def cpu_per_request(self) -> list[float]:
        done = len(self.every)
        return [self.cpu / done] if self.cpu is not None and done else []

    @property
    def every(self) -> list[float]:
        return [value for values in self.seconds.values() for value in values]

    @property
    def per_second(self) -> float:
        done = len(self.every)
        return done / self.wall if self.wall else 0.0


def _failure(request: Request, status: int, location: str) -> str | None:
    if 200 <= status < 300:
        return None
    if 300 <= status < 400:
        if location and reverse("login") in location:
            return f"{request.method} {request.url} → {status} to the sign-in page"
        return None
    return f"{request.method} {request.url} → {status}"


def http_mix(
    port: int, sessions: list[Session], *, seconds: float, warmup: bool, server_pid: int = 0
) -> Load:
    """Every session in a thread of its own with a keep-alive connection, for ``seconds``
    (after one request of every kind per session when ``warmup``; their failures count too)."""
    lock = threading.Lock()
    timings: dict[str, list[float]] = defaultdict(list)
    errors: list[tuple[str, str]] = []
    clock = _Clock(seconds, lambda: process_tree_cpu(server_pid) if server_pid else None)
    start = threading.Barrier(len(sessions) + 1, action=clock.start)

    def send(connection_, session: Session, kind: Kind) -> tuple[float, str | None]:
        request = session.request(kind)
        headers = {"Cookie": session.actor.cookie, **request.headers}
        if not headers["Cookie"]:
            headers.pop("Cookie")
        began = time.perf_counter()
        connection_.request(request.method, request.url, body=request.body, headers=headers)
        response = connection_.getresponse()
        response.read()
        elapsed = time.perf_counter() - began
        session.answered(kind, request, response.status, response.getheader("HX-Trigger"))
        return elapsed, _failure(request, response.status, response.getheader("Location") or "")

    def client(session: Session) -> None:
        connection_ = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            run_client(session, connection_)
        except threading.BrokenBarrierError:
            pass
        except Exception as failure:  # noqa: BLE001 — a broken client must not hold the others
            with lock:
                errors.append(("client", f"{type(failure).__name__}: {failure}"))
            start.abort()

    def run_client(session: Session, connection_) -> None:
        try:
            if warmup:
                for kind in KINDS:
                    try:
                        _elapsed, error = send(connection_, session, kind)
                    except (OSError, http.client.HTTPException) as failure:
                        connection_.close()
                        error = f"{type(failure).__name__}: {failure}"
                    if error:
                        with lock:
                            errors.append((kind.name, f"{error} (warm-up)"))
            start.wait(timeout=600)
            while time.perf_counter() < clock.deadline:
                kind = session.choose()
                try:
                    elapsed, error = send(connection_, session, kind)
                except (OSError, http.client.HTTPException) as failure:
                    connection_.close()
                    connection_ = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                    elapsed, error = 0.0, f"{type(failure).__name__}: {failure}"
                with lock:
                    if error:
                        errors.append((kind.name, error))
                    else:
                        timings[kind.name].append(elapsed)
        finally:
            connection_.close()

    threads = [threading.Thread(target=client, args=(s,), daemon=True) for s in sessions]
    for thread in threads:
        thread.start()
    with contextlib.suppress(threading.BrokenBarrierError):  # a client broke: its error is listed
        start.wait(timeout=600)
    for thread in threads:
        thread.join()
    wall, cpu = clock.stop()
    return Load(dict(timings), errors, wall, cpu)


class _Clock:
    """The timed window of a load: started by the barrier that releases the clients (so
    every client sees the deadline), with the CPU seconds of ``cpu`` over it."""

    def __init__(self, seconds: float, cpu) -> None:
        self.seconds = seconds
        self.cpu = cpu
        self.deadline = 0.0
        self.began = 0.0
        self.cpu_began = None

    def start(self) -> None:
        self.cpu_began = self.cpu()
        self.began = time.perf_counter()
        self.deadline = self.began + self.seconds

    def stop(self) -> tuple[float, float | None]:
        wall = time.perf_counter() - self.began
        cpu_now = self.cpu()
        used = cpu_now - self.cpu_began if None not in (cpu_now, self.cpu_began) else None
        return wall, used


def process_tree_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) of process ``pid`` and its children — gunicorn's master
    and workers — from ``/proc`` (Linux); None elsewhere."""
    try:
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(entry.name) == pid or int(fields[1]) == pid:
                total += int(fields[11]) + int(fields[12])
        return total / tick
    except (OSError, ValueError, IndexError):
        return None


def bare_requests(port: int, clients: int, seconds: float) -> float:
    """Requests per second of ``core:health`` (no session) from ``clients`` threads."""
    url = reverse("core:health")
    count = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client() -> None:
        connection_ = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            while time.perf_counter() < deadline:
                connection_.request("GET", url)
                response = connection_.getresponse()
                response.read()
                if response.status == 200:
                    with lock:
                        count[0] += 1
        except (OSError, http.client.HTTPException):
            pass
        finally:
            connection_.close()

    began = time.perf_counter()
    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return count[0] / (time.perf_counter() - began)


def in_process(sessions: list[Session], rounds: int):
    """Every kind ``rounds`` times per session through the test client, one after another;
    the timings and the queries of each kind (the most any employee needed)."""
    timings: dict[str, list[float]] = defaultdict(list)
    queries: dict[str, int] = {}
    cpu: dict[str, list[float]] = defaultdict(list)
    errors: list[tuple[str, str]] = []
    began, cpu_began = time.perf_counter(), time.process_time()
    for _round in range(rounds):
        for session in sessions:
            for kind in KINDS:
                request = session.request(kind)
                headers = {k: v for k, v in request.headers.items() if k != "Cookie"}
                content_type = headers.pop("Content-Type", "application/octet-stream")
                client = session.actor.client
                with CaptureQueriesContext(connection) as captured:
                    started, cpu_started = time.perf_counter(), time.thread_time()
                    if request.method == "GET":
                        response = client.get(request.url, headers=headers)
                    else:
                        response = client.generic(
                            request.method,
                            request.url,
                            request.body or b"",
                            content_type=content_type,
                            headers=headers,
                        )
                    elapsed = time.perf_counter() - started
                    cpu[kind.name].append(time.thread_time() - cpu_started)
                session.answered(kind, request, response.status_code, response.get("HX-Trigger"))
                error = _failure(request, response.status_code, response.get("Location", ""))
                if error:
                    errors.append((kind.name, error))
                    continue
                timings[kind.name].append(elapsed)
                queries[kind.name] = max(queries.get(kind.name, 0), len(captured))
    wall, process_cpu = time.perf_counter() - began, time.process_time() - cpu_began
    return Load(dict(timings), errors, wall, process_cpu, dict(cpu)), queries


# --- the raw SQL reference -------------------------------------------------------------------


class RawMix:
    """The same mix in raw SQL: each kind's statements as the other scenarios' references
    run them."""

    def __init__(self, context, actors: list[Actor]) -> None:
        dataset = context.dataset
        self.pipeline_id = dataset.pipeline_id
        self.stage_ids = dataset.stage_ids
        self.cursors = []
        for stage_id in self.stage_ids:
            last = list(
                Deal.objects.filter(stage_id=stage_id)
                .order_by("-created_at", "-pk")
                .values_list("created_at", "pk")[PER_STAGE - 1 : PER_STAGE]
            )
            if last:
                self.cursors.append((stage_id, last[0]))
        self.deal_ids = [url_id(url) for a in actors for url in a.card_urls if "/deals/" in url]
        contact_type = ContentType.objects.get_for_model(Contact).pk
        self.contact_type = contact_type
        self.phones = list(
            Communication.objects.filter(
                kind=CommunicationKind.PHONE, card_type_id=contact_type
            ).values_list("value_normalized", flat=True)[:SAMPLES]
        )
        self.insert = RawInsert(context.user.pk)
        self.user_id = context.user.pk
        self.deal_type = ContentType.objects.get_for_model(Deal).pk
        # Deals of their own (the oldest of the pipeline): the clients' deals keep the
        # versions the clients know.
        taken = {deal_id for actor in actors for deal_id, _stage, _version in actor.movable}
        self.movers = [
            pk
            for pk in Deal.objects.filter(pipeline_id=self.pipeline_id, stage_id__in=self.stage_ids)
            .order_by("pk")
            .values_list("pk", flat=True)[: SAMPLES * 2]
            if pk not in taken
        ][:SAMPLES]
        self.serial = random.SystemRandom().randrange(10**6, 10**7)
        self.lock = threading.Lock()

    def run(self, kind: Kind, rng: random.Random) -> None:
        name = kind.name
        if name == "board":
            raw_first_screen(self.pipeline_id, per_stage_limit=True)
        elif name == "board column":
            stage_id, cursor = rng.choice(self.cursors)
            raw_more_cards(stage_id, cursor)
        elif name == "deal list":
            if rng.random() < 0.5:
                raw_page(pipeline_id=self.pipeline_id)
            else:
                raw_page(stage_id=rng.choice(self.stage_ids))
        elif name == "lead list":
            raw_lead_page()
        elif name == "card":
            raw_card(rng.choice(self.deal_ids), PER_STAGE)
        elif name == "search":
            raw_lookup(CommunicationKind.PHONE, rng.choice(self.phones), self.contact_type)
        elif name == "lead create":
            with self.lock:
                self.serial += 1
                serial = self.serial
            self.insert(serial)
        elif name == "stage move":
            deal_id = rng.choice(self.movers)
            self.move(deal_id, rng.choice(self.stage_ids))
        elif name == "REST API":
            raw_page(stage_id=rng.choice(self.stage_ids))

    def move(self, deal_id: int, stage_id: int) -> None:
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT stage_id FROM {table(Deal)} WHERE id = %s", [deal_id]
            )  # the stage it leaves
            previous = cursor.fetchone()[0]
            cursor.execute(
                f"UPDATE {table(Deal)} SET stage_id = %s, stage_changed_at = %s, "
                "version = version + 1, updated_at = %s WHERE id = %s",
                [stage_id, now, now, deal_id],
            )
            cursor.execute(
                f"INSERT INTO {table(StageTransition)} (deal_id, from_stage_id, to_stage_id, "
                "actor_id, moved_at, seconds_in_previous) VALUES (%s, %s, %s, %s, %s, 0)",
                [deal_id, previous, stage_id, self.user_id, now],
            )
            cursor.execute(
                f"INSERT INTO {table(TimelineEntry)} (card_type_id, card_id, kind, author_id, "
                "created_at, text, payload) VALUES (%s, %s, %s, %s, %s, '', %s)",
                [
                    self.deal_type,
                    deal_id,
                    EntryKind.STAGE_CHANGED,
                    self.user_id,
                    now,
                    json.dumps({"from": previous, "to": stage_id}),
                ],
            )


def url_id(url: str) -> int:
    return int(url.rstrip("/").rsplit("/", 1)[1])


def raw_lead_page() -> None:
    lead, stage, user = table(Lead), table(Stage), table(User)
    page = fetch(
        "SELECT l.id, l.title, l.last_name, l.first_name, l.company_title, l.created_at, "
        f"s.name, s.color, u.first_name, u.last_name FROM {lead} l "
        f"JOIN {stage} s ON s.id = l.stage_id JOIN {user} u ON u.id = l.responsible_id "
        "WHERE l.deleted_at IS NULL ORDER BY l.created_at DESC, l.id DESC LIMIT 50"
    )
    ids = [row[0] for row in page]
    if ids:
        fetch(
            f"SELECT card_id, kind, value FROM {table(Communication)} "
            f"WHERE card_type_id = %s AND card_id IN ({', '.join(['%s'] * len(ids))})",
            [ContentType.objects.get_for_model(Lead).pk, *ids],
        )


def raw_mix(raw: RawMix, *, clients: int, seconds: float | None, rounds: int = 0) -> Load:
    """The raw mix from ``clients`` threads (each with its own connection) for ``seconds``;
    or, with ``seconds`` None, every kind ``rounds`` times in this thread (the smoke test,
    whose data only this connection sees)."""
    timings: dict[str, list[float]] = defaultdict(list)
    errors: list[tuple[str, str]] = []
    lock = threading.Lock()
    cpu: dict[str, list[float]] = defaultdict(list)
    if seconds is None:
        rng = random.Random(5)
        began, cpu_began = time.perf_counter(), time.process_time()
        for _round in range(rounds):
            for kind in KINDS:
                started, cpu_started = time.perf_counter(), time.thread_time()
                raw.run(kind, rng)
                timings[kind.name].append(time.perf_counter() - started)
                cpu[kind.name].append(time.thread_time() - cpu_started)
        wall, process_cpu = time.perf_counter() - began, time.process_time() - cpu_began
        return Load(dict(timings), errors, wall, process_cpu, dict(cpu))

    clock = _Clock(seconds, time.process_time)
    start = threading.Barrier(clients + 1, action=clock.start)

    def client(index: int) -> None:
        rng = random.Random(index)
        cards: list[Kind] = []
        try:
            start.wait(timeout=600)
            while time.perf_counter() < clock.deadline:
                cards = cards or deck(rng)
                kind = cards.pop()
                started, cpu_started = time.perf_counter(), time.thread_time()
                try:
                    raw.run(kind, rng)
                except Exception as failure:  # noqa: BLE001 — counted, as a server error would be
                    with lock:
                        errors.append((kind.name, f"{type(failure).__name__}: {failure}"))
                    continue
                with lock:
                    timings[kind.name].append(time.perf_counter() - started)
                    cpu[kind.name].append(time.thread_time() - cpu_started)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    start.wait(timeout=600)
    for thread in threads:
        thread.join()
    wall, process_cpu = clock.stop()
    return Load(dict(timings), errors, wall, process_cpu, dict(cpu))


# --- the rows --------------------------------------------------------------------------------


def run(context) -> list:
    sizes = context.sizes
    dataset = context.dataset
    actors = _actors(context)
    size = (
        f"{number(dataset.board_deals)} deals, {number(dataset.contacts)} contacts, "
        f"{len(actors)} employees"
    )
    context.log(f"    weights: {WEIGHTS}")
    for actor in actors:
        context.log(f"    employee: {actor.label}")
    raw = RawMix(context, actors)
    taken: set[int] = set()
    if not context.http:
        sessions = _sessions(actors, len(actors), dataset.stage_ids, taken)
        load, queries = in_process(sessions, ROUNDS)
        reference = raw_mix(raw, clients=1, seconds=None, rounds=ROUNDS * len(actors))
        return _rows(
            context, load, reference, load, queries, size, "test client, one at a time", {}
        )

    # Every kind once per employee in this process, one after another: the queries and the
    # CPU time of one request of each kind, before the server starts.
    single, queries = in_process(_sessions(actors, len(actors), dataset.stage_ids, taken), 1)
    for line in _distinct(single.errors):
        context.log(f"    error (in-process): {line}")
    seconds = SECONDS.get(sizes.name, 10.0)
    raw_seconds = RAW_SECONDS.get(sizes.name, 3.0)
    bare_seconds = BARE_SECONDS.get(sizes.name, 2.0)
    workers = max(2, os.cpu_count() or 2)
    rows = []
    server = Server(workers)
    try:
        for position, clients in enumerate(CLIENTS):
            sessions = _sessions(actors, clients, dataset.stage_ids, taken)
            load = http_mix(
                server.port,
                sessions,
                seconds=seconds,
                warmup=position == 0,
                server_pid=server.process.pid,
            )
            bare = bare_requests(server.port, clients, bare_seconds)
            reference = raw_mix(raw, clients=clients, seconds=raw_seconds)
            through = (
                f"HTTP via gunicorn {workers} workers × 2 threads, {clients} clients, "
                f"{seconds:.0f} s"
            )
            rows += _rows(
                context,
                load,
                reference,
                single,
                queries,
                size,
                through,
                {"bare Django req/s (core:health)": f"{bare:.0f}"},
                clients=clients,
            )
    finally:
        server.stop()
    return rows


def _rows(
    context,
    load: Load,
    reference: Load,
    single: Load,
    queries: dict[str, int],
    size: str,
    through: str,
    extra: dict,
    *,
    clients: int = 1,
):
    """The overall row (CPU: per request, of the server's processes / of the raw SQL
    threads) and a row per kind (CPU: one request in-process / one raw statement set)."""
    prefix = f"{clients} clients" if context.http else "in-process"
    everything = load.every or [float("nan")]
    raw_every = reference.every or [float("nan")]
    met = load.per_second >= TARGET_PER_SECOND and (
        percentile(everything, 0.95) * 1000 <= TARGET_P95_MS and not load.errors
    )
    distinct_errors = _distinct(load.errors)
    overall = result(
        scenario=SCENARIO,
        operation=f"{prefix}: all requests",
        database=context.database,
        size=size,
        path=f"{through}; weights {WEIGHTS}",
        ours=Timing(everything, None, load.cpu_per_request),
        reference=Timing(raw_every, None, reference.cpu_per_request),
        extra={
            "req/s": f"{load.per_second:.1f}",
            "p99 ms": f"{percentile(everything, 0.99) * 1000:.1f}",
            "errors": len(load.errors),
            "raw SQL mix req/s": f"{reference.per_second:.0f}",
            **extra,
            f"target ≥ {TARGET_PER_SECOND} req/s, p95 ≤ {TARGET_P95_MS} ms, no errors": (
                "met" if met else "not met"
            ),
        },
    )
    if distinct_errors:
        overall.note = "errors: " + "; ".join(distinct_errors)
        overall.extra["error list"] = "; ".join(distinct_errors[:5])
    rows = [overall]
    idle = [kind.name for kind in KINDS if not load.seconds.get(kind.name)]
    if idle:  # a short run on a busy machine: a kind of 5 % may not come up
        overall.extra["kinds with no finished request"] = ", ".join(idle)
    for kind in KINDS:
        if kind.name in idle:
            continue
        seconds = load.seconds[kind.name]
        raw_seconds = reference.seconds.get(kind.name) or [float("nan")]
        errors = [text for name, text in load.errors if name == kind.name]
        done = len(load.seconds.get(kind.name, []))
        rows.append(
            result(
                scenario=SCENARIO,
                operation=f"{prefix}: {kind.name} ({kind.weight}%)",
                database=context.database,
                size=size,
                path=through,
                ours=Timing(
                    seconds, queries.get(kind.name), single.cpu_per_kind.get(kind.name, [])
                ),
                reference=Timing(raw_seconds, None, reference.cpu_per_kind.get(kind.name, [])),
                extra={
                    "req/s": f"{done / load.wall:.1f}" if load.wall else "0",
                    "p99 ms": f"{percentile(seconds, 0.99) * 1000:.1f}",
                    "errors": len(errors),
                },
            )
        )
    for line in distinct_errors:
        context.log(f"    error: {line}")
    return rows


def _distinct(errors: list[tuple[str, str]]) -> list[str]:
    counted: dict[str, int] = defaultdict(int)
    for kind, text in errors:
        counted[f"{kind}: {text}"] += 1
    return [f"{text} (×{count})" for text, count in sorted(counted.items(), key=lambda p: -p[1])]
