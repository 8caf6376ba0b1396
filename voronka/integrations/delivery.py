"""Posting one webhook body to a receiver: signing, the address check and the HTTP call.

``send`` is generic — a URL, body bytes, a content type and extra headers — so any format of
subscription (our signed JSON, the form-encoded bodies of Bitrix24 ``event.bind``) goes
through the same checks and records its answer the same way. A format other than JSON
registers how its bodies are built with ``register_format``.
"""

import hashlib
import hmac
import ipaddress
import json
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import gettext as _

from voronka.integrations.conf import setting

if TYPE_CHECKING:
    from voronka.integrations.models import WebhookDelivery, WebhookSubscription

USER_AGENT = "Voronka-Webhooks/1.0"
SIGNATURE_HEADER = "X-Voronka-Signature"
TIMESTAMP_HEADER = "X-Voronka-Timestamp"
EVENT_HEADER = "X-Voronka-Event"
DELIVERY_HEADER = "X-Voronka-Delivery"


class TargetRefused(Exception):
    """The address may not be called: not http(s), or on a private network."""


@dataclass(frozen=True)
class Outcome:
    """What a receiver answered: its status code (None when there was no answer), the start of
    its body, and what went wrong, if anything."""

    status_code: int | None
    excerpt: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


# ---- Signing ----------------------------------------------------------------------------------


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """``sha256=`` and the hex HMAC-SHA256 of ``"<timestamp>.<body>"`` keyed with the secret."""
    message = str(timestamp).encode() + b"." + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, timestamp: int | str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


# ---- Where we may post ------------------------------------------------------------------------


def _address_refused(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def _split(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused(_("Only http:// and https:// addresses can receive webhooks."))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise TargetRefused(_("The port of the address is not valid.")) from error
    return parts.scheme, parts.hostname, port


def _refused_private() -> TargetRefused:
    return TargetRefused(
        _("The address is on a private or local network; webhooks are not sent there.")
    )


def validate_target_url(url: str) -> None:
    """What can be told without asking DNS: the scheme, and an address literal or a local
    name on a private network. Raises ``ValidationError``."""
    try:
        _scheme, host, _port = _split(url)
        if setting("WEBHOOKS_ALLOW_PRIVATE_TARGETS"):
            return
        if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
            raise _refused_private()
        try:
            refused = _address_refused(host)
        except ValueError:  # a name, not an address: resolved when sending
            return
        if refused:
            raise _refused_private()
    except TargetRefused as error:
        raise ValidationError(str(error), code="target") from error


def check_target(url: str) -> None:
    """Refuse an address that is not http(s) or that resolves to a loopback, private,
    link-local or reserved address (unless ``WEBHOOKS_ALLOW_PRIVATE_TARGETS``)."""
    _scheme, host, port = _split(url)
    if setting("WEBHOOKS_ALLOW_PRIVATE_TARGETS"):
        return
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise TargetRefused(_("The host name could not be resolved.")) from error
    if not infos or any(_address_refused(info[4][0]) for info in infos):
        raise _refused_private()


# ---- Sending ----------------------------------------------------------------------------------


def send(
    url: str,
    body: bytes,
    content_type: str,
    headers: dict[str, str] | None = None,
    *,
    timeout: float | None = None,
) -> Outcome:
    """POST ``body`` to ``url`` once; never raises for the receiver's faults. Redirects are
    not followed (a 3xx is a failed delivery)."""
    try:
        check_target(url)
    except TargetRefused as error:
        return Outcome(status_code=None, error=str(error))
    request_headers = {"Content-Type": content_type, "User-Agent": USER_AGENT, **(headers or {})}
    try:
        response = httpx.post(
            url,
            content=body,
            headers=request_headers,
            timeout=timeout if timeout is not None else setting("WEBHOOKS_TIMEOUT"),
            follow_redirects=False,
        )
    except httpx.TimeoutException:
        return Outcome(status_code=None, error=_("The receiver did not answer in time."))
    except httpx.HTTPError as error:
        return Outcome(status_code=None, error=str(error)[:500] or type(error).__name__)
    excerpt = response.text[: setting("WEBHOOKS_RESPONSE_EXCERPT")]
    error = ""
    if not 200 <= response.status_code < 300:
        error = _("The receiver answered %(code)s.") % {"code": response.status_code}
    return Outcome(status_code=response.status_code, excerpt=excerpt, error=error)


# ---- Bodies per format ------------------------------------------------------------------------

# (subscription, delivery) → (body, content type, extra headers)
Encoder = Callable[["WebhookSubscription", "WebhookDelivery"], tuple[bytes, str, dict[str, str]]]


def json_body(payload: dict) -> bytes:
    return json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False).encode()


def _encode_json(subscription, delivery) -> tuple[bytes, str, dict[str, str]]:
    return json_body(delivery.payload), "application/json", {}


_encoders: dict[str, Encoder] = {"json": _encode_json}


def register_format(name: str, encoder: Encoder) -> None:
    """Teach the workers to build the bodies of subscriptions of format ``name``."""
    _encoders[name] = encoder


def encoder_for(name: str) -> Encoder:
    return _encoders.get(name, _encode_json)


def build_request(subscription, delivery, *, timestamp: int) -> tuple[bytes, str, dict]:
    """The body, content type and headers of one attempt of ``delivery``: the format's body,
    our event, delivery and timestamp headers and the signature of ``"<timestamp>.<body>"``."""
    body, content_type, extra = encoder_for(subscription.format)(subscription, delivery)
    headers = {
        EVENT_HEADER: delivery.event_type,
        DELIVERY_HEADER: str(delivery.pk),
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(subscription.secret, timestamp, body),
        **extra,
    }
    return body, content_type, headers
