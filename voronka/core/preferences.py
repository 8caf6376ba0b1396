"""Per-employee interface preferences (visible list columns and the like), kept as JSON."""

from typing import Any

from django.db import transaction

from voronka.core.models import UserPreference


def preference_get(*, user, key: str, default: Any = None) -> Any:
    """The stored value of ``key`` for ``user``, or ``default``; one query."""
    if user is None or not user.is_authenticated:
        return default
    value = (
        UserPreference.objects.filter(user=user, key=key).values_list("value", flat=True).first()
    )
    return default if value is None else value


def preference_set(*, user, key: str, value: Any) -> UserPreference:
    """Store ``value`` under ``key`` for ``user``, replacing what was there."""
    with transaction.atomic():
        preference, _ = UserPreference.objects.update_or_create(
            user=user, key=key, defaults={"value": value}
        )
    return preference


def preference_delete(*, user, key: str) -> None:
    """Forget ``key`` for ``user`` so the default applies again."""
    UserPreference.objects.filter(user=user, key=key).delete()
