from django.core.management.base import BaseCommand

from voronka.automation.triggers.services import triggers_due


class Command(BaseCommand):
    help = (
        "Fire the “date reached” triggers once (what the scheduler does every minute): cards "
        "whose date has come move into the trigger's stage, each once per date value."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", type=int, default=200, help="Cards handled per trigger in this call."
        )

    def handle(self, *args, batch=200, **options):
        handled = triggers_due(batch=batch)
        self.stdout.write(f"Cards handled: {handled}")
