"""A real HTTP receiver on 127.0.0.1 that answers with the codes a test queues and records
every request, and the settings that let webhooks reach it."""

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    answers: deque = field(default_factory=deque)
    requests: list[Received] = field(default_factory=list)
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, *codes: int) -> None:
        self.answers.extend(codes)

    def next_code(self) -> int:
        with self.lock:
            return self.answers.popleft() if self.answers else 200


def _handler(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            with receiver.lock:
                receiver.requests.append(
                    Received(path=self.path, headers=dict(self.headers.items()), body=body)
                )
            if receiver.delay:
                time.sleep(receiver.delay)
            code = receiver.next_code()
            payload = b"ok" if code < 300 else b"boom"
            self.send_response(code)
            if 300 <= code < 400:
                self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def receiver(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    settings.WEBHOOKS_TIMEOUT = 2
    instance = Receiver(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(instance))
    instance.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield instance
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    """Kicks after commit would post to the broker; the tests call the worker themselves."""
    kicks: list[int] = []
    monkeypatch.setattr(
        "voronka.integrations.services._kick", lambda: kicks.append(1), raising=True
    )
    return kicks
