"""What deals and the feed mean for a client's LTV and last interaction.

**LTV** of a company is the sum of the amounts of its won deals (``Deal.company``); of a
contact, the sum of the won deals it is linked to (``Deal.contacts``). Deals in the recycle
bin do not count. Only deals in the default currency (``settings.DEFAULT_CURRENCY``) count:
the project keeps no exchange rates, and adding roubles to dollars would give a number that
means nothing; a deal in another currency is left out until rates exist.

The subscribers below run inside the transaction that changes the deal, so the deal and the
LTV of its clients commit — or roll back — together. A deal that is won, reopened, deleted,
restored, or whose amount, currency, company or contacts change rewrites the LTV of its clients
with one UPDATE per model; the clients a deal leaves (the old company, an unlinked contact) are
found among those whose stored LTV no longer matches its recomputed value.

**Last interaction** of a client moves forward when a call, e-mail or meeting is logged (or
completed) or a comment is written on the client's own card **or on one of its deals or leads**
— as in Bitrix24, a call on the deal is a contact with its client. A planned activity counts
once it is done (or when it is logged with a deadline already past). It never moves back.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Case, F, Max, OuterRef, Q, Subquery, Sum, When

from voronka.contacts.models import Company, Contact
from voronka.contacts.services.client_value import (
    client_last_contact_set_latest,
    client_last_contact_touch,
    client_ltv_refresh_stale,
    client_ltv_set,
    client_ltv_set_all,
)
from voronka.core.events import subscribe
from voronka.sales import events
from voronka.sales.models import Deal, DealContact, Lead, StageKind
from voronka.timeline.models import Activity, EntryKind, TimelineEntry

INTERACTIONS = frozenset({"call", "email", "meeting"})
CLIENT_CARDS = frozenset({"contact", "company", "deal", "lead"})
# Fields of a deal that change what it brings to its clients.
VALUE_FIELDS = frozenset({"amount", "currency", "company", "contacts"})
LINK_FIELDS = frozenset({"company", "contacts"})
# A deal reopened and relinked in one step: the move happened a moment before the update.
SAME_STEP = datetime.timedelta(minutes=1)


def counted_deals():
    """The deals that make up LTV: won, not in the recycle bin, in the default currency."""
    return Deal.objects.filter(stage__kind=StageKind.WON, currency=settings.DEFAULT_CURRENCY)


def contact_ltv_expression() -> Subquery:
    """A contact's LTV as a subquery over the outer contact row."""
    return Subquery(
        DealContact.objects.filter(contact=OuterRef("pk"), deal__in=counted_deals())
        .values("contact")
        .annotate(total=Sum("deal__amount"))
        .values("total")[:1]
    )


def company_ltv_expression() -> Subquery:
    """A company's LTV as a subquery over the outer company row."""
    return Subquery(
        counted_deals()
        .filter(company=OuterRef("pk"))
        .order_by()
        .values("company")
        .annotate(total=Sum("amount"))
        .values("total")[:1]
    )


def clients_recompute(*, contact_ids=(), company_ids=()) -> None:
    """Recompute the LTV of these clients (a merge or an import that moved deals calls it)."""
    client_ltv_set(
        contact_ids=contact_ids,
        company_ids=company_ids,
        contact_value=contact_ltv_expression(),
        company_value=company_ltv_expression(),
    )


def clients_recompute_all() -> tuple[int, int]:
    """Recompute every client's LTV; how many contacts and companies changed."""
    return client_ltv_set_all(
        contact_value=contact_ltv_expression(), company_value=company_ltv_expression()
    )


def _deal_state(deal_id: int) -> dict | None:
    """The deal's stage kind, currency, amount and clients (``contact_ids``), in one query."""
    rows = list(
        Deal.all_objects.filter(pk=deal_id).values(
            "company_id",
            "stage__kind",
            "currency",
            "amount",
            "stage_changed_at",
            "contact_links__contact_id",
        )
    )
    if not rows:
        return None
    state = rows[0]
    state["contact_ids"] = [row["contact_links__contact_id"] for row in rows]
    return state


def _recompute_deal_clients(state: dict) -> None:
    clients_recompute(contact_ids=state["contact_ids"], company_ids=[state["company_id"]])


def _recompute_if_won(deal_id: int) -> None:
    state = _deal_state(deal_id)
    if state is not None and state["stage__kind"] == StageKind.WON:
        _recompute_deal_clients(state)


def on_deal_created(event: events.DealCreated) -> None:
    _recompute_if_won(event.deal_id)


def on_deal_stage_changed(event: events.DealStageChanged) -> None:
    if StageKind.WON not in (event.from_stage_kind, event.to_stage_kind):
        return
    state = _deal_state(event.deal_id)
    if state is not None:
        _recompute_deal_clients(state)


def on_deal_updated(event: events.DealUpdated) -> None:
    fields = VALUE_FIELDS.intersection(event.fields)
    if not fields:
        return
    state = _deal_state(event.deal_id)
    if state is None:
        return
    won = state["stage__kind"] == StageKind.WON
    if won:
        _recompute_deal_clients(state)
    if not fields & LINK_FIELDS:
        return
    # The clients the deal left counted it only if it counted before: won then (now, or up to
    # a move in this same step), in the default currency then, with an amount then.
    moved_now = state["stage_changed_at"] >= event.occurred_at - SAME_STEP
    if not (won or moved_now):
        return
    if "currency" not in fields and state["currency"] != settings.DEFAULT_CURRENCY:
        return
    if "amount" in fields:
        at_least = Decimal("0.01")
    elif state["amount"] > 0:
        at_least = state["amount"]
    else:
        return
    client_ltv_refresh_stale(
        contact_value=contact_ltv_expression(),
        company_value=company_ltv_expression(),
        at_least=at_least,
    )


def on_deal_recycled(event: events.DealDeleted | events.DealRestored) -> None:
    _recompute_if_won(event.deal_id)


# ---- Last interaction -------------------------------------------------------------------------


def _clients_of(card_type: str, card_id: int) -> tuple[list[int], list[int]]:
    """(contact ids, company ids) whose last interaction a feed entry on this card moves."""
    if card_type == "contact":
        return [card_id], []
    if card_type == "company":
        return [], [card_id]
    if card_type == "deal":
        rows = Deal.all_objects.filter(pk=card_id).values_list(
            "company_id", "contact_links__contact_id"
        )
        return [contact for _company, contact in rows], [company for company, _contact in rows]
    if card_type == "lead":
        row = Lead.all_objects.filter(pk=card_id).values_list("contact_id", "company_id").first()
        if row is None:
            return [], []
        return [row[0]], [row[1]]
    return [], []


def touch_clients(*, card_type: str, card_id: int, at: datetime.datetime) -> None:
    contact_ids, company_ids = _clients_of(card_type, card_id)
    client_last_contact_touch(at=at, contact_ids=contact_ids, company_ids=company_ids)


def on_activity_created(event) -> None:
    if event.activity_kind not in INTERACTIONS or event.card_type not in CLIENT_CARDS:
        return
    row = Activity.objects.filter(pk=event.activity_id).values("deadline", "completed_at").first()
    if row is None:
        return
    planned = row["deadline"] is not None and row["deadline"] > event.occurred_at
    if planned and row["completed_at"] is None:
        # Planned for later: it counts when it is done.
        return
    touch_clients(card_type=event.card_type, card_id=event.card_id, at=event.occurred_at)


def on_activity_completed(event) -> None:
    if event.activity_kind not in INTERACTIONS or event.card_type not in CLIENT_CARDS:
        return
    touch_clients(card_type=event.card_type, card_id=event.card_id, at=event.occurred_at)


def on_comment_added(event) -> None:
    if event.card_type not in CLIENT_CARDS:
        return
    touch_clients(card_type=event.card_type, card_id=event.card_id, at=event.occurred_at)


def _feed_times(models_by_type: dict) -> dict[tuple[str, int], datetime.datetime]:
    """The latest interaction on each card of these types, from the feeds: comments, and
    calls, e-mails and meetings done (or logged with no deadline still ahead)."""
    content_types = {
        ContentType.objects.get_for_model(model).pk: name for name, model in models_by_type.items()
    }
    latest: dict[tuple[str, int], datetime.datetime] = {}

    def note(type_id: int, card_id: int, at) -> None:
        key = (content_types[type_id], card_id)
        if at is not None and (key not in latest or latest[key] < at):
            latest[key] = at

    comments = (
        TimelineEntry.objects.filter(kind=EntryKind.COMMENT, card_type_id__in=list(content_types))
        .values("card_type_id", "card_id")
        .annotate(at=Max("created_at"))
        .values_list("card_type_id", "card_id", "at")
    )
    for type_id, card_id, at in comments.iterator(chunk_size=5000):
        note(type_id, card_id, at)
    happened = Case(
        When(completed_at__isnull=False, then=F("completed_at")),
        When(Q(deadline__isnull=True) | Q(deadline__lte=F("created_at")), then=F("created_at")),
        default=None,
    )
    activities = (
        Activity.objects.filter(kind__in=INTERACTIONS, card_type_id__in=list(content_types))
        .values("card_type_id", "card_id")
        .annotate(at=Max(happened))
        .values_list("card_type_id", "card_id", "at")
    )
    for type_id, card_id, at in activities.iterator(chunk_size=5000):
        note(type_id, card_id, at)
    return latest


def last_contacts_recompute_all(*, chunk: int = 2000) -> tuple[int, int]:
    """Set every client's last interaction from the feeds of its own card, its deals and its
    leads (existing data: an import, the demo); never moves a date back. Returns how many
    contacts and companies got a date."""
    latest = _feed_times({"contact": Contact, "company": Company, "deal": Deal, "lead": Lead})
    clients: dict[tuple[str, int], datetime.datetime] = {}

    def note(kind: str, pk: int | None, at) -> None:
        if pk is not None and ((kind, pk) not in clients or clients[(kind, pk)] < at):
            clients[(kind, pk)] = at

    for (kind, pk), at in latest.items():
        if kind in ("contact", "company"):
            note(kind, pk, at)
    deal_ids = [pk for (kind, pk) in latest if kind == "deal"]
    for start in range(0, len(deal_ids), chunk):
        part = deal_ids[start : start + chunk]
        for pk, company_id, contact_id in Deal.all_objects.filter(pk__in=part).values_list(
            "pk", "company_id", "contact_links__contact_id"
        ):
            note("company", company_id, latest[("deal", pk)])
            note("contact", contact_id, latest[("deal", pk)])
    lead_ids = [pk for (kind, pk) in latest if kind == "lead"]
    for start in range(0, len(lead_ids), chunk):
        part = lead_ids[start : start + chunk]
        for pk, company_id, contact_id in Lead.all_objects.filter(pk__in=part).values_list(
            "pk", "company_id", "contact_id"
        ):
            note("company", company_id, latest[("lead", pk)])
            note("contact", contact_id, latest[("lead", pk)])
    return (
        client_last_contact_set_latest(
            model="contact",
            moments={pk: at for (kind, pk), at in clients.items() if kind == "contact"},
        ),
        client_last_contact_set_latest(
            model="company",
            moments={pk: at for (kind, pk), at in clients.items() if kind == "company"},
        ),
    )


def connect() -> None:
    """Subscribe inside the transactions that change deals and feeds."""
    from voronka.timeline import events as timeline_events

    subscribe(events.DealCreated, on_deal_created, in_transaction=True)
    subscribe(events.DealStageChanged, on_deal_stage_changed, in_transaction=True)
    subscribe(events.DealUpdated, on_deal_updated, in_transaction=True)
    subscribe(events.DealDeleted, on_deal_recycled, in_transaction=True)
    subscribe(events.DealRestored, on_deal_recycled, in_transaction=True)
    subscribe(timeline_events.ActivityCreated, on_activity_created, in_transaction=True)
    subscribe(timeline_events.ActivityCompleted, on_activity_completed, in_transaction=True)
    comment_event = getattr(timeline_events, "CommentAdded", None)
    if comment_event is not None:
        subscribe(comment_event, on_comment_added, in_transaction=True)
