"""Writes owned by the framework layer (no domain nouns)."""

import datetime

from django.utils import timezone

from voronka.core.models import Heartbeat

HEARTBEAT_STALE_AFTER = datetime.timedelta(minutes=3)


def heartbeat_record(*, name: str) -> Heartbeat:
    heartbeat, _ = Heartbeat.objects.update_or_create(
        name=name, defaults={"beat_at": timezone.now()}
    )
    return heartbeat


def heartbeat_status(*, name: str) -> dict:
    """``{"alive": bool, "last_beat": iso or None}`` for the health endpoint."""
    last = Heartbeat.objects.filter(name=name).values_list("beat_at", flat=True).first()
    alive = last is not None and timezone.now() - last < HEARTBEAT_STALE_AFTER
    return {"alive": alive, "last_beat": last.isoformat() if last else None}
