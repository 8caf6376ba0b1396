"""Settings of the tasks app with their defaults; a project overrides them in its settings."""

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # The responsible may move a deadline only with a comment saying why (the creator always may).
    "TASKS_DEADLINE_CHANGE_NEEDS_COMMENT": True,
}


def setting(name: str) -> Any:
    return getattr(settings, name, DEFAULTS[name])
