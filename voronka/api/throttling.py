"""Requests per token (or per employee for a session), with the rate from
``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["api"]`` (``None``: unlimited). Too many answer 429
with ``Retry-After``."""

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from voronka.access.models import ApiToken


class TokenRateThrottle(SimpleRateThrottle):
    scope = "api"

    def get_rate(self):
        # Read on every request, so a changed setting applies without a restart of the class.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"address-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
