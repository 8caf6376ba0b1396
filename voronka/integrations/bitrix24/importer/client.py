"""A small synchronous client of a Bitrix24 portal's REST API through an inbound webhook
(``https://portal/rest/<user>/<token>/``): JSON POSTs, ``batch``, paging, back-off.

The token is a secret: it never appears in an error message, a log line or ``repr``; the
portal is named by its host only.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

PAGE_SIZE = 50
MAX_BATCH = 50
# Errors worth waiting for: the request-rate limit (503) and the per-method time budget (429).
RETRY_CODES = frozenset({"QUERY_LIMIT_EXCEEDED", "OPERATION_TIME_LIMIT", "OVERLOAD_LIMIT"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})
AUTH_CODES = frozenset(
    {"INVALID_CREDENTIALS", "NO_AUTH_FOUND", "expired_token", "invalid_token", "WRONG_AUTH_TYPE"}
)
_WEBHOOK_PATH = re.compile(r"^(?P<prefix>.*?/rest)/(?P<user>\d+)/(?P<token>[^/]+)/?$")
_TOKEN_IN_URL = re.compile(r"(/rest/\d+/)[^/\s\"']+")


class _HideWebhookTokens(logging.Filter):
    """httpx logs every request's URL at INFO; the webhook code in it must not reach logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(
                _TOKEN_IN_URL.sub(r"\1***", str(arg)) if "/rest/" in str(arg) else arg
                for arg in (record.args if isinstance(record.args, tuple) else (record.args,))
            )
        record.msg = _TOKEN_IN_URL.sub(r"\1***", str(record.msg))
        return True


_token_filter = _HideWebhookTokens()
for _name in ("httpx", "httpcore"):
    if _token_filter not in logging.getLogger(_name).filters:
        logging.getLogger(_name).addFilter(_token_filter)


class PortalError(Exception):
    """The portal answered with an error (or not at all); the message never holds the token."""

    def __init__(self, code: str, description: str, status: int | None = None):
        super().__init__(f"{code}: {description}" if code else description)
        self.code = code
        self.description = description
        self.status = status


class PortalAuthError(PortalError):
    """The webhook is not accepted (wrong token, user or expired): nothing can be imported."""


class PortalUnreachable(PortalError):
    """The portal did not answer (connection refused, timeouts) even after retries."""


@dataclass(frozen=True)
class Webhook:
    """An inbound webhook URL split into what may be shown and what may not."""

    base: str  # https://portal/rest/<user>/<token>/  (secret)
    portal: str  # portal host[:port] (shown, and the key of the id map)
    user_id: int

    @classmethod
    def parse(cls, url: str) -> Webhook:
        parts = urlsplit((url or "").strip())
        match = _WEBHOOK_PATH.match(parts.path or "")
        if parts.scheme not in ("http", "https") or not parts.netloc or match is None:
            raise ValueError(
                "Expected an inbound webhook URL such as https://portal.bitrix24.ru/rest/1/code/"
            )
        base = f"{parts.scheme}://{parts.netloc}{match.group('prefix')}/"
        base += f"{match.group('user')}/{match.group('token')}/"
        prefix = match.group("prefix").removesuffix("/rest").strip("/")
        portal = parts.netloc.lower() + (f"/{prefix}" if prefix else "")
        return cls(base=base, portal=portal, user_id=int(match.group("user")))

    def __repr__(self) -> str:
        return f"Webhook(portal={self.portal!r}, user_id={self.user_id})"


def encode_query(params: dict[str, Any]) -> str:
    """PHP's ``http_build_query``: nested maps and lists as ``a[b][0]=v``, for batch commands."""
    pairs: list[tuple[str, str]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(f"{prefix}[{key}]", item)
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value):
                walk(f"{prefix}[{index}]", item)
        elif value is None:
            pairs.append((prefix, ""))
        elif isinstance(value, bool):
            pairs.append((prefix, "Y" if value else "N"))
        else:
            pairs.append((prefix, str(value)))

    for key, value in params.items():
        walk(str(key), value)
    return "&".join(f"{quote(k, safe='[]')}={quote(v, safe='$[]')}" for k, v in pairs)


@dataclass
class BatchResult:
    """The per-command sections of a ``batch`` answer, as maps keyed by command key."""

    result: dict[str, Any]
    errors: dict[str, dict]
    total: dict[str, int]
    next: dict[str, int]


def _as_map(section: Any, keys: list[str]) -> dict:
    """PHP sends a section as a list when the keys are 0..n-1; as ``[]`` when empty."""
    if isinstance(section, dict):
        return section
    if isinstance(section, list):
        if not section:
            return {}
        return dict(zip(keys, section, strict=False))
    return {}


class Bitrix24Client:
    """Calls one portal through one inbound webhook."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 60.0,
        retries: int = 6,
        backoff: float = 0.5,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.webhook = Webhook.parse(url)
        self.retries = retries
        self.backoff = backoff
        self.sleep = sleep
        self.requests = 0
        self._http = httpx.Client(
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
            headers={"Accept": "application/json", "User-Agent": "voronka-import-bitrix24"},
        )

    @property
    def portal(self) -> str:
        return self.webhook.portal

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Bitrix24Client:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- one call --------------------------------------------------------------------------

    def _post(self, method: str, params: dict) -> httpx.Response:
        try:
            return self._http.post(self.webhook.base + method, json=params)
        except httpx.TimeoutException as error:
            raise PortalUnreachable("TIMEOUT", f"{self.portal} did not answer in time") from error
        except httpx.TransportError as error:
            # The exception's text may carry the URL, and so the token: name the type only.
            raise PortalUnreachable(
                "CONNECTION_ERROR", f"cannot connect to {self.portal} ({type(error).__name__})"
            ) from None

    def call_raw(self, method: str, params: dict | None = None) -> dict:
        """The whole answer (``result``, ``total``, ``next``…) of one method, with retries of
        the rate limits and lost connections; any other error raises ``PortalError``."""
        params = params or {}
        attempt = 0
        while True:
            attempt += 1
            self.requests += 1
            try:
                response = self._post(method, params)
            except PortalUnreachable:
                if attempt > self.retries:
                    raise
                self.sleep(self.backoff * 2 ** (attempt - 1))
                continue
            try:
                body = response.json()
            except ValueError:
                body = None
            code = str(body.get("error") or "") if isinstance(body, dict) else ""
            retry = response.status_code in RETRY_STATUSES or code in RETRY_CODES
            if retry and attempt <= self.retries:
                self.sleep(self.backoff * 2 ** (attempt - 1))
                continue
            if response.status_code == 200 and isinstance(body, dict) and not code:
                return body
            description = (
                str(body.get("error_description") or "")
                if isinstance(body, dict)
                else f"unexpected answer from {self.portal} (HTTP {response.status_code})"
            )
            if response.status_code in (301, 302, 303, 307, 308):
                description = f"{self.portal} redirects the API elsewhere; check the address"
            # A webhook without one of the scopes (insufficient_scope, also a 401) still
            # serves the other entities: only a refused webhook stops everything.
            refused = code in AUTH_CODES or (
                response.status_code == 401 and code != "insufficient_scope"
            )
            error_class = PortalAuthError if refused else PortalError
            raise error_class(code, description or "error", response.status_code)

    def call(self, method: str, params: dict | None = None) -> Any:
        return self.call_raw(method, params).get("result")

    # --- batches and lists -----------------------------------------------------------------

    def batch(self, commands: dict[str, tuple[str, dict]]) -> BatchResult:
        """Run up to 50 ``{key: (method, params)}`` commands in one request; a failing command
        is reported in ``errors`` and does not stop the others."""
        if len(commands) > MAX_BATCH:
            raise ValueError("A batch holds at most 50 commands")
        keys = list(commands)
        cmd = {
            key: f"{method}?{encode_query(params)}" for key, (method, params) in commands.items()
        }
        body = self.call("batch", {"halt": 0, "cmd": cmd}) or {}
        return BatchResult(
            result=_as_map(body.get("result"), keys),
            errors=_as_map(body.get("result_error"), keys),
            total=_as_map(body.get("result_total"), keys),
            next=_as_map(body.get("result_next"), keys),
        )

    def call_many(self, method: str, params_list: list[dict]) -> Iterator[tuple[int, Any, dict]]:
        """``method`` once per params, 50 to a batch: yields (index, result, error or {})."""
        for offset in range(0, len(params_list), MAX_BATCH):
            chunk = params_list[offset : offset + MAX_BATCH]
            answer = self.batch({f"c{i}": (method, params) for i, params in enumerate(chunk)})
            for i in range(len(chunk)):
                key = f"c{i}"
                yield offset + i, answer.result.get(key), answer.errors.get(key) or {}

    def pages_by_offset(self, method: str, params: dict | None = None) -> Iterator[list]:
        """Every page of a list method paged with ``start`` (0, 50, …) until ``next`` ends."""
        params = dict(params or {})
        start = 0
        while True:
            body = self.call_raw(method, {**params, "start": start})
            rows = unwrap(body.get("result"))
            yield rows
            following = body.get("next")
            if not rows or following is None or int(following) <= start:
                return
            start = int(following)

    def pages_by_id(
        self,
        method: str,
        params: dict | None = None,
        *,
        id_key: str = "ID",
        pages_per_request: int = 10,
    ) -> Iterator[list]:
        """Every page of a list method ordered by ID, fetched with ``>ID`` keyset filters and
        ``start=-1`` (no counting, the fast full export of the Bitrix24 docs): several pages
        per request as a ``batch`` of chained commands."""
        params = dict(params or {})
        filters = dict(params.pop("filter", None) or {})
        last_id = 0
        while True:
            commands: dict[str, tuple[str, dict]] = {}
            for n in range(pages_per_request):
                after = last_id if n == 0 else f"$result[p{n - 1}][{PAGE_SIZE - 1}][{id_key}]"
                commands[f"p{n}"] = (
                    method,
                    {
                        **params,
                        "filter": {**filters, f">{id_key}": after},
                        "order": {id_key: "ASC"},
                        "start": -1,
                    },
                )
            answer = self.batch(commands)
            for n in range(pages_per_request):
                key = f"p{n}"
                if key in answer.errors:
                    error = answer.errors[key] or {}
                    raise PortalError(
                        str(error.get("error") or ""),
                        str(error.get("error_description") or "error in a batch command"),
                    )
                rows = unwrap(answer.result.get(key))
                if rows:
                    yield rows
                    last_id = max(int(row[id_key]) for row in rows)
                if len(rows) < PAGE_SIZE:
                    return


def unwrap(result: Any) -> list:
    """A list result as a list: ``{"items": [...]}`` wrappers (one key) are opened."""
    if isinstance(result, dict) and len(result) == 1:
        (only,) = result.values()
        if isinstance(only, list):
            return only
    if isinstance(result, dict):
        return list(result.values()) if all(isinstance(v, dict) for v in result.values()) else []
    return list(result or [])
