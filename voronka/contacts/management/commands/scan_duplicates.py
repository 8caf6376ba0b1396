import time

from django.core.management.base import BaseCommand

from voronka.contacts.duplicate_scan import SCANNED_RULES, scan_duplicates
from voronka.contacts.models import Company, Contact, DuplicateRule


class Command(BaseCommand):
    help = (
        "Find groups of likely duplicate contacts and companies for the duplicate finder "
        "(the nightly job; also run after an import)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--entity", choices=["contact", "company"], help="Scan only this kind of card."
        )
        parser.add_argument(
            "--rule", choices=DuplicateRule.values, action="append", help="Scan only this rule."
        )

    def handle(self, *args, **options):
        models = {"contact": Contact, "company": Company}
        chosen = [models[options["entity"]]] if options["entity"] else list(SCANNED_RULES)
        started = time.perf_counter()
        stats = scan_duplicates(models_to_scan=chosen, rules=options["rule"])
        for name, item in stats.items():
            self.stdout.write(
                f"{name}: {item.groups} groups ({item.created} new, {item.changed} changed, "
                f"{item.removed} removed)"
            )
        self.stdout.write(f"{time.perf_counter() - started:.2f} s")
