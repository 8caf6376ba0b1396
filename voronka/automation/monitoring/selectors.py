"""Reading monitoring rules for the settings page."""

from django.db.models import Count, QuerySet

from voronka.automation.models import MonitoringRule


def rules_for_settings() -> QuerySet[MonitoringRule]:
    """Every rule with its pipeline and how many times it has acted — one query."""
    return (
        MonitoringRule.objects.select_related("pipeline")
        .annotate(hit_count=Count("hits"))
        .order_by("kind", "pk")
    )


def rule_for_settings(*, pk: int) -> MonitoringRule | None:
    return MonitoringRule.objects.select_related("pipeline").filter(pk=pk).first()
