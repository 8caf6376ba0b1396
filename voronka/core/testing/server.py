"""A real server process for black-box tests over HTTP.

Django's ``live_server`` runs in a thread of the test process; clients that check transport
details (content types, redirects, keep-alive, parallel requests) deserve the real thing:
gunicorn from the virtual environment, serving ``config.wsgi`` against the current test
database on a free port of 127.0.0.1.

Usage in a test module::

    from voronka.core.testing.server import server_fixture

    server = server_fixture()  # one process for the whole module

    def test_answers(transactional_db, server):
        assert httpx.get(server.url + "/health/").status_code == 200

Tests talking to the server need ``transactional_db``: the server is another process and only
sees committed rows. As the tests flush the database between tests, the server forgets its
cached content types at every request (a middleware added to its settings).
Settings changed with pytest's ``settings`` fixture do not reach it; pass
them as ``settings_overrides`` (written into a settings module that star-imports
``config.settings``) or as environment variables through ``env``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

BASE_DIR = Path(__file__).resolve().parents[3]
FRESH_CACHES = "voronka.core.testing.server.FreshCachesMiddleware"


class FreshCachesMiddleware:
    """In the test server only: forget the content type ids cached by an earlier request,
    since the tests flush the database between tests and the ids change."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.contrib.contenttypes.models import ContentType

        ContentType.objects.clear_cache()
        return self.get_response(request)


def free_port() -> int:
    """A TCP port of 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(settings_dict: dict) -> str:
    """The ``DATABASE_URL`` of a connection's settings (the test database once it is set up)."""
    engine = settings_dict["ENGINE"]
    name = str(settings_dict["NAME"])
    if engine.endswith("sqlite3"):
        return f"sqlite:///{name}" if name.startswith("/") else f"sqlite:///{Path(name).resolve()}"
    if "postgresql" in engine:
        user = quote(settings_dict.get("USER") or "", safe="")
        password = quote(settings_dict.get("PASSWORD") or "", safe="")
        credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = settings_dict.get("HOST") or "localhost"
        port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
        return f"postgres://{credentials}{host}{port}/{quote(name, safe='')}"
    raise RuntimeError(f"No server process for database engine {engine}")


@dataclass
class ServerProcess:
    """A gunicorn process serving the project; ``url`` has no trailing slash."""

    database_url: str
    settings_overrides: dict = field(default_factory=dict)
    env: dict = field(default_factory=dict)
    threads: int = 8
    workers: int = 1
    startup_timeout: float = 30.0
    port: int = 0
    process: subprocess.Popen | None = None
    _tmpdir: str | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> str:
        """What the server wrote to stderr so far (access log, errors)."""
        if not self._tmpdir:
            return ""
        path = Path(self._tmpdir) / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self) -> ServerProcess:
        self._tmpdir = tempfile.mkdtemp(prefix="voronka-server-")
        environment = {**os.environ, **{k: str(v) for k, v in self.env.items()}}
        environment["DATABASE_URL"] = self.database_url
        environment.setdefault("CONN_MAX_AGE", "0")
        environment["PYTHONPATH"] = os.pathsep.join(
            filter(None, [self._tmpdir, str(BASE_DIR), environment.get("PYTHONPATH")])
        )
        lines = [
            "from config.settings import *  # noqa: F403",
            f"MIDDLEWARE = [{FRESH_CACHES!r}, *MIDDLEWARE]  # noqa: F405",
        ]
        lines += [f"{name} = {value!r}" for name, value in self.settings_overrides.items()]
        (Path(self._tmpdir) / "server_test_settings.py").write_text("\n".join(lines) + "\n")
        environment["DJANGO_SETTINGS_MODULE"] = "server_test_settings"
        # Test-only environment of pytest-xdist/pytest-django must not leak into the server.
        for name in ("PYTEST_XDIST_WORKER", "PYTEST_CURRENT_TEST"):
            environment.pop(name, None)
        gunicorn = Path(sys.executable).with_name("gunicorn")
        last_error: Exception | None = None
        for _attempt in range(3):
            self.port = free_port()
            command = [
                str(gunicorn),
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--worker-class",
                "gthread",
                "--threads",
                str(self.threads),
                "--timeout",
                "60",
                "--graceful-timeout",
                "2",
                "--access-logfile",
                "-",
                "--error-logfile",
                "-",
                "--chdir",
                str(BASE_DIR),
            ]
            log = open(Path(self._tmpdir) / "server.log", "ab")  # noqa: SIM115
            self.process = subprocess.Popen(
                command, cwd=BASE_DIR, env=environment, stdout=log, stderr=subprocess.STDOUT
            )
            log.close()
            try:
                self._wait_until_ready()
                return self
            except RuntimeError as error:  # the port was taken meanwhile, or a slow start
                last_error = error
                self.stop(keep_log=True)
        raise RuntimeError(f"The server did not start: {last_error}\n{self.log[-4000:]}")

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError("the server process exited")
            try:
                httpx.get(self.url + "/health/", timeout=2.0)
                return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("the server did not answer in time")

    def stop(self, *, keep_log: bool = False) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None
        if not keep_log and self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_server(
    *,
    settings_overrides: dict | None = None,
    env: dict | None = None,
    threads: int = 8,
    workers: int = 1,
) -> ServerProcess:
    """Start a server process against the database the current connection uses (call it once
    the test database exists) and wait until it answers."""
    from django.db import connection

    return ServerProcess(
        database_url=database_url(connection.settings_dict),
        settings_overrides=dict(settings_overrides or {}),
        env=dict(env or {}),
        threads=threads,
        workers=workers,
    ).start()


def server_fixture(
    *,
    scope: str = "module",
    settings_overrides: dict | None = None,
    env: dict | None = None,
    threads: int = 8,
    workers: int = 1,
):
    """A pytest fixture (assign it to a name in the test module) yielding a running
    ``ServerProcess`` for the test database; stopped when its scope ends."""

    @pytest.fixture(scope=scope)
    def _server(django_db_setup, django_db_blocker):
        with django_db_blocker.unblock():
            server = start_server(
                settings_overrides=settings_overrides, env=env, threads=threads, workers=workers
            )
        try:
            yield server
        finally:
            server.stop()

    return _server
