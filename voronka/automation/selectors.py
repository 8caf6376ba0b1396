"""Reading robot runs: what is planned on a card and what robots did there, and why."""

from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db import models

from voronka.automation.models import FINISHED_STATUSES, OPEN_STATUSES, Robot, RobotRun

RECENT_RUNS = 10


@dataclass
class CardRuns:
    planned: list[RobotRun] = field(default_factory=list)
    finished: list[RobotRun] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.planned or self.finished)


def runs_for_card(*, card: models.Model, recent: int = RECENT_RUNS) -> CardRuns:
    """The card's planned runs (soonest first) and its latest finished ones: two queries."""
    runs = RobotRun.objects.filter(
        card_type=ContentType.objects.get_for_model(card), card_id=card.pk
    ).select_related("robot")
    return CardRuns(
        planned=list(runs.filter(status__in=OPEN_STATUSES).order_by("due_at", "pk")),
        finished=list(
            runs.filter(status__in=FINISHED_STATUSES).order_by("-finished_at", "-pk")[:recent]
        ),
    )


def robots_of_stage(*, stage_id: int) -> models.QuerySet[Robot]:
    return Robot.objects.filter(stage_id=stage_id).order_by("sort", "pk")
