"""Derived values of clients: lifetime value (LTV), the last interaction and ABC segments.

These columns are never typed in: the sales side computes what a client's won deals bring
and what was logged on its cards, and writes it here. Every write is a set-based UPDATE, so a
change costs the same for one client or for thousands.

ABC segments rank the clients (contacts and companies separately) by LTV, largest first. A
client is in segment A while the LTV of the clients ranked above it is below ``ltv_a_share``
% of the total (so the largest client is always A), in B while it is below ``ltv_b_share`` %,
and in C after that; a client with no LTV has no segment.
"""

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.db import models, transaction
from django.db.models import F, Q, Sum, Value, Window
from django.db.models.functions import Coalesce

from voronka.contacts.models import ClientSettings, Company, Contact, LtvSegment
from voronka.core.money import money_field

ZERO = Value(Decimal("0"), output_field=money_field(""))


def _ids(values: Iterable[int | None]) -> list[int]:
    return sorted({value for value in values if value is not None})


def client_ltv_set(
    *,
    contact_ids: Iterable[int | None] = (),
    company_ids: Iterable[int | None] = (),
    contact_value: models.Expression,
    company_value: models.Expression,
) -> None:
    """Write the LTV of the given contacts and companies from the sales side's expressions
    (each a subquery over the row's own id; NULL reads as 0). At most one UPDATE per model."""
    contacts, companies = _ids(contact_ids), _ids(company_ids)
    if contacts:
        Contact.all_objects.filter(pk__in=contacts).update(ltv=Coalesce(contact_value, ZERO))
    if companies:
        Company.all_objects.filter(pk__in=companies).update(ltv=Coalesce(company_value, ZERO))


def client_ltv_refresh_stale(
    *,
    contact_value: models.Expression,
    company_value: models.Expression,
    at_least: Decimal,
) -> None:
    """Rewrite the LTV of every client whose stored value (at least ``at_least``) no longer
    matches ``*_value``: the clients a deal has just left, whose ids nobody kept."""
    for model, value in ((Contact, contact_value), (Company, company_value)):
        model.all_objects.filter(ltv__gte=at_least, ltv__gt=0).exclude(
            ltv=Coalesce(value, ZERO)
        ).update(ltv=Coalesce(value, ZERO))


def client_ltv_set_all(
    *, contact_value: models.Expression, company_value: models.Expression
) -> tuple[int, int]:
    """Recompute the LTV of every client (existing data, a repair): one UPDATE per model
    touching only the rows whose value changes. Returns how many rows changed per model."""
    changed = []
    for model, value in ((Contact, contact_value), (Company, company_value)):
        changed.append(
            model.all_objects.exclude(ltv=Coalesce(value, ZERO)).update(ltv=Coalesce(value, ZERO))
        )
    return changed[0], changed[1]


def client_last_contact_touch(
    *,
    at: datetime.datetime,
    contact_ids: Iterable[int | None] = (),
    company_ids: Iterable[int | None] = (),
) -> None:
    """Move the last interaction of the given clients forward to ``at``, never back: one
    UPDATE per model, and only rows with an older (or no) date are written."""
    older = Q(last_contact_at__isnull=True) | Q(last_contact_at__lt=at)
    contacts, companies = _ids(contact_ids), _ids(company_ids)
    if contacts:
        Contact.all_objects.filter(older, pk__in=contacts).update(last_contact_at=at)
    if companies:
        Company.all_objects.filter(older, pk__in=companies).update(last_contact_at=at)


def client_last_contact_set_latest(
    *, model: str, moments: dict[int, datetime.datetime], chunk: int = 1000
) -> int:
    """Existing data: move each client's (``model`` "contact" or "company") last interaction
    to its moment in ``moments`` where that is later; one read and one bulk UPDATE per
    ``chunk`` clients. Returns how many changed."""
    card_model = Contact if model == "contact" else Company
    ids = sorted(moments)
    changed = 0
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        rows = []
        for pk, current in card_model.all_objects.filter(pk__in=part).values_list(
            "pk", "last_contact_at"
        ):
            if current is None or current < moments[pk]:
                rows.append(card_model(pk=pk, last_contact_at=moments[pk]))
        if rows:
            card_model.all_objects.bulk_update(rows, ["last_contact_at"])
        changed += len(rows)
    return changed


def _boundary(queryset: models.QuerySet, share: int, total: Decimal) -> tuple[Decimal, int] | None:
    """(ltv, id) of the first client, in the ranking, whose predecessors already bring
    ``share`` % of ``total``; None when no client is that far down."""
    ranked = queryset.annotate(
        running=Window(Sum("ltv"), order_by=[F("ltv").desc(), F("pk").asc()])
    )
    row = (
        ranked.filter(running__gte=F("ltv") + total * share / 100)
        .order_by("-ltv", "pk")
        .values_list("ltv", "pk")
        .first()
    )
    return (row[0], row[1]) if row is not None else None


def _ranked_before(boundary: tuple[Decimal, int] | None) -> Q:
    """Clients ranked before the boundary row (all of them when there is none)."""
    if boundary is None:
        return Q()
    ltv, pk = boundary
    return Q(ltv__gt=ltv) | Q(ltv=ltv, pk__lt=pk)


def _ranked_from(boundary: tuple[Decimal, int] | None) -> Q:
    """The boundary row and the clients ranked after it (none when there is no boundary)."""
    if boundary is None:
        return Q(pk__in=[])
    return ~_ranked_before(boundary)


def _assign(model: type[models.Model], a_share: int, b_share: int) -> dict[str, int]:
    alive = model.objects.filter(ltv__gt=0)
    total = alive.aggregate(total=Sum("ltv"))["total"] or Decimal("0")
    counts: dict[str, int] = {}
    if total > 0:
        a_end = _boundary(alive, a_share, total)
        b_end = _boundary(alive, b_share, total)
        for code in (LtvSegment.A, LtvSegment.B, LtvSegment.C):
            if code == LtvSegment.A:
                chosen = _ranked_before(a_end)
            elif code == LtvSegment.B:
                chosen = _ranked_from(a_end) & _ranked_before(b_end)
            else:
                chosen = _ranked_from(b_end)
            counts[code] = alive.filter(chosen).exclude(ltv_segment=code).update(ltv_segment=code)
    counts[""] = model.all_objects.filter(ltv__lte=0).exclude(ltv_segment="").update(ltv_segment="")
    # Clients in the recycle bin keep no segment either.
    model.all_objects.filter(deleted_at__isnull=False).exclude(ltv_segment="").update(
        ltv_segment=""
    )
    return counts


def client_segments_assign() -> dict[str, dict[str, int]]:
    """Assign the ABC segments of all contacts and of all companies from their LTV (a nightly
    job). A few set-based statements per model whatever the number of clients; only rows whose
    segment changes are written. Returns how many rows moved into each segment."""
    settings = ClientSettings.load()
    with transaction.atomic():
        return {
            "contacts": _assign(Contact, settings.ltv_a_share, settings.ltv_b_share),
            "companies": _assign(Company, settings.ltv_a_share, settings.ltv_b_share),
        }
