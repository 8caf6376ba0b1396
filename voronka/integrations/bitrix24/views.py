"""The two endpoints of the Bitrix24-compatible API: inbound webhooks and token calls."""

import logging
import time

from django.contrib.auth.decorators import login_not_required
from django.views.decorators.csrf import csrf_exempt

from voronka.integrations.bitrix24 import (  # noqa: F401
    auth,
    batch,
    entities,
    limiter,
    methods,
    registry,
)
from voronka.integrations.bitrix24.params import (
    ParamsError,
    lower_keys,
    parse_json,
    parse_pairs,
    parse_query,
)
from voronka.integrations.bitrix24.responses import (
    B24Error,
    error_response,
    json_response,
    success_body,
)

logger = logging.getLogger(__name__)

# A recording in attachRecord arrives base64-encoded in the body.
MAX_BODY = 64 * 1024 * 1024


def _read_body(request) -> bytes:
    if hasattr(request, "_body"):
        return request._body
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if length > MAX_BODY:
        raise B24Error("INVALID_REQUEST", "Request body is too large", 400)
    return request.read()


def read_params(request) -> dict:
    """Query parameters merged with the body's (the body wins), top-level names lower-case."""
    params = parse_query(request.META.get("QUERY_STRING", ""))
    if request.method == "POST":
        content_type = (request.content_type or "").lower()
        try:
            if "json" in content_type:
                params.update(parse_json(_read_body(request)))
            elif content_type.startswith("multipart/"):
                params = parse_pairs(
                    [(k, v) for k, values in request.POST.lists() for v in values], params
                )
            else:
                body = _read_body(request).decode("utf-8", errors="replace")
                if body.lstrip().startswith(("{", "[")) and not content_type.startswith(
                    "application/x-www-form-urlencoded"
                ):
                    params.update(parse_json(body.encode()))
                else:
                    params = parse_query(body, params)
        except ParamsError as error:
            raise B24Error("INVALID_REQUEST", f"Invalid request body: {error}", 400) from error
    return lower_keys(params)


def _respond(request, method: str, build_context) -> object:
    start = time.time()
    try:
        if request.method not in ("GET", "POST", "HEAD"):
            raise B24Error("INVALID_REQUEST", "Use GET or POST", 405)
        params = read_params(request)
        ctx = build_context(params)
        limiter.check(f"{getattr(ctx.token, 'pk', ctx.user.pk)}:{ctx.ip}")
        # What the second step of an upload needs: the address called, its token and files.
        ctx.extra["url"] = request.build_absolute_uri(request.path)
        ctx.extra["auth"] = params.get("auth") if isinstance(params.get("auth"), str) else ""
        if request.method == "POST" and request.FILES:
            ctx.extra["files"] = request.FILES
        params.pop("auth", None)
        with entities.request_cache():
            result = registry.call(ctx, method, params)
        return json_response(success_body(result, start))
    except B24Error as error:
        return error_response(error)
    except Exception:
        logger.exception("Bitrix24 API request failed")
        return error_response(B24Error("INTERNAL_SERVER_ERROR", "Internal server error", 500))


@csrf_exempt
@login_not_required
def webhook(request, user_id: str, code: str, method: str):
    """``/rest/<user_id>/<code>/<method>[.json]``: an inbound webhook acting as its employee."""
    return _respond(request, method, lambda params: auth.webhook_context(request, user_id, code))


@csrf_exempt
@login_not_required
def token_call(request, method: str):
    """``/rest/<method>[.json]`` with ``auth=<token>`` in the query or body."""
    return _respond(request, method, lambda params: auth.token_context(request, params.get("auth")))
