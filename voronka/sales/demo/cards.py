"""What leads and deals share: a path through the stages with believable timing, the stage
transition rows and history it leaves, product rows and their total."""

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType

from voronka.sales.demo.context import DemoContext
from voronka.sales.demo.feed import (
    activity_entry,
    comment_entries,
    created_entry,
    planned_activity,
    stage_changed_entry,
)
from voronka.sales.demo.writer import BulkWriter, new_row
from voronka.sales.models import Product, ProductRow, Stage, StageKind, StageTransition


@dataclass
class Journey:
    """The stages a card went through, oldest first, and when it entered each of them."""

    stages: list[Stage]
    entered_at: list[datetime.datetime]
    pipeline_stages: list[Stage]

    @property
    def stage(self) -> Stage:
        return self.stages[-1]

    @property
    def is_closed(self) -> bool:
        return self.stage.kind != StageKind.OPEN

    def passed(self, code: str) -> bool:
        """Whether the card has been in the stage ``code`` or beyond it, so that stage's
        required fields must be filled (a skipped stage does not excuse them)."""
        if self.stage.kind == StageKind.WON:
            return True
        mark = next(stage.sort for stage in self.pipeline_stages if stage.code == code)
        return max(stage.sort for stage in self.stages if stage.kind == StageKind.OPEN) >= mark


def plan_journey(
    rng: random.Random,
    stages: list[Stage],
    created_at: datetime.datetime,
    now: datetime.datetime,
    *,
    closing_days: float,
    won_share: float,
) -> Journey:
    """Pick where the card is now and when it moved there.

    Older cards are more likely closed; a won card went through every open stage (sometimes
    skipping one), a lost card dropped out after a few. Moves are spread over the time the card
    was worked on, never later than ``now``.
    """
    open_stages = [stage for stage in stages if stage.kind == StageKind.OPEN]
    won = next(stage for stage in stages if stage.kind == StageKind.WON)
    lost = next(stage for stage in stages if stage.kind == StageKind.LOST)
    age_days = max((now - created_at).total_seconds() / 86400, 0.01)
    if rng.random() < min(0.85, age_days / closing_days):
        if rng.random() < won_share:
            path = [
                stage for stage in open_stages if stage is open_stages[0] or rng.random() > 0.15
            ]
            path.append(won)
        else:
            path = [*open_stages[: rng.randint(1, len(open_stages))], lost]
    else:
        weights = [len(open_stages) - index for index in range(len(open_stages))]
        current = rng.choices(range(len(open_stages)), weights)[0]
        path = open_stages[: current + 1]
    worked_days = min(age_days, rng.uniform(0.2, closing_days))
    end = min(created_at + datetime.timedelta(days=worked_days), now)
    span = (end - created_at).total_seconds()
    moments = sorted(rng.uniform(0, span) for _ in range(len(path) - 1))
    if path[-1].kind != StageKind.OPEN and moments:
        moments[-1] = span  # the card closed at the end of the time it was worked on
    entered = [created_at] + [created_at + datetime.timedelta(seconds=s) for s in moments]
    return Journey(stages=path, entered_at=entered, pipeline_stages=stages)


def journey_rows(
    context: DemoContext,
    writer: BulkWriter,
    *,
    card_type: ContentType,
    card_field: str,
    card_id: int,
    journey: Journey,
    actor_id: int,
) -> None:
    """Stage transitions (the first one from nowhere, at creation), the created entry and one
    stage-change entry per move, as the services write them."""
    previous = None
    for stage, moment in zip(journey.stages, journey.entered_at, strict=True):
        seconds = None
        if previous is not None:
            seconds = int((moment - previous[1]).total_seconds())
            writer.add(
                stage_changed_entry(
                    card_type, card_id, actor_id, moment, previous[0], stage, seconds
                )
            )
        else:
            payload = {"stage_id": stage.pk}
            writer.add(created_entry(card_type, card_id, actor_id, moment, payload))
        writer.add(
            new_row(
                StageTransition,
                **{f"{card_field}_id": card_id},
                from_stage=previous[0] if previous else None,
                to_stage=stage,
                actor_id=actor_id,
                moved_at=moment,
                seconds_in_previous=seconds,
            )
        )
        previous = (stage, moment)
    writer.add_all(
        comment_entries(
            context.rng,
            card_type,
            card_id,
            actor_id,
            journey.entered_at[0],
            journey.entered_at[-1] if journey.is_closed else context.now,
        )
    )


def plan_activities(
    context: DemoContext,
    card_type: ContentType,
    cards: list,
    journeys: list[Journey],
    share: float,
) -> list:
    """Planned activities on some open cards of a saved batch."""
    return [
        planned_activity(
            context.rng, card_type, card.pk, card.responsible_id, context.now, card.created_at
        )
        for card, journey in zip(cards, journeys, strict=True)
        if not journey.is_closed and context.rng.random() < share
    ]


def save_activities(writer: BulkWriter, activities: list) -> None:
    for activity in writer.save_now(activities):
        writer.add(activity_entry(activity))


def product_rows(
    rng: random.Random, products: list[Product], count: int, *, monthly_quantity: bool = True
) -> list[ProductRow]:
    """Unsaved rows for ``count`` different products; hours and months get a quantity."""
    rows = []
    for sort, product in enumerate(rng.sample(products, min(count, len(products)))):
        quantity = Decimal(1)
        if product.unit in ("час",):
            quantity = Decimal(rng.randint(4, 40))
        elif product.unit == "мес" and monthly_quantity:
            quantity = Decimal(rng.choice((1, 3, 6, 12)))
        rows.append(
            ProductRow(
                product=product,
                name=product.name,
                price=product.price,
                quantity=quantity,
                unit=product.unit,
                discount_percent=Decimal(rng.choice((0, 0, 0, 5, 10))),
                tax_rate=product.vat_rate,
                tax_included=product.vat_included,
                sort=sort,
            )
        )
    return rows


def rows_total(rows: list[ProductRow]) -> Decimal:
    return sum((row.subtotal for row in rows), Decimal("0.00"))


def round_amount(rng: random.Random, low: int, high: int) -> Decimal:
    """A typed amount the way people type them: whole thousands."""
    return Decimal(rng.randint(low // 1000, high // 1000) * 1000).quantize(Decimal("0.01"))
