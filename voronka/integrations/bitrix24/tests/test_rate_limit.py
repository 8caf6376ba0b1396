"""The leaky bucket (off by default) answers 503 QUERY_LIMIT_EXCEEDED, and each client library
reacts to it as it does against Bitrix24 itself."""

import importlib

import b24pysdk
import bitrix24
import pytest
import requests
from bitrix24.exceptions import BitrixError
from fast_bitrix24 import Bitrix

from voronka.core.testing.server import server_fixture
from voronka.integrations.bitrix24.tests.conftest import make_webhook

# One request drains every 2 s: b24pysdk's retries (after 1 s and 2 s more) get through, and
# a client calling right after the bucket is full is refused even on a slow machine.
server = server_fixture(settings_overrides={"BITRIX24_RATE_LIMIT": {"rate": 0.5, "burst": 3}})


@pytest.fixture
def hook(transactional_db, server, manager):
    return server.url + make_webhook(manager)


def exhaust(hook: str) -> None:
    """Fill the bucket: call until the server refuses."""
    for _ in range(10):
        if requests.get(hook + "profile", timeout=10).status_code == 503:
            return
    raise AssertionError("the limiter never refused")


def count_503(server) -> int:
    return server.log.count('HTTP/1.1" 503')


def test_over_the_burst_answers_503_query_limit_exceeded(hook):
    statuses = [requests.get(hook + "profile", timeout=10).status_code for _ in range(4)]
    response = requests.get(hook + "profile", timeout=10)

    assert statuses[:3] == [200, 200, 200]
    assert response.status_code == 503
    assert response.json() == {
        "error": "QUERY_LIMIT_EXCEEDED",
        "error_description": "Too many requests",
    }


def test_a_batch_counts_as_one_request(hook):
    commands = {f"c{n}": "profile" for n in range(10)}

    response = requests.post(hook + "batch", json={"cmd": commands}, timeout=10)

    assert response.status_code == 200
    assert len(response.json()["result"]["result"]) == 10


def test_bitrix24_rest_raises_on_503_without_retry(hook):
    exhaust(hook)

    with pytest.raises(BitrixError, match="503"):
        bitrix24.Bitrix24(hook.rstrip("/")).callMethod("profile")


def test_b24pysdk_retries_503_and_gets_through(hook, server, monkeypatch):
    caller = importlib.import_module("b24pysdk.api.callers.call_method")._MethodCaller
    monkeypatch.setattr(caller, "_base_url", property(lambda self: f"http://{self._domain}/rest"))
    domain, _, token = hook.removeprefix("http://").partition("/rest/")
    client = b24pysdk.Client(b24pysdk.BitrixWebhook(domain=domain, webhook_token=token.rstrip("/")))
    before = count_503(server)
    exhaust(hook)

    profile = client.profile().result

    assert profile["ID"]
    assert count_503(server) > before


def test_fast_bitrix24_backs_off_and_gets_through(hook, server):
    before = count_503(server)
    exhaust(hook)

    response = Bitrix(hook, verbose=False).call("profile", raw=True)

    assert response["result"]["ID"]
    assert count_503(server) > before
