"""Reading a card's feed: one query for the entries, one for the open activities.

Cards are addressed in URLs by their type (``lead``, ``deal``, ``contact``, ``company``) and id;
``timeline_card`` resolves that pair without this app importing the apps that own the cards.
"""

import datetime
from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

from voronka.access.predicates import visible_to
from voronka.timeline.models import Activity, TimelineEntry

# The cards that have a feed, by the name used in URLs.
CARD_MODELS = {
    "lead": "sales.Lead",
    "deal": "sales.Deal",
    "contact": "contacts.Contact",
    "company": "contacts.Company",
}
FEED_PAGE = 30
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


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


def card_type_name(card: models.Model) -> str:
    """The URL name of a card's type: ``deal`` for a Deal."""
    name = card._meta.model_name
    if name not in CARD_MODELS:
        raise ValueError(f"{card._meta.label} has no timeline")
    return name


def timeline_card(*, user, card_type: str, card_id: int) -> models.Model | None:
    """The live card (not in the recycle bin) of that type and id the user may see, or None:
    a hidden card looks exactly like a missing one."""
    label = CARD_MODELS.get(card_type)
    if label is None:
        return None
    model = apps.get_model(label)
    return visible_to(user, model._default_manager.filter(pk=card_id)).first()


def card_of_activity(*, user, activity: Activity) -> models.Model | None:
    """The live card the activity belongs to, when the user may see it; otherwise None."""
    model = activity.card_type.model_class()
    if model is None or model._meta.model_name not in CARD_MODELS:
        return None
    return visible_to(user, model._default_manager.filter(pk=activity.card_id)).first()


def open_activity(*, user, pk: int) -> Activity | None:
    return (
        Activity.objects.filter(pk=pk, completed_at__isnull=True)
        .select_related("responsible", "card_type")
        .first()
    )


@dataclass(frozen=True)
class Cursor:
    """Where the next feed page starts: strictly older than (time, id)."""

    created_at: datetime.datetime
    pk: int

    def encode(self) -> str:
        delta = self.created_at - EPOCH
        micro = (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
        return f"{micro}.{self.pk}"

    @classmethod
    def decode(cls, text: str | None) -> "Cursor | None":
        try:
            micro, pk = (text or "").split(".")
            return cls(EPOCH + datetime.timedelta(microseconds=int(micro)), int(pk))
        except (ValueError, OverflowError):
            return None


@dataclass
class FeedPage:
    entries: list[TimelineEntry]
    next_cursor: Cursor | None


def timeline_page(
    *, user, card: models.Model, before: Cursor | None = None, limit: int = FEED_PAGE
) -> FeedPage:
    """One page of a card's feed, newest first, in one query; keyset paging on (time, id)."""
    entries = TimelineEntry.objects.filter(
        card_type=ContentType.objects.get_for_model(card), card_id=card.pk
    ).select_related("author")
    if before is not None:
        entries = entries.filter(
            Q(created_at__lt=before.created_at) | Q(created_at=before.created_at, pk__lt=before.pk)
        )
    rows = list(entries.order_by("-created_at", "-pk")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = Cursor(rows[-1].created_at, rows[-1].pk) if more and rows else None
    return FeedPage(entries=rows, next_cursor=cursor)


def user_lookup(*, user, search: str, limit: int = 10):
    """Active employees whose name or login starts with the typed text (for pickers)."""
    users = get_user_model().objects.filter(is_active=True)
    for word in (search or "").split()[:3]:
        users = users.filter(
            Q(last_name__istartswith=word)
            | Q(first_name__istartswith=word)
            | Q(username__istartswith=word)
        )
    return list(users.order_by("last_name", "first_name", "pk")[:limit])


def user_label(*, user, pk) -> str:
    found = get_user_model().objects.filter(pk=pk).first() if str(pk).isdigit() else None
    return (found.get_full_name() or found.get_username()) if found else ""
