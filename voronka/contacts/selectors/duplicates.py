"""Reads of the duplicate finder and of merges, scoped to the cards the user sees.

A group of the finder shows only the cards the user may see; a group with fewer than two of
them is not shown at all. A merge is listed for those who see its surviving card.
"""

import datetime
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from voronka.access.predicates import visible_to
from voronka.contacts.merging import MergeableKind, mergeable_kinds
from voronka.contacts.models import (
    ClientSettings,
    Company,
    Contact,
    DuplicateGroup,
    MergeRecord,
)

# The kinds of cards the scan groups (merges cover every registered mergeable kind).
ENTITY_MODELS: dict[str, type[models.Model]] = {"contact": Contact, "company": Company}
# Cards of one group shown on the finder (a shared office phone can gather hundreds).
GROUP_CARDS_SHOWN = 20
# Groups read per page, as a multiple of the page size: room for groups the user sees less
# than two cards of, with a fixed number of queries.
OVERFETCH = 3


def model_of_entity(entity: str) -> type[models.Model]:
    """The model of a kind of card the finder lists; 404 for any other."""
    try:
        return ENTITY_MODELS[entity]
    except KeyError:
        raise Http404 from None


def mergeable_or_404(entity: str) -> MergeableKind:
    """The registered mergeable kind named ``entity``; 404 for any other."""
    try:
        return mergeable_kinds()[entity]
    except KeyError:
        raise Http404 from None


def _card_queryset(user, model: type[models.Model], ids) -> models.QuerySet:
    queryset = model.objects.filter(pk__in=sorted(ids)).select_related("responsible")
    return visible_to(user, queryset.prefetch_related("communications"))


@dataclass
class GroupLine:
    group: DuplicateGroup
    cards: list[models.Model]
    hidden: int = 0  # members the user does not see or that are not shown


@dataclass
class FinderPage:
    lines: list[GroupLine] = field(default_factory=list)
    next_offset: int | None = None


def duplicate_finder_page(
    *, user, model: type[models.Model], rule: str = "", offset: int = 0, limit: int = 25
) -> FinderPage:
    """One page of open groups of ``model`` (optionally of one ``rule``), surest first.

    Three queries whatever the data: the groups, their visible cards, the cards'
    communications. Groups where the user sees fewer than two cards are skipped, so a page
    may hold fewer than ``limit`` lines; ``next_offset`` continues after the last group read.
    """
    groups = DuplicateGroup.objects.filter(
        card_type=ContentType.objects.get_for_model(model), dismissed_at__isnull=True
    )
    if rule:
        groups = groups.filter(rule=rule)
    read = list(groups.order_by("-score", "-size", "pk")[offset : offset + limit * OVERFETCH])
    ids = {pk for group in read for pk in group.card_ids[:GROUP_CARDS_SHOWN]}
    cards = {card.pk: card for card in _card_queryset(user, model, ids)} if ids else {}
    page = FinderPage()
    consumed = 0
    for group in read:
        if len(page.lines) == limit:
            break
        consumed += 1
        shown = [cards[pk] for pk in group.card_ids[:GROUP_CARDS_SHOWN] if pk in cards]
        if len(shown) >= 2:
            page.lines.append(
                GroupLine(group=group, cards=shown, hidden=len(group.card_ids) - len(shown))
            )
    if consumed < len(read) or len(read) == limit * OVERFETCH:
        page.next_offset = offset + consumed
    return page


def visible_group_or_404(*, user, pk: int) -> GroupLine:
    """An open group with at least two cards the user sees; 404 otherwise."""
    group = DuplicateGroup.objects.filter(pk=pk, dismissed_at__isnull=True).first()
    model = group.card_type.model_class() if group is not None else None
    if model not in ENTITY_MODELS.values():
        raise Http404
    cards = list(_card_queryset(user, model, group.card_ids[:GROUP_CARDS_SHOWN]))
    if len(cards) < 2:
        raise Http404
    return GroupLine(group=group, cards=cards)


def merge_pair_or_404(*, user, entity: str, pk: int, other_pk: int):
    """The two cards of a merge, both visible to the user; 404 when either is not."""
    model = mergeable_or_404(entity).model
    if pk == other_pk:
        raise Http404
    queryset = visible_to(user, model.objects.filter(pk__in=sorted({pk, other_pk})))
    cards = {card.pk: card for card in queryset.select_related("responsible", "source")}
    if len(cards) != 2:
        raise Http404
    return cards[pk], cards[other_pk]


def visible_card_or_404(*, user, entity: str, pk: int) -> models.Model:
    model = mergeable_or_404(entity).model
    card = visible_to(user, model.objects.filter(pk=pk)).first()
    if card is None:
        raise Http404
    return card


def undo_period() -> datetime.timedelta:
    return datetime.timedelta(days=ClientSettings.load().merge_undo_days)


@dataclass
class MergeLine:
    record: MergeRecord
    entity: str
    survivor: models.Model
    absorbed: models.Model | None
    undoable: bool
    survivor_url: str = ""


def merge_list_page(
    *, user, offset: int = 0, limit: int = 25
) -> tuple[list[MergeLine], int | None]:
    """Recent merges whose surviving card the user sees, newest first; the absorbed card is
    named when the user sees it too. Fixed queries: settings, merges, and two per card type."""
    since = timezone.now() - undo_period()
    read = list(
        MergeRecord.objects.select_related("merged_by", "undone_by", "card_type").order_by(
            "-merged_at", "-pk"
        )[offset : offset + limit * OVERFETCH]
    )
    cards: dict[tuple[str, int], models.Model] = {}
    kinds = mergeable_kinds()
    for entity, kind in kinds.items():
        model = kind.model
        card_type = ContentType.objects.get_for_model(model)
        ids = {
            pk
            for record in read
            if record.card_type_id == card_type.pk
            for pk in (record.survivor_id, record.absorbed_id)
        }
        if ids:
            for card in visible_to(user, model.all_objects.filter(pk__in=sorted(ids))):
                cards[(entity, card.pk)] = card
    lines: list[MergeLine] = []
    consumed = 0
    for record in read:
        if len(lines) == limit:
            break
        consumed += 1
        entity = record.card_type.model
        survivor = cards.get((entity, record.survivor_id))
        if survivor is None:
            continue
        kind = kinds[entity]
        lines.append(
            MergeLine(
                record=record,
                entity=entity,
                survivor=survivor,
                absorbed=cards.get((entity, record.absorbed_id)),
                undoable=record.undone_at is None and record.merged_at >= since,
                survivor_url=(
                    reverse(kind.detail_url_name, args=[survivor.pk])
                    if kind.detail_url_name and not survivor.is_deleted
                    else ""
                ),
            )
        )
    more = consumed < len(read) or len(read) == limit * OVERFETCH
    return lines, offset + consumed if more else None


def visible_merge_or_404(*, user, pk: int) -> MergeRecord:
    """A merge whose surviving card the user sees; 404 otherwise (also for the undo URL)."""
    record = MergeRecord.objects.select_related("card_type").filter(pk=pk).first()
    model = record.card_type.model_class() if record is not None else None
    if model not in {kind.model for kind in mergeable_kinds().values()}:
        raise Http404
    if not visible_to(user, model.all_objects.filter(pk=record.survivor_id)).exists():
        raise Http404
    return record


def undoable_merges(*, user, card: models.Model) -> list[MergeRecord]:
    """Merges into ``card`` that can still be undone (for the notice on its page)."""
    return list(
        MergeRecord.objects.filter(
            card_type=ContentType.objects.get_for_model(card),
            survivor_id=card.pk,
            undone_at__isnull=True,
            merged_at__gte=timezone.now() - undo_period(),
        ).order_by("-merged_at", "-pk")[:5]
    )
