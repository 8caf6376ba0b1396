"""Lists of leads and deals at a fixed number of queries whatever the data size."""

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Exists, OuterRef, Prefetch, Q

from voronka.contacts.models import Communication
from voronka.core.normalization import normalize_email, normalize_phone
from voronka.sales.models import Deal, DealContact, Lead, Pipeline, Stage

LIST_LIMIT = 100


def _communication_match(model: type[models.Model], search: str) -> Q:
    """Cards with a phone or e-mail equal to ``search`` after normalisation (an index hit)."""
    values = {value for value in (normalize_phone(search), normalize_email(search)) if value}
    if not values:
        return Q(pk__in=[])
    communications = Communication.objects.filter(
        card_type=ContentType.objects.get_for_model(model),
        card_id=OuterRef("pk"),
        value_normalized__in=values,
    )
    return Q(Exists(communications))


def _communications_prefetch() -> Prefetch:
    return Prefetch("communications", queryset=Communication.objects.order_by("kind", "sort"))


def lead_list(
    *,
    user,
    pipeline: Pipeline | None = None,
    stage: Stage | None = None,
    search: str | None = None,
    limit: int = LIST_LIMIT,
) -> list[Lead]:
    """The newest leads with what a list row shows: stage, responsible, contact, company and
    communications — two queries."""
    leads = Lead.objects.select_related(
        "stage", "responsible", "source", "company", "contact"
    ).prefetch_related(_communications_prefetch())
    if pipeline is not None:
        leads = leads.filter(stage__pipeline=pipeline)
    if stage is not None:
        leads = leads.filter(stage=stage)
    search = (search or "").strip()
    if search:
        leads = leads.filter(
            Q(title__icontains=search)
            | Q(company_title__icontains=search)
            | Q(last_name__istartswith=search)
            | _communication_match(Lead, search)
        )
    return list(leads.order_by("-created_at", "-pk")[:limit])


def deal_list(
    *,
    user,
    pipeline: Pipeline | None = None,
    stage: Stage | None = None,
    search: str | None = None,
    limit: int = LIST_LIMIT,
) -> list[Deal]:
    """The newest deals with stage, pipeline, responsible, company and the primary contact with
    its communications (``deal.primary_contact``) — three queries."""
    deals = Deal.objects.select_related(
        "stage", "pipeline", "responsible", "company"
    ).prefetch_related(
        Prefetch(
            "contact_links",
            queryset=DealContact.objects.filter(
                is_primary=True, contact__deleted_at__isnull=True
            ).select_related("contact"),
            to_attr="primary_contact_links",
        ),
        Prefetch(
            "primary_contact_links__contact__communications",
            queryset=Communication.objects.order_by("kind", "sort"),
        ),
    )
    if pipeline is not None:
        deals = deals.filter(pipeline=pipeline)
    if stage is not None:
        deals = deals.filter(stage=stage)
    search = (search or "").strip()
    if search:
        deals = deals.filter(Q(title__icontains=search) | Q(company__title__icontains=search))
    rows = list(deals.order_by("-created_at", "-pk")[:limit])
    for deal in rows:
        links = deal.primary_contact_links
        deal.primary_contact = links[0].contact if links else None
    return rows
