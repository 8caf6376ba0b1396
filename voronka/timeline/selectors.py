"""Reading a card's feed: one query for the entries, one for the open activities."""

from django.contrib.contenttypes.models import ContentType
from django.db import models

from voronka.timeline.models import Activity, TimelineEntry


def timeline_for(*, card: models.Model, limit: int = 50, before_id: int | None = None):
    """The newest entries of a card (keyset paging by id), authors joined."""
    entries = TimelineEntry.objects.filter(
        card_type=ContentType.objects.get_for_model(card), card_id=card.pk
    ).select_related("author")
    if before_id is not None:
        entries = entries.filter(pk__lt=before_id)
    return list(entries.order_by("-created_at", "-pk")[:limit])


def open_activities_for(*, card: models.Model):
    return list(
        Activity.objects.filter(
            card_type=ContentType.objects.get_for_model(card),
            card_id=card.pk,
            completed_at__isnull=True,
        )
        .select_related("responsible")
        .order_by("deadline", "pk")
    )
