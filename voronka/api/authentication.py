"""Who is calling: a personal API token (``Authorization: Bearer …`` or ``Token …``), or the
signed-in employee's session (the browsable docs; CSRF enforced on writes)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from voronka.access.models import TokenKind
from voronka.access.services import api_token_authenticate

KEYWORDS = ("bearer", "token")


class PersonalTokenAuthentication(authentication.BaseAuthentication):
    """A personal token acting as its employee, with that employee's rights."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode("latin-1").lower() not in KEYWORDS:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Give the token after the keyword."))
        try:
            raw = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("The token is not valid.")) from None
        user = api_token_authenticate(raw, kind=TokenKind.PERSONAL)
        if user is None:
            raise exceptions.AuthenticationFailed(_("The token is not valid, expired or revoked."))
        return user, user.api_token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class PersonalTokenScheme(OpenApiAuthenticationExtension):
    target_class = PersonalTokenAuthentication
    name = "personalToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": str(
                _(
                    "A personal API token issued on the API tokens page; "
                    "“Token <token>” is accepted too."
                )
            ),
        }
