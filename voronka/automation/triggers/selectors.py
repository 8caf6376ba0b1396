"""Reading triggers for the editor."""

from django.http import Http404

from voronka.automation.models import Trigger
from voronka.customization.models import Source
from voronka.sales.models import Pipeline


def triggers_of_pipeline(*, pipeline: Pipeline) -> list[Trigger]:
    """The pipeline's triggers in order (one query), and their sources' names when a trigger
    names sources (one more)."""
    triggers = list(Trigger.objects.filter(pipeline=pipeline).order_by("sort", "pk"))
    wanted = {pk for t in triggers for pk in (t.params or {}).get("sources", []) or []}
    names = []
    if wanted:
        names = list(Source.objects.filter(pk__in=wanted).values_list("pk", "name"))
    for trigger in triggers:
        trigger.source_names = names
    return triggers


def trigger_for_editor(*, pk: int) -> Trigger:
    """The trigger with its pipeline and stage, or 404."""
    trigger = Trigger.objects.select_related("pipeline", "stage").filter(pk=pk).first()
    if trigger is None:
        raise Http404
    return trigger
