"""The background scan behind the duplicate finder: groups of alike cards, found set-wise.

Each rule is one streaming query (GROUP BY a normalised identifier through its index, then
the members of the shared values in key order) instead of a lookup per card:

* phone / e-mail — cards sharing a normalised communication (contacts and companies apart);
* INN, INN + KPP — companies with the same requisites;
* company name — ``title_key`` equal, or alike by ``company_name_score`` among the next few
  keys of the index that share the first three letters (a sorted-neighbourhood pass);
* person — contacts sharing a phone whose names are the same or nearly (a patronymic more).

Found groups are upserted into ``DuplicateGroup`` in batches; a dismissed group stays
dismissed while its members stay the same and comes back when they change; groups that no
longer hold are removed. Cards in the recycle bin take no part. Memory holds one batch of
groups, the window of the name pass and the keys of the groups found (to remove the rest).
"""

import itertools
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from operator import itemgetter

from celery import shared_task
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Count
from django.utils import timezone
from rapidfuzz import fuzz

from voronka.contacts.duplicates.finder import (
    COMPANY_NAME_THRESHOLD,
    PERSON_NAME_THRESHOLD,
    company_name_score,
)
from voronka.contacts.models import (
    Communication,
    CommunicationKind,
    Company,
    Contact,
    DuplicateGroup,
    DuplicateRule,
)
from voronka.core.normalization import person_name_key

BATCH = 500
ITERATOR_CHUNK = 2000
# How many following keys of the title index one company name is compared with.
NAME_WINDOW = 40
KEY_LENGTH = 500

# How sure a rule is, 0–100: the finder lists the surest groups first.
RULE_SCORES = {
    DuplicateRule.INN_KPP: 100,
    DuplicateRule.INN: 90,
    DuplicateRule.EMAIL: 90,
    DuplicateRule.PERSON: 95,
    DuplicateRule.PHONE: 80,
}
SCANNED_RULES = {
    Contact: (DuplicateRule.PHONE, DuplicateRule.EMAIL, DuplicateRule.PERSON),
    Company: (
        DuplicateRule.PHONE,
        DuplicateRule.EMAIL,
        DuplicateRule.INN,
        DuplicateRule.INN_KPP,
        DuplicateRule.COMPANY_NAME,
    ),
}


def _batched(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


@dataclass(frozen=True)
class FoundGroup:
    key: str
    card_ids: tuple[int, ...]
    score: int


# ---- Finding ----------------------------------------------------------------------------------


def _communication_rows(model: type[models.Model], kind: str) -> Iterator[tuple[str, int]]:
    """(value, card id) of the communications of ``kind`` that two or more alive cards of
    ``model`` share, ordered by value."""
    card_type = ContentType.objects.get_for_model(model)
    rows = Communication.objects.filter(
        card_type=card_type, kind=kind, card_id__in=model.objects.values("pk")
    ).order_by()
    shared = (
        rows.values("value_normalized")
        .annotate(cards=Count("card_id", distinct=True))
        .filter(cards__gte=2)
        .values("value_normalized")
    )
    return (
        rows.filter(value_normalized__in=shared)
        .order_by("value_normalized", "card_id")
        .values_list("value_normalized", "card_id")
        .iterator(chunk_size=ITERATOR_CHUNK)
    )


def _grouped(rows: Iterable[tuple], key_length: int = 1) -> Iterator[tuple[tuple, list[int]]]:
    """Rows ``(*key, card_id)`` ordered by key → (key, sorted distinct ids) of 2+ cards."""
    for key, items in itertools.groupby(rows, key=lambda row: row[:key_length]):
        ids = sorted({row[key_length] for row in items})
        if len(ids) >= 2:
            yield key, ids


def communication_groups(model: type[models.Model], kind: str, rule: str) -> Iterator[FoundGroup]:
    score = RULE_SCORES[rule]
    for (value,), ids in _grouped(_communication_rows(model, kind)):
        yield FoundGroup(key=value[:KEY_LENGTH], card_ids=tuple(ids), score=score)


def requisite_groups(rule: str) -> Iterator[FoundGroup]:
    """Companies with one INN (rule INN) or one INN and KPP (rule INN_KPP)."""
    companies = Company.objects.exclude(inn="").order_by()
    if rule == DuplicateRule.INN_KPP:
        companies = companies.exclude(kpp="")
    shared = companies.values("inn").annotate(cards=Count("pk")).filter(cards__gte=2).values("inn")
    fields = ("inn", "kpp") if rule == DuplicateRule.INN_KPP else ("inn",)
    rows = (
        companies.filter(inn__in=shared)
        .order_by(*fields, "pk")
        .values_list(*fields, "pk")
        .iterator(chunk_size=ITERATOR_CHUNK)
    )
    for key, ids in _grouped(rows, key_length=len(fields)):
        yield FoundGroup(key="/".join(key), card_ids=tuple(ids), score=RULE_SCORES[rule])


class _Clusters:
    """Union–find over keys, remembering the weakest link of each cluster."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}
        self.weakest: dict[str, int] = {}

    def find(self, key: str) -> str:
        self.parent.setdefault(key, key)
        while self.parent[key] != key:
            self.parent[key] = self.parent[self.parent[key]]
            key = self.parent[key]
        return key

    def join(self, first: str, second: str, score: int) -> None:
        a, b = self.find(first), self.find(second)
        low = min(score, self.weakest.get(a, 100), self.weakest.get(b, 100))
        if a != b:
            root, child = (a, b) if a < b else (b, a)
            self.parent[child] = root
            self.weakest.pop(child, None)
            a = root
        self.weakest[a] = low

    def members(self) -> dict[str, list[str]]:
        clusters: dict[str, list[str]] = {}
        for key in self.parent:
            clusters.setdefault(self.find(key), []).append(key)
        return clusters


def company_name_groups() -> Iterator[FoundGroup]:
    """Companies with the same ``title_key``, or keys alike by ``company_name_score`` among
    the next ``NAME_WINDOW`` keys sharing the first three letters."""
    rows = (
        Company.objects.exclude(title_key="")
        .order_by("title_key", "pk")
        .values_list("title_key", "pk")
        .iterator(chunk_size=ITERATOR_CHUNK)
    )
    clusters = _Clusters()
    ids_of: dict[str, list[int]] = {}
    window: deque[tuple[str, list[int]]] = deque(maxlen=NAME_WINDOW)
    for key, items in itertools.groupby(rows, key=itemgetter(0)):
        ids = [pk for _key, pk in items]
        for other, other_ids in window:
            if other[:3] != key[:3]:
                continue
            score = company_name_score(key, other)
            if score >= COMPANY_NAME_THRESHOLD:
                clusters.join(key, other, score)
                ids_of[other] = other_ids
                ids_of[key] = ids
        if len(ids) >= 2:
            clusters.find(key)
            ids_of[key] = ids
        window.append((key, ids))
    for root, keys in clusters.members().items():
        card_ids = sorted({pk for key in keys for pk in ids_of[key]})
        if len(card_ids) >= 2:
            yield FoundGroup(
                key=root[:KEY_LENGTH],
                card_ids=tuple(card_ids),
                score=clusters.weakest.get(root, 100),
            )


def _person_key(row: dict) -> str:
    return row["name_key"] or person_name_key(
        row["last_name"], row["first_name"], row["middle_name"]
    )


def person_groups() -> Iterator[FoundGroup]:
    """Contacts sharing a phone whose names are equal or nearly (token set ratio)."""
    phone_groups = (
        (value, ids) for (value,), ids in _grouped(_communication_rows(Contact, "phone"))
    )
    for batch in _batched(phone_groups, BATCH):
        ids = {pk for _value, members in batch for pk in members}
        names = {
            row["pk"]: _person_key(row)
            for row in Contact.objects.filter(pk__in=ids).values(
                "pk", "name_key", "last_name", "first_name", "middle_name"
            )
        }
        for phone, members in batch:
            clusters = _Clusters()
            keyed = [(names.get(pk, ""), pk) for pk in members]
            for (name, _pk), (other, _other_pk) in itertools.combinations(keyed, 2):
                if not name or not other:
                    continue
                score = 100 if name == other else round(fuzz.token_set_ratio(name, other))
                if score >= PERSON_NAME_THRESHOLD:
                    clusters.join(name, other, score)
            by_name: dict[str, list[int]] = {}
            for name, pk in keyed:
                by_name.setdefault(name, []).append(pk)
            for root, keys in clusters.members().items():
                card_ids = sorted({pk for key in keys for pk in by_name[key]})
                yield FoundGroup(
                    key=f"{phone} {root}"[:KEY_LENGTH],
                    card_ids=tuple(card_ids),
                    score=min(RULE_SCORES[DuplicateRule.PERSON], clusters.weakest.get(root, 100)),
                )


def found_groups(model: type[models.Model], rule: str) -> Iterator[FoundGroup]:
    if rule == DuplicateRule.PHONE:
        return communication_groups(model, CommunicationKind.PHONE, rule)
    if rule == DuplicateRule.EMAIL:
        return communication_groups(model, CommunicationKind.EMAIL, rule)
    if rule in (DuplicateRule.INN, DuplicateRule.INN_KPP):
        return requisite_groups(rule)
    if rule == DuplicateRule.COMPANY_NAME:
        return company_name_groups()
    if rule == DuplicateRule.PERSON:
        return person_groups()
    raise ValueError(f"No scan for the rule {rule!r}")


# ---- Storing ----------------------------------------------------------------------------------


@dataclass
class RuleStats:
    groups: int = 0
    created: int = 0
    changed: int = 0
    removed: int = 0


def _store_batch(
    card_type: ContentType, rule: str, batch: list[FoundGroup], stats: RuleStats
) -> None:
    now = timezone.now()
    existing = {
        group.key: group
        for group in DuplicateGroup.objects.filter(
            card_type=card_type, rule=rule, key__in=[found.key for found in batch]
        )
    }
    new, changed, rescored = [], [], []
    for found in batch:
        ids = list(found.card_ids)
        group = existing.get(found.key)
        if group is None:
            new.append(
                DuplicateGroup(
                    card_type=card_type,
                    rule=rule,
                    key=found.key,
                    card_ids=ids,
                    size=len(ids),
                    score=found.score,
                    found_at=now,
                )
            )
        elif group.card_ids != ids:
            # Other members: a new finding, shown again even if the old one was dismissed.
            group.card_ids, group.size, group.score = ids, len(ids), found.score
            group.found_at, group.dismissed_at, group.dismissed_by = now, None, None
            changed.append(group)
        elif group.score != found.score:
            group.score = found.score
            rescored.append(group)
    with transaction.atomic():
        DuplicateGroup.objects.bulk_create(new, ignore_conflicts=True)
        DuplicateGroup.objects.bulk_update(
            changed, ["card_ids", "size", "score", "found_at", "dismissed_at", "dismissed_by"]
        )
        DuplicateGroup.objects.bulk_update(rescored, ["score"])
    stats.created += len(new)
    stats.changed += len(changed)


def _remove_stale(card_type: ContentType, rule: str, seen: set[str], stats: RuleStats) -> None:
    rows = (
        DuplicateGroup.objects.filter(card_type=card_type, rule=rule)
        .order_by("pk")
        .values_list("pk", "key")
        .iterator(chunk_size=ITERATOR_CHUNK)
    )
    stale = (pk for pk, key in rows if key not in seen)
    for batch in _batched(stale, BATCH):
        stats.removed += DuplicateGroup.objects.filter(pk__in=batch).delete()[0]


def scan_rule(model: type[models.Model], rule: str) -> RuleStats:
    """Find the groups of one rule among the cards of ``model`` and store them."""
    card_type = ContentType.objects.get_for_model(model)
    stats = RuleStats()
    seen: set[str] = set()
    for batch in _batched(found_groups(model, rule), BATCH):
        unique = []
        for found in batch:
            if found.key in seen:
                continue
            seen.add(found.key)
            unique.append(found)
        stats.groups += len(unique)
        _store_batch(card_type, rule, unique, stats)
    _remove_stale(card_type, rule, seen, stats)
    return stats


def scan_duplicates(
    *,
    models_to_scan: Iterable[type[models.Model]] | None = None,
    rules: Iterable[str] | None = None,
) -> dict[str, RuleStats]:
    """Scan contacts and companies (or ``models_to_scan``) by every rule that concerns them (or
    ``rules``); returns the statistics per ``"<model>:<rule>"``."""
    wanted = set(rules) if rules is not None else None
    result: dict[str, RuleStats] = {}
    for model in models_to_scan or SCANNED_RULES:
        for rule in SCANNED_RULES[model]:
            if wanted is not None and rule not in wanted:
                continue
            result[f"{model._meta.model_name}:{rule}"] = scan_rule(model, rule)
    return result


@shared_task(name="contacts.scan_duplicates", ignore_result=True)
def scan_duplicates_task() -> dict[str, int]:
    """Nightly and after an import: refresh the duplicate finder's groups."""
    started = time.monotonic()
    stats = scan_duplicates()
    return {
        "groups": sum(item.groups for item in stats.values()),
        "seconds": round(time.monotonic() - started),
    }
