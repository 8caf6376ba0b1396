"""Lists of leads and deals at a fixed number of queries whatever the data size.

The list selectors return unsliced querysets: the list page filters them (``LeadFilterSet`` /
``DealFilterSet``), orders them by a whitelisted column and reads one page; the export reads
them in chunks. Either way a page costs the same queries for 3 rows or 50.
"""

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Exists, OuterRef, Prefetch, Q

from voronka.access.models import Action
from voronka.access.predicates import visible_to
from voronka.contacts.models import Communication, Company, Contact
from voronka.core.normalization import normalize_email, normalize_phone
from voronka.sales.models import (
    Deal,
    DealContact,
    Lead,
    LossReason,
    Pipeline,
    Stage,
)
from voronka.sales.selectors.boards import open_pipelines


def _visible(user, model, column: str) -> Exists:
    """EXISTS (the ``model`` record the row points to with ``column`` is visible to the user)."""
    return Exists(visible_to(user, model.objects.filter(pk=OuterRef(column))))


# Kept for callers that show "the newest N" outside the paged list.
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
) -> models.QuerySet[Lead]:
    """Leads (not in the recycle bin) the user sees, newest first, with what a list row
    shows: stage, responsible, source, contact, company and communications — two queries per
    page."""
    leads = (
        visible_to(user, Lead.objects.all())
        .select_related("stage", "responsible", "source", "company", "contact")
        .prefetch_related(_communications_prefetch())
    )
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
    return leads.order_by("-created_at", "-pk")


def deal_list(
    *,
    user,
    pipeline: Pipeline | None = None,
    stage: Stage | None = None,
    search: str | None = None,
) -> models.QuerySet[Deal]:
    """Deals (not in the recycle bin) the user sees, newest first, with stage, pipeline,
    responsible, source, company and the primary contact (``deal.primary_contact_links``) with
    its communications — three queries per page."""
    deals = (
        visible_to(user, Deal.objects.all())
        .select_related("stage", "pipeline", "responsible", "source", "company")
        .prefetch_related(
            Prefetch(
                "contact_links",
                queryset=DealContact.objects.filter(
                    is_primary=True, contact__deleted_at__isnull=True
                )
                .annotate(contact_visible=_visible(user, Contact, "contact_id"))
                .select_related("contact"),
                to_attr="primary_contact_links",
            ),
            Prefetch(
                "primary_contact_links__contact__communications",
                queryset=Communication.objects.order_by("kind", "sort"),
            ),
        )
        # The company and contact of a row link to their cards only when the user sees them.
        .annotate(company_visible=_visible(user, Company, "company_id"))
    )
    if pipeline is not None:
        deals = deals.filter(pipeline=pipeline)
    if stage is not None:
        deals = deals.filter(stage=stage)
    search = (search or "").strip()
    if search:
        deals = deals.filter(Q(title__icontains=search) | Q(company__title__icontains=search))
    return deals.order_by("-created_at", "-pk")


def primary_contact(deal: Deal):
    """The deal's primary contact from what ``deal_list`` prefetched, or None."""
    links = getattr(deal, "primary_contact_links", None) or []
    return links[0].contact if links else None


def leads_by_ids(*, user, ids: list[int], action: str = Action.UPDATE) -> list[Lead]:
    """The leads (not in the recycle bin) among ``ids`` the user may ``action`` (a bulk
    action's targets); one query."""
    leads = visible_to(user, Lead.objects.filter(pk__in=ids), action=action)
    return list(leads.select_related("stage").order_by("-pk"))


def deals_by_ids(*, user, ids: list[int], action: str = Action.UPDATE) -> list[Deal]:
    """The deals (not in the recycle bin) among ``ids`` the user may ``action`` (a bulk
    action's targets); one query."""
    deals = visible_to(user, Deal.objects.filter(pk__in=ids), action=action)
    return list(deals.select_related("stage", "pipeline").order_by("-pk"))


def list_pipelines(*, user, entity: str) -> list[Pipeline]:
    """The pipelines of leads or deals the user sees cards of, in their order (the list's
    pipeline filter)."""
    return list(open_pipelines(user=user, entity=entity).order_by("sort", "pk"))


def stage_groups(
    *, user, entity: str, pipeline: Pipeline | None = None
) -> list[tuple[Pipeline, list[Stage]]]:
    """Stages to move cards to, grouped by pipeline (only ``pipeline``'s when given, never of a
    pipeline where the user may change no cards); one query."""
    stages = Stage.objects.filter(
        pipeline__in=open_pipelines(user=user, entity=entity, action=Action.UPDATE)
    ).select_related("pipeline")
    if pipeline is not None:
        stages = stages.filter(pipeline=pipeline)
    groups: dict[int, tuple[Pipeline, list[Stage]]] = {}
    for stage in stages.order_by("pipeline__sort", "pipeline_id", "sort", "pk"):
        groups.setdefault(stage.pipeline_id, (stage.pipeline, []))[1].append(stage)
    return list(groups.values())


def stage_by_id(*, user, entity: str, pk) -> Stage | None:
    """A stage of a lead or deal pipeline where the user may change cards, by id, or None for
    anything else."""
    try:
        number = int(pk)
    except (TypeError, ValueError):
        return None
    pipelines = open_pipelines(user=user, entity=entity, action=Action.UPDATE)
    stages = Stage.objects.filter(pk=number, pipeline__in=pipelines)
    return stages.select_related("pipeline").first()


def active_loss_reasons(*, user) -> list[LossReason]:
    return list(LossReason.objects.filter(is_active=True).order_by("sort", "name"))


def loss_reason_by_id(*, user, pk) -> LossReason | None:
    try:
        number = int(pk)
    except (TypeError, ValueError):
        return None
    return LossReason.objects.filter(pk=number, is_active=True).first()
