"""How leads and deals follow a merged contact or company to the surviving card."""

from voronka.contacts.merging import MergePlan, register_merge_mover
from voronka.contacts.models import Company, Contact
from voronka.sales.models import Deal, DealContact, Lead


def move_sales_rows(plan: MergePlan) -> None:
    """Leads and deals of the absorbed card (those in the recycle bin too) move to the
    survivor; a deal that already names the surviving contact keeps one link, primary if
    either was."""
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


register_merge_mover("sales", move_sales_rows)
