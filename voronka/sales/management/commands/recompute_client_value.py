import time

from django.core.management.base import BaseCommand
from django.db import transaction

from voronka.contacts.services.client_value import client_segments_assign
from voronka.sales.client_value import clients_recompute_all, last_contacts_recompute_all


class Command(BaseCommand):
    help = (
        "Recompute the LTV of every contact and company from their won deals and their last "
        "interaction from the feeds (existing data, an import, a repair), then their A/B/C "
        "segments."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-segments", action="store_true", help="Leave the A/B/C segments as they are."
        )

    def handle(self, *args, **options):
        started = time.perf_counter()
        with transaction.atomic():
            contacts, companies = clients_recompute_all()
        self.stdout.write(f"LTV changed: {contacts} contacts, {companies} companies")
        with transaction.atomic():
            contacts, companies = last_contacts_recompute_all()
        self.stdout.write(f"Last interaction moved: {contacts} contacts, {companies} companies")
        if not options["no_segments"]:
            client_segments_assign()
            self.stdout.write("Segments assigned")
        self.stdout.write(f"{time.perf_counter() - started:.2f} s")
