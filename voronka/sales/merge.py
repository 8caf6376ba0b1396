"""How leads and deals follow a merged contact or company to the surviving card, and how two
leads are merged (the merge itself is ``voronka.contacts.services.merge``)."""

from django.db.models import Q

from voronka.access.predicates import visible_to
from voronka.contacts.merging import (
    MergeableKind,
    MergePlan,
    register_merge_mover,
    register_mergeable,
)
from voronka.contacts.models import Company, Contact
from voronka.sales.events import LeadDeleted, LeadRestored
from voronka.sales.models import Deal, DealContact, Lead

LEAD_MERGE_FIELDS = (
    "title",
    "last_name",
    "first_name",
    "middle_name",
    "company_title",
    "position",
    "address",
    "contact",
    "company",
    "source",
    "source_description",
    "responsible",
    "comment",
)
PICKER_LIMIT = 10


def move_sales_rows(plan: MergePlan) -> None:
    """Leads and deals of the absorbed card (those in the recycle bin too) move to the
    survivor; a deal that already names the surviving contact keeps one link, primary if
    either was. Deals made from an absorbed lead name the surviving lead."""
    if plan.model is Contact:
        plan.repoint(Lead._base_manager.all(), "contact")
        survivor_links = {
            link.deal_id: link for link in DealContact.objects.filter(contact=plan.survivor)
        }
        moving = list(DealContact.objects.filter(contact=plan.absorbed))
        shared = [link for link in moving if link.deal_id in survivor_links]
        plan.delete(shared)
        for link in shared:
            if link.is_primary:
                plan.set_value(survivor_links[link.deal_id], "is_primary", True)
        plan.repoint(DealContact.objects.all(), "contact")
    elif plan.model is Company:
        plan.repoint(Lead._base_manager.all(), "company")
        plan.repoint(Deal._base_manager.all(), "company")
    elif plan.model is Lead:
        plan.repoint(Deal._base_manager.all(), "lead")


def _lead_update(*, actor, card: Lead, data) -> Lead:
    from voronka.sales.services import lead_update

    return lead_update(actor=actor, lead=card, data=data)


def lead_picker(*, user, search: str, exclude_ids=()) -> list[Lead]:
    """Up to ``PICKER_LIMIT`` leads the user sees whose title, name or company name holds the
    typed text, newest first."""
    text = (search or "").strip()
    if not text:
        return []
    condition = Q()
    for field in ("title", "last_name", "first_name", "company_title"):
        condition |= Q(**{f"{field}__icontains": text})
    queryset = visible_to(user, Lead.objects.filter(condition).exclude(pk__in=list(exclude_ids)))
    return list(queryset.order_by("-created_at", "-pk")[:PICKER_LIMIT])


register_merge_mover("sales", move_sales_rows)
register_mergeable(
    MergeableKind(
        model=Lead,
        entity="lead",
        fields=LEAD_MERGE_FIELDS,
        update=_lead_update,
        deleted_event=lambda actor_id, pk: LeadDeleted(actor_id=actor_id, lead_id=pk),
        restored_event=lambda actor_id, pk: LeadRestored(actor_id=actor_id, lead_id=pk),
        detail_url_name="sales:lead_detail",
        picker=lead_picker,
    )
)
