"""Scopes of a personal token: reading needs ``read``, creating and changing ``write``,
deleting ``delete``. A session is not narrowed; the employee's rights apply either way."""

from rest_framework import permissions

from voronka.access.models import ApiToken, TokenScope

SCOPE_OF_METHOD = {
    "GET": TokenScope.READ,
    "HEAD": TokenScope.READ,
    "OPTIONS": TokenScope.READ,
    "POST": TokenScope.WRITE,
    "PUT": TokenScope.WRITE,
    "PATCH": TokenScope.WRITE,
    "DELETE": TokenScope.DELETE,
}


class TokenScopePermission(permissions.IsAuthenticated):
    message = None

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        token = request.auth
        if not isinstance(token, ApiToken):
            return True
        scope = SCOPE_OF_METHOD.get(request.method)
        return scope is not None and token.allows(scope)
