"""Settings of the automation engine, with defaults; override them in ``config/settings.py``."""

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # "Working hours only" timing moves a run into this window, in the installation's time zone.
    "AUTOMATION_WORK_HOURS": ("09:00", "18:00"),
    # ISO weekdays, 1 is Monday.
    "AUTOMATION_WORK_DAYS": (1, 2, 3, 4, 5),
    # A run whose action fails is tried again after these delays (seconds), then marked failed.
    "AUTOMATION_RETRY_DELAYS": (30, 120, 600, 1800),
    "AUTOMATION_MAX_ATTEMPTS": 5,
    # How long a worker owns a claimed run; a run outliving it is claimed again by another.
    "AUTOMATION_LEASE_SECONDS": 60,
    "AUTOMATION_BATCH_SIZE": 100,
    # Robots moving a card into stages whose robots move it again stop after this many steps.
    "AUTOMATION_MAX_CHAIN_DEPTH": 10,
    # Least-loaded assignment: an open activity weighs this much against an open card.
    "AUTOMATION_ACTIVITY_WEIGHT": "0.5",
}


def setting(name: str) -> Any:
    return getattr(settings, name, DEFAULTS[name])
