import time

from django.core.management.base import BaseCommand

from voronka.contacts.services.client_value import client_segments_assign


class Command(BaseCommand):
    help = "Rank contacts and companies by LTV into the A/B/C segments (the nightly job)."

    def handle(self, *args, **options):
        started = time.perf_counter()
        moved = client_segments_assign()
        seconds = time.perf_counter() - started
        for model, counts in moved.items():
            parts = ", ".join(f"{code or '-'}: {count}" for code, count in counts.items())
            self.stdout.write(f"{model}: {parts}")
        self.stdout.write(f"{seconds:.2f} s")
