"""Calling an outbound webhook from a robot: POST the card's chosen fields and templated
parameters as JSON.

Every request carries ``Idempotency-Key: robot-run-<id>`` and, when the robot has a secret,
``X-Voronka-Signature: sha256=<hex>`` — the HMAC-SHA256 of the raw body with that secret. A 2xx
answer finishes the run; a 4xx (but 408, 425 and 429) fails it at once, trying again would be
refused the same way; a 5xx, 408, 425, 429, a timeout or a connection error is an ordinary error
the runner retries with its back-off.

The call is made with no database transaction open (``ExternalAction``): a slow receiver holds
neither SQLite's write lock nor the card's row lock. The call is recorded afterwards; a worker
that dies between the two leaves it unrecorded and the run is taken over and called again —
with the same ``Idempotency-Key``, which stays the same on every attempt of the run, so the
receiver can drop the repeat.

Targets on private, loopback, link-local or reserved addresses are refused unless
``AUTOMATION_WEBHOOK_ALLOW_PRIVATE`` is set: a robot set up in the web interface must not reach
the services inside the installation's network (SSRF). Redirects are not followed for the same
reason.
"""

import datetime
import hashlib
import hmac
import ipaddress
import json
import socket
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from voronka.automation.actions.base import (
    ActionFailed,
    ExternalAction,
    Outcome,
    register,
)
from voronka.automation.actions.builtin import _model_of, template_context
from voronka.automation.fields import (
    definitions_of,
    entity_of_model,
    field_spec,
    raw_value,
)
from voronka.automation.templating import compile_template, render
from voronka.customization.validation import definitions_for

DEFAULTS = {
    # Seconds to connect and to wait for the answer; keep it well under the run's lease.
    "AUTOMATION_WEBHOOK_TIMEOUT": 10,
    "AUTOMATION_WEBHOOK_ALLOW_PRIVATE": False,
}
SIGNATURE_HEADER = "X-Voronka-Signature"
# Fields sent when the robot chooses none.
DEFAULT_FIELDS = ("title", "stage", "amount", "currency", "responsible")
RETRIED_CLIENT_ERRORS = {408, 425, 429}
# The answer is read up to this size (its first 500 characters go to the run's trace).
ANSWER_BYTES = 64 * 1024


def _setting(name: str) -> Any:
    return getattr(settings, name, DEFAULTS[name])


def parse_extra(text: str) -> list[tuple[str, str]]:
    """``name = template`` lines of the extra parameters; blank lines are ignored."""
    pairs = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        name, sep, template = line.partition("=")
        if not sep or not name.strip():
            raise ValidationError(
                _("Write each extra parameter as “name = value”: %(line)s") % {"line": line}
            )
        pairs.append((name.strip(), template.strip()))
    return pairs


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    return value


def card_payload(card, codes: list[str]) -> dict[str, Any]:
    """The chosen fields of the card: plain values; a reference as its id and name."""
    definitions = definitions_of(card)
    result: dict[str, Any] = {"id": card.pk}
    for code in codes:
        spec = field_spec(type(card), code, definitions)
        if spec is None:
            continue
        value = raw_value(card, spec)
        if spec.model_field is not None and spec.model_field.is_relation:
            related = getattr(card, spec.model_field.name)
            value = None if related is None else {"id": related.pk, "name": str(related)}
        result[spec.code] = _jsonable(value)
    return result


def _check_target(url: str) -> None:
    """Refuse a URL whose host resolves to an address inside the network (ActionFailed)."""
    if _setting("AUTOMATION_WEBHOOK_ALLOW_PRIVATE"):
        return
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    # A failing DNS lookup is an ordinary error: the runner tries again later.
    addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, port)}
    for address in sorted(addresses):
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global or ip.is_multicast:
            raise ActionFailed(
                _("The address %(ip)s of %(host)s is inside the network; webhooks go outside.")
                % {"ip": ip, "host": parts.hostname}
            )


@dataclass(frozen=True)
class WebhookRequest:
    url: str
    body: bytes
    headers: dict[str, str]


class CallWebhook(ExternalAction):
    code = "call_webhook"
    label = _lazy("Call a webhook")
    effect_key = "webhook"
    already_done = _lazy("The webhook was already called.")
    params_schema = {
        "url": {"type": "text", "label": _lazy("URL"), "required": True},
        "fields": {"type": "fields", "label": _lazy("Card fields to send")},
        "extra": {
            "type": "template",
            "label": _lazy("Extra parameters, one “name = value” a line"),
        },
        "secret": {"type": "text", "label": _lazy("Secret for the signature")},
    }

    def validate(self, robot, params):
        errors: dict[str, list[str]] = {}
        parts = urlsplit(params["url"].strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            errors["url"] = [_("Enter an http:// or https:// address.")]
        model = _model_of(robot)
        definitions = definitions_for(entity_of_model(model))
        unknown = [
            code
            for code in params.get("fields") or []
            if field_spec(model, code, definitions) is None
        ]
        if unknown:
            errors["fields"] = [_("Unknown fields: %(codes)s.") % {"codes": ", ".join(unknown)}]
        try:
            for _name, template in parse_extra(params.get("extra") or ""):
                compile_template(template)
        except ValidationError as error:
            errors["extra"] = error.messages
        if errors:
            raise ValidationError(errors)

    def body(self, run, card, params) -> bytes:
        context = template_context(card)
        payload = {
            "event": "robot.webhook",
            "run_id": run.pk,
            "robot": {"id": run.robot_id, "name": run.robot.name},
            "entity": type(card)._meta.model_name,
            "card": card_payload(card, list(params.get("fields") or DEFAULT_FIELDS)),
            "params": {
                name: render(template, context)
                for name, template in parse_extra(params.get("extra") or "")
            },
        }
        return json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()

    def prepare(self, run, card, params) -> WebhookRequest:
        url = params["url"].strip()
        body = self.body(run, card, params)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Idempotency-Key": f"robot-run-{run.pk}",
            "User-Agent": "Voronka-robot",
        }
        if params.get("secret"):
            digest = hmac.new(params["secret"].encode(), body, hashlib.sha256).hexdigest()
            headers[SIGNATURE_HEADER] = f"sha256={digest}"
        return WebhookRequest(url=url, body=body, headers=headers)

    def send_seconds(self, request) -> float:
        # Connecting, sending and waiting for the answer each take up to the timeout; reading
        # the answer is cut at the same deadline.
        return 3 * float(_setting("AUTOMATION_WEBHOOK_TIMEOUT")) + 1

    def effect_details(self, request) -> dict[str, Any]:
        return {"url": request.url}

    def send(self, run, request):
        _check_target(request.url)
        deadline = time.monotonic() + self.send_seconds(request)
        # A timeout or a refused connection propagates: the runner tries again later.
        with (
            httpx.Client(
                timeout=_setting("AUTOMATION_WEBHOOK_TIMEOUT"), follow_redirects=False
            ) as client,
            client.stream(
                "POST", request.url, content=request.body, headers=request.headers
            ) as response,
        ):
            answer = bytearray()
            for chunk in response.iter_bytes():
                answer += chunk
                if len(answer) >= ANSWER_BYTES or time.monotonic() > deadline:
                    break
        status = response.status_code
        text = bytes(answer).decode(response.charset_encoding or "utf-8", errors="replace")
        details = {"url": request.url, "status": status, "answer": text[:500]}
        if 200 <= status < 300:
            return Outcome(_("Webhook answered %(status)s.") % {"status": status}, details)
        if status >= 500 or status in RETRIED_CLIENT_ERRORS:
            raise RuntimeError(f"The webhook answered {status}: {text[:200]}")
        raise ActionFailed(
            _("The webhook refused the call: %(status)s %(answer)s")
            % {"status": status, "answer": text[:200]}
        )


def register_webhook_action() -> None:
    register(CallWebhook())
