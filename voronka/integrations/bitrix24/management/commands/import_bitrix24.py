"""Move a Bitrix24 portal's CRM here through its REST API (an inbound webhook)."""

import logging

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from voronka.integrations.bitrix24.importer.base import STEPS, Importer
from voronka.integrations.bitrix24.importer.client import (
    Bitrix24Client,
    PortalAuthError,
    PortalError,
    PortalUnreachable,
)


class Command(BaseCommand):
    help = (
        "Import users, departments, pipelines, stages, sources, companies, contacts, leads, "
        "deals, product rows and timeline comments from a Bitrix24 portal through an inbound "
        "webhook URL (https://portal/rest/<user>/<code>/). Safe to run again: records already "
        "imported are updated when they changed on the portal, never duplicated."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "webhook_url", help="Inbound webhook of the portal with crm, user, department scopes."
        )
        parser.add_argument(
            "--only",
            default="",
            help=f"Comma-separated entities to import (default: all): {', '.join(STEPS)}.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Fetch and validate everything, write nothing.",
        )
        parser.add_argument(
            "--responsible",
            default="",
            help="Login of the employee who gets cards whose responsible is not imported.",
        )
        parser.add_argument(
            "--failures",
            type=int,
            default=20,
            help="How many failures to list per entity (default 20).",
        )

    def handle(self, *args, webhook_url, only, dry_run, responsible, failures, **options):
        verbosity = options.get("verbosity", 1)
        if verbosity < 3:
            # One line per HTTP request is noise in the report (shown with -v 3).
            logging.getLogger("httpx").setLevel(logging.WARNING)
        steps = [step.strip().lower() for step in only.split(",") if step.strip()]
        unknown = [step for step in steps if step not in STEPS]
        if unknown:
            raise CommandError(
                f"Unknown entities: {', '.join(unknown)}. Choose from: {', '.join(STEPS)}."
            )
        default_user = None
        if responsible:
            default_user = (
                get_user_model().objects.filter(username=responsible, is_active=True).first()
            )
            if default_user is None:
                raise CommandError(f"No active employee with the login {responsible!r}.")
        try:
            client = Bitrix24Client(webhook_url)
        except ValueError as error:
            raise CommandError(str(error)) from None
        log = (lambda message: self.stdout.write(message)) if verbosity >= 2 else None
        with client:
            importer = Importer(
                client, only=steps or None, dry_run=dry_run, responsible=default_user, log=log
            )
            try:
                report = importer.run()
            except PortalAuthError as error:
                raise CommandError(
                    f"The portal {client.portal} refused the webhook ({error}). "
                    "Check the URL and that the webhook is active with the crm, user and "
                    "department scopes."
                ) from None
            except PortalUnreachable as error:
                raise CommandError(
                    f"The portal {client.portal} cannot be reached: {error}"
                ) from None
            except PortalError as error:
                raise CommandError(
                    f"The portal {client.portal} answered with an error: {error}"
                ) from None
        title = f"Bitrix24 portal {report.portal}" + (
            " — dry run, nothing written" if dry_run else ""
        )
        self.stdout.write(title)
        self.stdout.write(report.table())
        details = report.failures_text(failures, notes=verbosity >= 2)
        if details:
            self.stdout.write("")
            self.stdout.write(details)
        self.stdout.write(f"Requests to the portal: {client.requests}")
        if not report.ok:
            raise CommandError(
                "Some entities stopped early; fix the problem and run the import again."
            )
