"""Replaying the answer of a POST sent again with the same ``Idempotency-Key``."""

import hashlib
import json

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from voronka.api.exceptions import Unprocessable
from voronka.api.models import IDEMPOTENCY_TTL, IdempotencyKey

HEADER = "HTTP_IDEMPOTENCY_KEY"
MAX_KEY_LENGTH = 255


def request_key(request) -> str | None:
    """The key of a POST by an authenticated employee, or None."""
    if request.method != "POST" or not request.user.is_authenticated:
        return None
    key = request.META.get(HEADER, "").strip()
    return key[:MAX_KEY_LENGTH] or None


def request_digest(request) -> str:
    """A digest of the method, path and body of a POST carrying a key; empty otherwise."""
    if request.method != "POST" or not request.META.get(HEADER, "").strip():
        return ""
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(request.path.encode())
    digest.update(b"\0")
    digest.update(request.body or b"")
    return digest.hexdigest()


def replay(request, key: str, digest: str) -> Response | None:
    """The stored answer for this key, or None when it is new (or older than 24 hours).
    The same key with another request is refused (422)."""
    stored = IdempotencyKey.objects.filter(
        user=request.user, key=key, created_at__gt=timezone.now() - IDEMPOTENCY_TTL
    ).first()
    if stored is None:
        return None
    if stored.request_hash != digest:
        raise Unprocessable(_("This idempotency key was already used for another request."))
    response = Response(stored.response_body, status=stored.status_code)
    response["Idempotent-Replayed"] = "true"
    return response


def remember(request, key: str, digest: str, response) -> None:
    """Keep the answer of a completed request (not a server error nor a throttled one)."""
    if response.status_code >= 500 or response.status_code == 429:
        return
    body = json.loads(json.dumps(getattr(response, "data", None), cls=JSONEncoder))
    IdempotencyKey.objects.filter(
        user=request.user, key=key, created_at__lte=timezone.now() - IDEMPOTENCY_TTL
    ).delete()
    try:
        with transaction.atomic():
            IdempotencyKey.objects.create(
                user=request.user,
                key=key,
                request_hash=digest,
                status_code=response.status_code,
                response_body=body,
            )
    except IntegrityError:
        # The same key completed in a parallel request a moment ago; its answer stays.
        pass


def purge_expired() -> int:
    """Remove keys older than 24 hours (a periodic job)."""
    deleted, _rows = IdempotencyKey.objects.filter(
        created_at__lte=timezone.now() - IDEMPOTENCY_TTL
    ).delete()
    return deleted
