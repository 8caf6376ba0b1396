"""Timeline rows for generated cards, shaped exactly as the timeline services write them."""

import datetime
import random

from django.contrib.contenttypes.models import ContentType

from voronka.sales.demo.names import ACTIVITY_SUBJECTS, COMMENTS
from voronka.sales.demo.writer import Row, new_row
from voronka.timeline.models import Activity, ActivityKind, EntryKind, TimelineEntry


def created_entry(
    card_type: ContentType,
    card_id: int,
    author_id: int,
    at: datetime.datetime,
    payload: dict | None = None,
) -> Row:
    return new_row(
        TimelineEntry,
        card_type=card_type,
        card_id=card_id,
        kind=EntryKind.CREATED,
        author_id=author_id,
        created_at=at,
        payload=payload or {},
    )


def converted_entries(
    lead_type: ContentType,
    deal_type: ContentType,
    *,
    lead_id: int,
    lead_title: str,
    links: list[dict],
    deal_id: int,
    author_id: int,
    at: datetime.datetime,
) -> list[Row]:
    """What ``lead_convert`` writes: links on the lead, the lead on the deal."""
    return [
        new_row(
            TimelineEntry,
            card_type=lead_type,
            card_id=lead_id,
            kind=EntryKind.CONVERTED,
            author_id=author_id,
            created_at=at,
            payload={"links": links},
        ),
        new_row(
            TimelineEntry,
            card_type=deal_type,
            card_id=deal_id,
            kind=EntryKind.CONVERTED,
            author_id=author_id,
            created_at=at,
            payload={"lead_id": lead_id, "lead_title": lead_title},
        ),
    ]


def stage_changed_entry(
    card_type: ContentType,
    card_id: int,
    author_id: int,
    at: datetime.datetime,
    old_stage,
    new_stage,
    seconds_in_previous: int,
) -> Row:
    return new_row(
        TimelineEntry,
        card_type=card_type,
        card_id=card_id,
        kind=EntryKind.STAGE_CHANGED,
        author_id=author_id,
        created_at=at,
        payload={
            "old_stage_id": old_stage.pk,
            "old_stage": old_stage.name,
            "new_stage_id": new_stage.pk,
            "new_stage": new_stage.name,
            "seconds_in_previous": seconds_in_previous,
        },
    )


def comment_entries(
    rng: random.Random,
    card_type: ContentType,
    card_id: int,
    author_id: int,
    start: datetime.datetime,
    end: datetime.datetime,
    share: float = 0.15,
) -> list[Row]:
    """A comment or two on some cards, written while the card was being worked on."""
    if rng.random() >= share or end <= start:
        return []
    span = (end - start).total_seconds()
    return [
        new_row(
            TimelineEntry,
            card_type=card_type,
            card_id=card_id,
            kind=EntryKind.COMMENT,
            author_id=author_id,
            created_at=start + datetime.timedelta(seconds=rng.uniform(0, span)),
            text=rng.choice(COMMENTS),
        )
        for _ in range(rng.randint(1, 2))
    ]


def planned_activity(
    rng: random.Random,
    card_type: ContentType,
    card_id: int,
    responsible_id: int,
    now: datetime.datetime,
    created_after: datetime.datetime,
) -> Activity:
    """An open call, meeting, e-mail or to-do; about a quarter of them are already overdue."""
    kind = rng.choice(ActivityKind.values)
    age = (now - created_after).total_seconds()
    created_at = created_after + datetime.timedelta(seconds=age * rng.uniform(0.3, 1.0))
    room = (now - created_at).total_seconds()
    if rng.random() < 0.25 and room > 7200:
        deadline = created_at + datetime.timedelta(seconds=rng.uniform(3600, room))
    else:
        deadline = now + datetime.timedelta(hours=rng.randint(1, 24 * 14))
        deadline = deadline.replace(minute=rng.choice((0, 30)), second=0, microsecond=0)
    return Activity(
        card_type=card_type,
        card_id=card_id,
        kind=kind,
        subject=rng.choice(ACTIVITY_SUBJECTS[kind]),
        deadline=deadline,
        responsible_id=responsible_id,
        created_by_id=responsible_id,
        created_at=created_at,
    )


def activity_entry(activity: Activity) -> Row:
    """The feed line ``activity_create`` writes next to a planned activity."""
    return new_row(
        TimelineEntry,
        card_type=activity.card_type,
        card_id=activity.card_id,
        kind=EntryKind.ACTIVITY,
        author_id=activity.created_by_id,
        created_at=activity.created_at,
        text=activity.subject,
        payload={
            "activity_id": activity.pk,
            "activity_kind": activity.kind,
            "deadline": activity.deadline.isoformat() if activity.deadline else None,
            "responsible_id": activity.responsible_id,
        },
    )
