"""Writing notifications: ``notify`` one employee, ``notify_many`` in one insert, the head of
an employee's department (``notify_head``), marking read.

Every notification may carry a ``key``: unique per recipient, so the same robot run or the same
periodic hit never notifies twice — the second call answers None and writes nothing. With the
``NOTIFICATIONS_EMAIL`` setting on, a copy goes by e-mail to recipients who have an address,
after the transaction commits.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.mail import send_mail
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from voronka.notifications.models import Notification

logger = logging.getLogger(__name__)

TEXT_LIMIT = 2000


@dataclass
class Message:
    """One notification to write with ``notify_many``."""

    recipient: Any
    text: str
    card: models.Model | None = None
    url: str = ""
    kind: str = ""
    key: str | None = None


def _build(message: Message) -> Notification:
    recipient = message.recipient
    notification = Notification(
        recipient_id=getattr(recipient, "pk", recipient),
        text=(message.text or "").strip()[:TEXT_LIMIT],
        kind=message.kind[:50],
        url=message.url[:500],
        key=message.key[:200] if message.key else None,
        created_at=timezone.now(),
    )
    if message.card is not None:
        notification.card_type = ContentType.objects.get_for_model(message.card)
        notification.card_id = message.card.pk
    return notification


def notify(
    *,
    recipient,
    text: str,
    card: models.Model | None = None,
    url: str = "",
    kind: str = "",
    key: str | None = None,
) -> Notification | None:
    """Notify ``recipient`` (a user or a user id); None when ``key`` was already used for them
    (or there is nobody to notify)."""
    if recipient is None:
        return None
    notification = _build(
        Message(recipient=recipient, text=text, card=card, url=url, kind=kind, key=key)
    )
    try:
        with transaction.atomic():
            notification.save()
    except IntegrityError:
        if key and Notification.objects.filter(recipient_id=notification.recipient_id, key=key):
            return None
        raise
    _email_on_commit([notification])
    return notification


def notify_many(messages: Iterable[Message]) -> int:
    """Write many notifications in one insert; those whose (recipient, key) exists already are
    skipped. Returns how many were asked for (a skipped duplicate is not told apart)."""
    notifications = [_build(message) for message in messages if message.recipient is not None]
    if not notifications:
        return 0
    Notification.objects.bulk_create(notifications, ignore_conflicts=True, batch_size=500)
    _email_on_commit(notifications)
    return len(notifications)


# --- Heads ---------------------------------------------------------------------------------


def _departments() -> dict[int, tuple[int | None, int | None]]:
    from voronka.staff.models import Department

    # A head who has left (inactive) counts as no head: the one above is asked.
    return {
        pk: (parent_id, head_id if active else None)
        for pk, parent_id, head_id, active in Department.objects.values_list(
            "pk", "parent_id", "head_id", "head__is_active"
        )
    }


def _head_in(tree, department_id: int | None, user_id: int) -> int | None:
    seen: set[int] = set()
    while department_id is not None and department_id not in seen:
        seen.add(department_id)
        parent_id, head_id = tree.get(department_id, (None, None))
        if head_id is not None and head_id != user_id:
            return head_id
        department_id = parent_id
    return None


def heads_of(users: Iterable[Any]) -> dict[int, int | None]:
    """The head of each user's department by user id: the department's own head, else the
    nearest head up the tree; a head's head is the head above them. One query for the tree
    (plus one for users given by id)."""
    users = list(users)
    ids = [user for user in users if not hasattr(user, "pk")]
    departments = {user.pk: user.department_id for user in users if hasattr(user, "pk")}
    if ids:
        departments.update(
            get_user_model().objects.filter(pk__in=ids).values_list("pk", "department_id")
        )
    if not departments:
        return {}
    tree = _departments()
    return {
        user_id: _head_in(tree, department_id, user_id)
        for user_id, department_id in departments.items()
    }


def head_of(user) -> Any | None:
    """The head above ``user`` (a user object) or None."""
    if user is None:
        return None
    head_id = heads_of([user]).get(user.pk)
    if head_id is None:
        return None
    return get_user_model().objects.filter(pk=head_id, is_active=True).first()


def notify_head(
    *,
    recipient,
    text: str,
    card: models.Model | None = None,
    url: str = "",
    kind: str = "",
    key: str | None = None,
) -> Notification | None:
    """Notify the head of ``recipient``'s department instead of ``recipient`` (walking up the
    tree when the department has none; a head's own head is the one above them); None when
    there is no such head or the key was used."""
    if recipient is None:
        return None
    head_id = heads_of([recipient]).get(getattr(recipient, "pk", recipient))
    if head_id is None:
        return None
    return notify(recipient=head_id, text=text, card=card, url=url, kind=kind, key=key)


# --- Reading -------------------------------------------------------------------------------


def mark_read(*, user, notification_id: int) -> bool:
    """Mark one of ``user``'s notifications read; False when it is not theirs or was read."""
    return bool(
        Notification.objects.filter(
            pk=notification_id, recipient=user, read_at__isnull=True
        ).update(read_at=timezone.now())
    )


def mark_all_read(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


# --- E-mail --------------------------------------------------------------------------------


def _email_on_commit(notifications: list[Notification]) -> None:
    if not getattr(settings, "NOTIFICATIONS_EMAIL", False) or not notifications:
        return
    recipient_ids = {notification.recipient_id for notification in notifications}
    texts = [(notification.recipient_id, notification.text) for notification in notifications]
    transaction.on_commit(lambda: _send(recipient_ids, texts))


def _send(recipient_ids: set[int], texts: list[tuple[int, str]]) -> None:
    addresses = dict(
        get_user_model()
        .objects.filter(pk__in=recipient_ids, is_active=True)
        .exclude(email="")
        .values_list("pk", "email")
    )
    for recipient_id, text in texts:
        if recipient_id not in addresses:
            continue
        try:
            send_mail(
                subject=text.splitlines()[0][:120],
                message=text,
                from_email=None,
                recipient_list=[addresses[recipient_id]],
            )
        except OSError:
            logger.warning("A notification e-mail to %s failed", addresses[recipient_id])
