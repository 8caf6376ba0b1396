"""The kinds of monitoring check, in one registry like the robots' actions.

A kind has a ``code``, a ``label``, a ``params_schema`` (the robots' parameter types, so the
robot dialog's field machinery builds its form), defaults, and two steps:

* ``find(rule, now)`` — the cards that call for action, in one or a few set-based queries that
  already leave out those the rule has acted on for the same key (``MonitoringHit``), at most
  ``LIMIT`` of them per run; the rest wait for the next run.
* ``act(rule, hits, now)`` — act on the hits this run has just recorded, and only on them.

``check(rule, now)`` records the hits (one bulk insert that ignores conflicts, so two runs at
once act once) and calls ``act`` for the rows it inserted, in one transaction: a run that dies
half-way leaves neither hits nor effects.
"""

import datetime
import uuid
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Exists, OuterRef
from django.utils.functional import Promise

from voronka.automation.models import MonitoringHit, MonitoringRule

# Cards acted on per rule and run; a backlog (a rule just switched on) drains run by run.
LIMIT = 200


@dataclass
class Candidate:
    """A card that calls for action, with the key of the occasion."""

    card: models.Model
    key: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def identity(self) -> tuple[int, int, str]:
        return (content_type_id(type(self.card)), self.card.pk, self.key)


@dataclass
class Hit:
    """A hit recorded by this run and its card."""

    row: MonitoringHit
    candidate: Candidate

    @property
    def card(self) -> models.Model:
        return self.candidate.card


class CheckKind:
    code: ClassVar[str]
    label: ClassVar[Any]
    description: ClassVar[Any] = ""
    # The parameter schema, in the robots' types (see ``automation.actions.base``), plus
    # ``deal_date_field`` (a date field of deals, standard or custom).
    params_schema: ClassVar[dict[str, dict[str, Any]]] = {}
    default_params: ClassVar[dict[str, Any]] = {}
    default_name: ClassVar[Any] = ""
    # "lead" or "deal" when a rule may be narrowed to one pipeline of that entity.
    pipeline_entity: ClassVar[str | None] = None
    # Checks whose answer changes slowly (birthdays, periods of days) run at most this often.
    min_interval: ClassVar[datetime.timedelta] = datetime.timedelta(0)

    def validate(self, rule: MonitoringRule, params: dict[str, Any]) -> None:
        """Checks beyond the schema; raise ValidationError keyed by parameter."""

    def find(self, rule: MonitoringRule, now: datetime.datetime) -> list[Candidate]:
        raise NotImplementedError  # abstract: every check finds its own cards

    def act(self, rule: MonitoringRule, hits: list[Hit], now: datetime.datetime) -> None:
        raise NotImplementedError  # abstract: every check acts in its own way

    def param(self, rule: MonitoringRule, name: str) -> Any:
        value = (rule.params or {}).get(name)
        if value in (None, "", []):
            value = self.default_params.get(name)
        return str(value) if isinstance(value, Promise) else value


_registry: dict[str, CheckKind] = {}


def register(kind: CheckKind) -> CheckKind:
    _registry[kind.code] = kind
    return kind


def get_kind(code: str) -> CheckKind | None:
    return _registry.get(code)


def all_kinds() -> list[CheckKind]:
    return list(_registry.values())


def content_type_id(model: type[models.Model]) -> int:
    return ContentType.objects.get_for_model(model).pk


def not_hit(rule: MonitoringRule, model: type[models.Model], key: str = "") -> Exists:
    """``~Exists``: the rule has not yet acted on the card for ``key``."""
    return ~Exists(
        MonitoringHit.objects.filter(
            rule=rule, card_type_id=content_type_id(model), card_id=OuterRef("pk"), key=key
        )
    )


def record_hits(
    rule: MonitoringRule, candidates: list[Candidate], now: datetime.datetime
) -> list[Hit]:
    """Insert the hits of ``candidates``, ignoring those that exist (another run was first),
    and return the ones this call inserted: a token marks them. Two queries."""
    if not candidates:
        return []
    token = uuid.uuid4().hex
    by_identity = {candidate.identity: candidate for candidate in candidates}
    MonitoringHit.objects.bulk_create(
        [
            MonitoringHit(
                rule=rule,
                card_type_id=card_type_id,
                card_id=card_id,
                key=key,
                created_at=now,
                details={"token": token},
            )
            for card_type_id, card_id, key in by_identity
        ],
        ignore_conflicts=True,
        batch_size=500,
    )
    rows = MonitoringHit.objects.filter(
        rule=rule,
        card_type_id__in={card_type_id for card_type_id, _id, _key in by_identity},
        card_id__in={card_id for _type, card_id, _key in by_identity},
        created_at=now,
    )
    return [
        Hit(row=row, candidate=by_identity[(row.card_type_id, row.card_id, row.key)])
        for row in rows
        if (row.details or {}).get("token") == token
        and (row.card_type_id, row.card_id, row.key) in by_identity
    ]


def check(rule: MonitoringRule, now: datetime.datetime) -> int:
    """Find, record and act for one rule; how many cards it acted on."""
    kind = get_kind(rule.kind)
    if kind is None:
        raise LookupError(f"Unknown monitoring check {rule.kind!r}")
    with transaction.atomic():
        hits = record_hits(rule, kind.find(rule, now)[:LIMIT], now)
        if hits:
            kind.act(rule, hits, now)
    return len(hits)
