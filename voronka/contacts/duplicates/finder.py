"""Finding the existing cards a new or changed lead, contact or company looks like.

Every lookup goes straight to an index: communications by (kind, normalised value), companies
by INN and by ``title_key``, contacts by the phones they share. The fuzzy company name is
compared only among a few neighbours of its key in the ``title_key`` index (a "blocking"
step), so a check costs the same handful of queries among ten companies or a million.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models
from rapidfuzz import fuzz

from voronka.contacts.models import (
    Communication,
    CommunicationKind,
    Company,
    Contact,
    DuplicateEntity,
    DuplicateRule,
)
from voronka.core.normalization import (
    company_name_key,
    digits_only,
    normalize_email,
    normalize_phone,
    person_name_key,
)

# token_sort_ratio of two company name keys from which they count as one company. Chosen from
# the variant tests: a typo («Ромашка» / «Ромашко» 87.5, «Ромащка» 94), a reordered name
# («Торговый дом Ромашка» / «Ромашка торговый дом» 100) and a suffix letter («Стройинвест» /
# «Стройинвест-М» 92) match; a different first letter («Вектор» / «Бектор» 83), a longer
# name («Альфа» / «Альфа-Банк» 62, «Ромашка» / «Ромашка Плюс» 73) do not.
COMPANY_NAME_THRESHOLD = 87
# Keys shorter than this only match exactly: among short names one letter is a different name.
FUZZY_MIN_LENGTH = 5
# How many neighbours of a name key the blocking step reads from the index, each way.
NEIGHBOURS = 40
WORD_NEIGHBOURS = 20
# Two person name keys are one person from this token_set_ratio (a patronymic more or less).
PERSON_NAME_THRESHOLD = 90

# The order in which rules describe one card matched by several of them: the strongest first.
RULE_PRIORITY = (
    DuplicateRule.INN_KPP,
    DuplicateRule.INN,
    DuplicateRule.EMAIL,
    DuplicateRule.PERSON,
    DuplicateRule.PHONE,
    DuplicateRule.COMPANY_NAME,
)
# Which rules concern each entity.
ENTITY_RULES = {
    DuplicateEntity.LEAD: (
        DuplicateRule.PHONE,
        DuplicateRule.EMAIL,
        DuplicateRule.COMPANY_NAME,
        DuplicateRule.PERSON,
    ),
    DuplicateEntity.CONTACT: (DuplicateRule.PHONE, DuplicateRule.EMAIL, DuplicateRule.PERSON),
    DuplicateEntity.COMPANY: (
        DuplicateRule.PHONE,
        DuplicateRule.EMAIL,
        DuplicateRule.INN,
        DuplicateRule.INN_KPP,
        DuplicateRule.COMPANY_NAME,
    ),
}
# Whose phones and e-mails a new card of an entity is compared with.
_COMMUNICATION_TARGETS = {
    DuplicateEntity.LEAD: (DuplicateEntity.LEAD, DuplicateEntity.CONTACT, DuplicateEntity.COMPANY),
    DuplicateEntity.CONTACT: (DuplicateEntity.CONTACT, DuplicateEntity.LEAD),
    DuplicateEntity.COMPANY: (DuplicateEntity.COMPANY,),
}


@dataclass(frozen=True)
class Match:
    """An existing card that looks like the one being written.

    ``rule`` is a ``DuplicateRule`` code, ``score`` 0–100 (100 for an equal identifier),
    ``value`` the identifier as it matched (an E.164 phone, an e-mail, an INN, a name key)."""

    entity: str
    card_id: int
    card: models.Model = field(compare=False, hash=False, repr=False)
    rule: str
    score: int
    value: str


@dataclass
class Identifiers:
    """What a card is compared by, normalised."""

    phones: set[str] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)
    # Phones the person rule pairs with the name (all of them when the name changed).
    person_phones: set[str] = field(default_factory=set)
    inn: str = ""
    kpp: str = ""
    name_key: str = ""  # the company's title, or a lead's company name
    person_key: str = ""


def entity_of_card(card: models.Model) -> str:
    """The duplicate entity code of a lead, contact or company instance or model."""
    return card._meta.model_name


def model_of(entity: str) -> type[models.Model]:
    if entity == DuplicateEntity.CONTACT:
        return Contact
    if entity == DuplicateEntity.COMPANY:
        return Company
    if entity == DuplicateEntity.LEAD:
        return apps.get_model("sales", "Lead")
    raise ValueError(f"No duplicate control for {entity!r}")


def _values(items: Any) -> list[str]:
    if items is None:
        return []
    if isinstance(items, str):
        return [items]
    return [str(item) for item in items if item]


def identifiers_of(entity: str, data: dict[str, Any]) -> Identifiers:
    """Normalise ``data``: ``communications`` (items ``{"kind", "value"}`` or Communication
    rows), ``phones``, ``emails``, ``person_phones``, ``inn``, ``kpp``, ``title`` (a company)
    or ``company_title`` (a lead), ``last_name``, ``first_name``, ``middle_name``."""
    found = Identifiers()
    phones = _values(data.get("phones"))
    emails = _values(data.get("emails"))
    for item in data.get("communications") or []:
        kind, value = (
            (item.get("kind"), item.get("value"))
            if isinstance(item, dict)
            else (item.kind, item.value)
        )
        if kind == CommunicationKind.PHONE:
            phones.append(str(value or ""))
        elif kind == CommunicationKind.EMAIL:
            emails.append(str(value or ""))
    found.phones = {p for p in map(normalize_phone, phones) if p}
    found.emails = {e for e in map(normalize_email, emails) if e}
    if "person_phones" in data:
        found.person_phones = {p for p in map(normalize_phone, _values(data["person_phones"])) if p}
    else:
        found.person_phones = set(found.phones)
    if entity == DuplicateEntity.COMPANY:
        found.inn = digits_only(str(data.get("inn") or ""))
        found.kpp = digits_only(str(data.get("kpp") or ""))
        found.name_key = company_name_key(str(data.get("title") or ""))[:255]
    elif entity == DuplicateEntity.LEAD:
        found.name_key = company_name_key(str(data.get("company_title") or ""))[:255]
    if entity in (DuplicateEntity.LEAD, DuplicateEntity.CONTACT):
        found.person_key = person_name_key(
            *(str(data.get(key) or "") for key in ("last_name", "first_name", "middle_name"))
        )[:500]
    return found


def _excluded(exclude: Any) -> set[tuple[str, int]]:
    if exclude is None:
        return set()
    cards = exclude if isinstance(exclude, list | tuple | set | frozenset) else [exclude]
    return {(entity_of_card(card), card.pk) for card in cards if card is not None and card.pk}


def _bump(prefix: str) -> str:
    """The smallest string above every string that starts with ``prefix``."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _digit_words(key: str) -> set[str]:
    return {word for word in key.split() if word.isdigit()}


def company_name_score(key: str, other: str) -> int:
    """0–100 likeness of two company name keys (``company_name_key``).

    Equal keys score 100. Keys that differ in a number («Ромашка» / «Ромашка-2», «Хлебозавод
    №1» / «№2») are different companies: numbered names are separate legal entities by
    convention, so they score 0. Short keys only match exactly."""
    if not key or not other:
        return 0
    if key == other:
        return 100
    if _digit_words(key) != _digit_words(other):
        return 0
    if min(len(key), len(other)) < FUZZY_MIN_LENGTH:
        return 0
    return round(fuzz.token_sort_ratio(key, other))


def _name_candidates(key: str) -> dict[int, str]:
    """Companies whose ``title_key`` sits near ``key`` in its index: the neighbours on both
    sides sharing its first three characters, the first ones sharing three quarters of it,
    and those starting with another long word of it (so «Ромашка торговый дом» meets
    «Торговый дом Ромашка»). A fixed number of capped index range reads: one to three for the
    key plus one per further word (at most two)."""
    if not key:
        return {}
    queries = []
    # Only ids and keys: the few companies that match are read in full afterwards.
    base = Company.objects.values_list("pk", "title_key")
    prefix = key[:3]
    upper = _bump(prefix)
    queries.append(base.filter(title_key__gte=key, title_key__lt=upper).order_by("title_key"))
    if len(key) >= FUZZY_MIN_LENGTH:
        queries.append(base.filter(title_key__gte=prefix, title_key__lt=key).order_by("-title_key"))
        # A typo near the end («Ромашко»): the first keys sharing most of its beginning, which
        # the two neighbour reads miss among many longer names on that beginning.
        stem = key[: max(3, len(key) * 3 // 4)]
        if stem != key:
            queries.append(
                base.filter(title_key__gte=stem, title_key__lt=_bump(stem)).order_by("title_key")
            )
    words = [word for word in key.split()[1:] if len(word) >= FUZZY_MIN_LENGTH][:2]
    candidates: dict[int, str] = {}
    for query in queries:
        candidates.update(query[:NEIGHBOURS])
    for word in words:
        query = base.filter(title_key__gte=word, title_key__lt=_bump(word[:3]))
        candidates.update(query.order_by("title_key")[:WORD_NEIGHBOURS])
    return candidates


def _person_matches(key: str, other: str) -> int:
    if not key or not other:
        return 0
    if key == other:
        return 100
    score = fuzz.token_set_ratio(key, other)
    return round(score) if score >= PERSON_NAME_THRESHOLD else 0


def _load_cards(ids: dict[str, set[int]]) -> dict[tuple[str, int], models.Model]:
    """Alive cards by (entity, id); one query per entity that has ids."""
    cards: dict[tuple[str, int], models.Model] = {}
    for entity, pks in ids.items():
        if not pks:
            continue
        query = model_of(entity).objects.filter(pk__in=sorted(pks)).select_related("responsible")
        for card in query:
            cards[(entity, card.pk)] = card
    return cards


def _card_name_key(card: models.Model) -> str:
    if isinstance(card, Contact):
        return card.name_key or person_name_key(card.last_name, card.first_name, card.middle_name)
    return person_name_key(
        getattr(card, "last_name", ""),
        getattr(card, "first_name", ""),
        getattr(card, "middle_name", ""),
    )


def find_duplicates(
    entity: str,
    data: dict[str, Any],
    *,
    exclude: Any = None,
    limit: int = 10,
    rules: Iterable[str] | None = None,
) -> list[Match]:
    """Existing cards that look like a ``entity`` card holding ``data``, best first.

    A lead is compared with leads, contacts and companies by its phones and e-mails, with
    companies by its company name and with contacts by its person name plus a phone. A contact
    is compared with contacts (and with leads not yet converted) by phones, e-mails and name
    plus phone; a company with companies by phones, e-mails, INN, INN+KPP and name. Each card
    is returned once, under its strongest rule. ``exclude`` (a card or several) are left out,
    as are cards in the recycle bin. ``rules`` narrows the rules (all that concern the entity
    by default). Everyone's cards are searched: the caller decides what the user may see.
    """
    wanted = set(ENTITY_RULES[entity])
    if rules:
        wanted &= set(rules)
    found = identifiers_of(entity, data)
    excluded = _excluded(exclude)
    best: dict[tuple[str, int], Match] = {}

    def offer(card_entity: str, card: models.Model, rule: str, score: int, value: str) -> None:
        key = (card_entity, card.pk)
        if key in excluded or score <= 0:
            return
        match = Match(str(card_entity), card.pk, card, str(rule), score, value)
        current = best.get(key)
        if current is None or (score, -RULE_PRIORITY.index(rule)) > (
            current.score,
            -RULE_PRIORITY.index(current.rule),
        ):
            best[key] = match

    _match_communications(entity, found, wanted, offer)
    if entity == DuplicateEntity.COMPANY and found.inn and wanted & {"inn", "inn_kpp"}:
        for company in Company.objects.filter(inn=found.inn).select_related("responsible")[:50]:
            if DuplicateRule.INN_KPP in wanted and company.kpp == found.kpp:
                offer(entity, company, DuplicateRule.INN_KPP, 100, f"{found.inn}/{found.kpp}")
            elif DuplicateRule.INN in wanted:
                offer(entity, company, DuplicateRule.INN, 100, found.inn)
    if found.name_key and DuplicateRule.COMPANY_NAME in wanted:
        scores = {
            pk: score
            for pk, title_key in _name_candidates(found.name_key).items()
            if (score := company_name_score(found.name_key, title_key)) >= COMPANY_NAME_THRESHOLD
            and (DuplicateEntity.COMPANY, pk) not in excluded
        }
        named = _load_cards({DuplicateEntity.COMPANY: set(scores)})
        for (_entity, pk), company in named.items():
            offer(_entity, company, DuplicateRule.COMPANY_NAME, scores[pk], company.title_key)
    matches = sorted(
        best.values(),
        key=lambda m: (-m.score, RULE_PRIORITY.index(m.rule), m.entity, m.card_id),
    )
    return matches[:limit]


def _match_communications(entity: str, found: Identifiers, wanted: set[str], offer) -> None:
    """Phones and e-mails (and name + phone) in one read of the communications index, then
    one read per kind of card they belong to."""
    phones = found.phones if DuplicateRule.PHONE in wanted else set()
    person_phones = found.person_phones if DuplicateRule.PERSON in wanted else set()
    if not found.person_key:
        person_phones = set()
    emails = found.emails if DuplicateRule.EMAIL in wanted else set()
    all_phones = phones | person_phones
    if not (all_phones or emails):
        return
    targets = _COMMUNICATION_TARGETS[entity]
    types = {ContentType.objects.get_for_model(model_of(target)).pk: target for target in targets}
    condition = models.Q()
    if all_phones:
        condition |= models.Q(kind=CommunicationKind.PHONE, value_normalized__in=sorted(all_phones))
    if emails:
        condition |= models.Q(kind=CommunicationKind.EMAIL, value_normalized__in=sorted(emails))
    rows = list(
        Communication.objects.filter(condition, card_type_id__in=sorted(types))
        .order_by("-card_id")
        .values_list("card_type_id", "card_id", "kind", "value_normalized")[:200]
    )
    ids: dict[str, set[int]] = {}
    for type_id, card_id, _kind, _value in rows:
        ids.setdefault(types[type_id], set()).add(card_id)
    cards = _load_cards(ids)
    for type_id, card_id, kind, value in rows:
        card_entity = types[type_id]
        card = cards.get((card_entity, card_id))
        if card is None:
            continue
        lead_of_contact = card_entity == DuplicateEntity.LEAD and entity == DuplicateEntity.CONTACT
        if lead_of_contact and card.converted_at is not None:
            continue  # its person is a contact already, found by the same value
        if kind == CommunicationKind.EMAIL:
            offer(card_entity, card, DuplicateRule.EMAIL, 100, value)
            continue
        if value in phones:
            offer(card_entity, card, DuplicateRule.PHONE, 100, value)
        if value in person_phones and card_entity == DuplicateEntity.CONTACT:
            score = _person_matches(found.person_key, _card_name_key(card))
            if score:
                offer(card_entity, card, DuplicateRule.PERSON, score, value)
