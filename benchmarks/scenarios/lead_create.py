"""5. Creating leads: through the service, and through HTTP on a real server process.

* service: ``lead_create`` with a name, a company name and a phone, one lead per call (its
  own transaction, history entry and communication, as the service writes them);
* HTTP: gunicorn (``gthread`` workers, as many as CPUs) on loopback, N client threads with
  keep-alive connections (``http.client``), each signed in with a session cookie. They post the
  lead form to ``sales:lead_create`` when the URL conf has it; until then they GET the home
  page, and the row says so. Leads (or pages) per second and latency percentiles.

Reference: a raw INSERT loop — one lead row, its history entry and its phone per transaction.
"""

import http.client
import itertools
import os
import random
import secrets
import socket
import subprocess
import sys
import threading
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from benchmarks.database import BENCH_DIR
from benchmarks.measure import Timing, percentile, result, time_operation
from benchmarks.scenarios.base import number
from benchmarks.sql import table
from voronka.contacts.models import Communication
from voronka.sales.models import Lead
from voronka.sales.services import lead_create
from voronka.timeline.models import EntryKind, TimelineEntry

SCENARIO = "5 create"
# Phones of the leads the benchmark creates: the toll-free block +7 (800), which the demo data
# never uses, from a random place in it on every run — so duplicate control (a phone seen
# before: a warning the form asks to confirm) is not met by chance.
_BASE = random.SystemRandom().randrange(10**7)
_counter = itertools.count(_BASE)


def _phone(serial: int) -> str:
    return f"+7 (800) {serial // 10000 % 1000:03d}-{serial // 100 % 100:02d}-{serial % 100:02d}"


def phone_e164(serial: int) -> str:
    return f"+7800{serial % 10**7:07d}"


def lead_data(serial: int) -> dict:
    return {
        "last_name": "Нагрузкин",
        "first_name": f"Тест {serial}",
        "company_title": f"ООО «Бенчмарк {serial}»",
    }


def run(context) -> list:
    sizes = context.sizes
    leads = Lead.all_objects.count()
    size = f"{number(leads)} leads"
    rows = []

    def create(_index):
        serial = next(_counter)
        lead_create(
            actor=context.user,
            data=lead_data(serial),
            communications=[{"kind": "phone", "value": _phone(serial)}],
        )

    ours = time_operation(create, warmup=min(sizes.warmup, 2), runs=sizes.service_creates)
    raw = RawInsert(context.user.pk)
    reference = time_operation(raw, warmup=min(sizes.warmup, 2), runs=sizes.service_creates)
    per_second = len(ours.seconds) / sum(ours.seconds)
    rows.append(
        result(
            scenario=SCENARIO,
            operation="lead through the service",
            database=context.database,
            size=size,
            path="service lead_create",
            ours=ours,
            reference=reference,
            extra={
                "leads/s": f"{per_second:.0f}",
                "raw inserts/s": f"{len(reference.seconds) / sum(reference.seconds):.0f}",
            },
        )
    )
    if context.http:
        rows.append(http_row(context, reference, size))
    return rows


class RawInsert:
    """One lead, its "created" entry and its phone in one transaction, in raw SQL."""

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id
        template = Lead.all_objects.order_by("-pk").values_list("pk", flat=True)[:1]
        self.template_id = template[0] if template else None
        columns = [
            field.column
            for field in Lead._meta.concrete_fields
            if field.column not in ("id", "title", "created_at", "updated_at")
        ]
        quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
        self.lead_sql = (
            f"INSERT INTO {table(Lead)} (title, created_at, updated_at, {quoted}) "
            f"SELECT %s, %s, %s, {quoted} FROM {table(Lead)} WHERE id = %s RETURNING id"
        )
        self.entry_sql = (
            f"INSERT INTO {table(TimelineEntry)} "
            "(card_type_id, card_id, kind, author_id, created_at, text, payload) "
            "VALUES (%s, %s, %s, %s, %s, '', '{}')"
        )
        self.phone_sql = (
            f"INSERT INTO {table(Communication)} "
            "(card_type_id, card_id, kind, value_type, value, value_normalized, sort) "
            "VALUES (%s, %s, 'phone', 'work', %s, %s, 0)"
        )
        self.card_type = ContentType.objects.get_for_model(Lead).pk

    def __call__(self, index: int) -> None:
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        serial = 900_000 + index
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(self.lead_sql, [f"Raw {serial}", now, now, self.template_id])
            lead_id = cursor.fetchone()[0]
            cursor.execute(
                self.entry_sql, [self.card_type, lead_id, EntryKind.CREATED, self.user_id, now]
            )
            cursor.execute(
                self.phone_sql, [self.card_type, lead_id, _phone(serial), phone_e164(serial)]
            )


# --- HTTP -------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn serving the project on loopback with the benchmark's database."""

    def __init__(self, workers: int, threads: int = 2) -> None:
        self.port = _free_port()
        self.workers = workers
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        self.log = BENCH_DIR / "gunicorn.log"
        database = settings.DATABASES["default"]
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "False"}
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
        assert database["NAME"], "no database"
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "config.wsgi",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    str(workers),
                    "--worker-class",
                    "gthread",
                    "--threads",
                    str(threads),
                    "--keep-alive",
                    "30",
                    "--log-level",
                    "warning",
                ],
                env=env,
                cwd=Path(settings.BASE_DIR),
                stdout=log,
                stderr=log,
            )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log}")
            try:
                connection_ = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection_.request("GET", reverse("login"))
                status = connection_.getresponse().status
                connection_.close()
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer in {timeout:.0f} s; see {self.log}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class _FormFields(HTMLParser):
    """Every form of a page: its action and its fields with their initial values."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []
        self._fields: dict[str, str] | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self._fields = {}
            action = attributes.get("action") or attributes.get("hx-post") or ""
            self.forms.append((action, self._fields))
            return
        if self._fields is None:
            return
        name = attributes.get("name")
        if tag == "input" and name:
            kind = attributes.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attributes:
                return
            if kind not in ("submit", "button", "file", "image", "reset"):
                self._fields[name] = attributes.get("value") or ""
        elif tag == "textarea" and name:
            self._fields[name] = ""
        elif tag == "select" and name:
            self._select = name
            self._fields.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in attributes:
            self._fields[self._select] = attributes.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "form":
            self._fields = None

    def form_for(self, url: str) -> dict[str, str]:
        """The fields of the form that posts to ``url`` (or to its own page), the biggest."""
        candidates = [fields for action, fields in self.forms if action in ("", url)]
        return max(candidates or [{}], key=len)


def form_body(fields: dict[str, str], serial: int, csrf: str) -> dict[str, str]:
    """The lead form filled in: a person, a company name and a phone; the rest as the form
    offers it."""
    data = {**fields, "csrfmiddlewaretoken": csrf}
    for name, value in lead_data(serial).items():
        if name in data:
            data[name] = value
    for name in list(data):
        if name == "phone" or (name.endswith("value") and "phone" in name):
            data[name] = _phone(serial)
    if "title" in data and not data["title"]:
        data["title"] = f"Заявка {serial}"
    return data


def _form_fields(context, url: str) -> dict[str, str]:
    response = context.client.get(url)
    parser = _FormFields()
    parser.feed(response.content.decode())
    return parser.form_for(url)


def http_row(context, reference: Timing, size: str):
    sizes = context.sizes
    create_url, why_not = context.working_view("sales:lead_create")
    session = context.client.cookies[settings.SESSION_COOKIE_NAME].value
    csrf = secrets.token_hex(16)  # a 32-character secret: cookie and form field carry it
    cookie = f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={csrf}"
    if create_url:
        fields = _form_fields(context, create_url)
        path = "HTTP POST sales:lead_create (form)"
        operation = "lead through HTTP"

        def request_for(serial: int) -> tuple[str, str, bytes | None, dict]:
            body = urlencode(form_body(fields, serial, csrf)).encode()
            headers = {"Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true"}
            return "POST", create_url, body, headers
    else:
        home = reverse("sales:home")
        path = f"HTTP GET home page (lead form: {why_not})"
        operation = "home page through HTTP (no lead form yet)"

        def request_for(serial: int) -> tuple[str, str, bytes | None, dict]:
            return "GET", home, None, {}

    workers = max(2, os.cpu_count() or 2)
    server = Server(workers)
    try:
        load = run_clients(
            server.port,
            clients=sizes.http_clients,
            requests_per_client=sizes.http_requests,
            warmup=min(2, sizes.http_requests),
            cookie=cookie,
            request_for=request_for,
        )
    finally:
        server.stop()
    ours = Timing(load["seconds"], None)
    row = result(
        scenario=SCENARIO,
        operation=operation,
        database=context.database,
        size=size,
        path=f"{path}; gunicorn {workers} workers, {sizes.http_clients} clients",
        ours=ours,
        reference=reference,
        extra={
            "req/s": f"{load['per_second']:.0f}",
            "p99 ms": f"{percentile(load['seconds'], 0.99) * 1000:.1f}",
            "errors": load["errors"],
        },
    )
    if load["errors"]:
        row.error = f"{load['errors']} failed requests, first: {load['first_error']}"
    return row


def run_clients(
    port: int,
    *,
    clients: int,
    requests_per_client: int,
    warmup: int,
    cookie: str,
    request_for,
) -> dict:
    """``clients`` threads, each with one keep-alive connection, sending requests in a loop."""
    serials = itertools.count(_BASE + 5_000_000)
    lock = threading.Lock()
    seconds: list[float] = []
    errors: list[str] = []
    start = threading.Barrier(clients + 1)

    def send(connection_, serial) -> tuple[float, str | None]:
        method, url, body, headers = request_for(serial)
        began = time.perf_counter()
        connection_.request(method, url, body=body, headers={"Cookie": cookie, **headers})
        response = connection_.getresponse()
        response.read()
        elapsed = time.perf_counter() - began
        if response.status >= 400:
            return elapsed, f"{method} {url} → {response.status}"
        return elapsed, None

    def client() -> None:
        connection_ = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            for _ in range(warmup):
                with lock:
                    serial = next(serials)
                try:
                    send(connection_, serial)
                except (OSError, http.client.HTTPException):
                    connection_.close()
                    connection_ = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            start.wait(timeout=300)
            for _ in range(requests_per_client):
                with lock:
                    serial = next(serials)
                try:
                    elapsed, error = send(connection_, serial)
                except (OSError, http.client.HTTPException) as failure:
                    connection_.close()
                    connection_ = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                    elapsed, error = 0.0, f"{type(failure).__name__}: {failure}"
                with lock:
                    if error:
                        errors.append(error)
                    else:
                        seconds.append(elapsed)
        finally:
            connection_.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    start.wait(timeout=300)
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    done = len(seconds)
    return {
        "seconds": seconds or [float("nan")],
        "per_second": done / wall if wall else 0.0,
        "errors": len(errors),
        "first_error": errors[0] if errors else "",
    }
