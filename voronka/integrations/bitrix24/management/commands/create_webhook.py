"""Issue an inbound webhook of the Bitrix24-compatible API and print its URL."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from voronka.access.models import TokenKind
from voronka.access.services import api_token_create

DEFAULT_SCOPES = "crm,user,department,task,telephony"


class Command(BaseCommand):
    help = (
        "Create an inbound Bitrix24-compatible webhook acting as USERNAME with that employee's "
        "rights, and print its URL (for fast_bitrix24, b24pysdk, CRest, PBX connectors)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--scope",
            default=DEFAULT_SCOPES,
            help=f"Comma-separated Bitrix24 scopes (default: {DEFAULT_SCOPES}).",
        )
        parser.add_argument("--name", default="Bitrix24 webhook", help="What the webhook is for.")
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="Address of this installation as clients reach it.",
        )

    def handle(self, *args, username, scope, name, base_url, **options):
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active employee with the login {username!r}.")
        scopes = [s.strip() for s in scope.split(",") if s.strip()]
        try:
            _token, raw = api_token_create(
                actor=user, user=user, name=name, scopes=scopes, kind=TokenKind.WEBHOOK
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(f"{base_url.rstrip('/')}/rest/{user.pk}/{raw}/")
