"""Reading one's own notifications: a page of them (unread first) and the unread count."""

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.urls import NoReverseMatch, reverse

from voronka.notifications.models import Notification

PAGE_SIZE = 30
# The bell counts up to this many and then shows "99+".
UNREAD_CAP = 100
# Where a notification about a card leads: the card's page, which answers 404 to whoever may
# no longer see it.
CARD_URL_NAMES = {
    ("sales", "lead"): "sales:lead_detail",
    ("sales", "deal"): "sales:deal_detail",
    ("contacts", "contact"): "contacts:contact_detail",
    ("contacts", "company"): "contacts:company_detail",
    ("tasks", "task"): "tasks:task_detail",
}


def _of(user) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user)


def notification_page(*, user, offset: int = 0) -> tuple[list[Notification], int | None]:
    """A page of ``user``'s notifications, unread first and newest first within each, and the
    offset of the next page (None on the last). One query."""
    offset = max(0, offset)
    rows = list(
        _of(user)
        .select_related("card_type")
        .annotate(
            unread=Case(
                When(read_at__isnull=True, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .order_by("-unread", "-created_at", "-pk")[offset : offset + PAGE_SIZE + 1]
    )
    next_offset = offset + PAGE_SIZE if len(rows) > PAGE_SIZE else None
    rows = rows[:PAGE_SIZE]
    for notification in rows:
        notification.target = target_url(notification)
    return rows, next_offset


def unread_count(*, user) -> int:
    """How many unread notifications ``user`` has, counted up to ``UNREAD_CAP``. One query."""
    return _of(user).filter(read_at__isnull=True)[:UNREAD_CAP].count()


def target_url(notification: Notification) -> str:
    """The card's page for a notification about a card, else its own link (if any)."""
    if notification.card_type_id is not None:
        card_type = notification.card_type
        name = CARD_URL_NAMES.get((card_type.app_label, card_type.model))
        if name:
            try:
                return reverse(name, args=[notification.card_id])
            except NoReverseMatch:
                return ""
    return notification.url


def notification_of(*, user, pk: int) -> Notification | None:
    return _of(user).select_related("card_type").filter(pk=pk).first()
