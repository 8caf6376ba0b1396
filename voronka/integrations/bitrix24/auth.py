"""Who a request acts as: an inbound webhook (``/rest/<user_id>/<code>/``) or a token in
``auth=`` (``/rest/<method>``). Webhooks are API tokens of the webhook kind; their code is
the token itself and must belong to the user id of the path."""

from django.utils import timezone

from voronka.access.models import ApiToken, TokenKind
from voronka.access.services import TOKEN_PREFIX, api_token_authenticate
from voronka.integrations.bitrix24.registry import Context
from voronka.integrations.bitrix24.responses import B24Error


def invalid_credentials() -> B24Error:
    return B24Error("INVALID_CREDENTIALS", "Invalid request credentials", 401)


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _context(request, user) -> Context:
    token = getattr(user, "api_token", None)
    scopes = frozenset(token.scopes if token is not None else ())
    return Context(
        user=user,
        scopes=scopes,
        token=token,
        ip=_client_ip(request),
        base_url=request.build_absolute_uri("/rest/"),
    )


def webhook_context(request, user_id: str, code: str) -> Context:
    user = api_token_authenticate(code, kind=TokenKind.WEBHOOK)
    if user is None or str(user.pk) != str(int(user_id)):
        raise invalid_credentials()
    return _context(request, user)


def _expired(raw: str) -> bool:
    parts = (raw or "").strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return False
    return ApiToken.objects.filter(
        prefix=parts[1], revoked_at__isnull=True, expires_at__lte=timezone.now()
    ).exists()


def token_context(request, raw) -> Context:
    if not raw or not isinstance(raw, str):
        raise B24Error("NO_AUTH_FOUND", "Wrong authorization data", 401)
    user = api_token_authenticate(raw)
    if user is None:
        if _expired(raw):
            raise B24Error("expired_token", "The access token provided has expired.", 401)
        raise B24Error("invalid_token", "The access token provided is invalid.", 401)
    return _context(request, user)
