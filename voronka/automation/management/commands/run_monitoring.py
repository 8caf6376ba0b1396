from django.core.management.base import BaseCommand

from voronka.automation.models import MonitoringRule
from voronka.automation.monitoring.services import install_default_rules, run_monitoring


class Command(BaseCommand):
    help = (
        "Check the active monitoring rules once (what the scheduler does every minute); "
        "--install-defaults adds the default rules, switched off."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--install-defaults",
            action="store_true",
            help="Add one switched-off rule of each check that has none, then exit.",
        )

    def handle(self, *args, install_defaults=False, **options):
        if install_defaults:
            created = install_default_rules()
            self.stdout.write(f"Default monitoring rules added: {len(created)}")
            return
        results = run_monitoring()
        names = dict(MonitoringRule.objects.filter(pk__in=results).values_list("pk", "name"))
        for rule_id, acted in results.items():
            outcome = "failed (see the log)" if acted is None else f"acted on {acted} card(s)"
            self.stdout.write(f"{names.get(rule_id, rule_id)}: {outcome}")
        if not results:
            self.stdout.write("No monitoring rule was due.")
