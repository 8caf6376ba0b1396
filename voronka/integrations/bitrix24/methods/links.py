"""Links between cards: ``crm.lead.contact.items.*``, ``crm.contact.company.items.*``,
``crm.company.contact.items.*`` (tier T2)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from voronka.contacts.models import Company, Contact
from voronka.contacts.services.contacts import contact_link_company, contact_unlink_company
from voronka.integrations.bitrix24 import entities as E
from voronka.integrations.bitrix24.methods.crm import load, object_id
from voronka.integrations.bitrix24.params import as_list, as_map, to_bool, to_int
from voronka.integrations.bitrix24.registry import CLASSIC, method
from voronka.sales.services.leads import lead_update


def _items(params, key: str) -> list[tuple[int, bool]]:
    items = []
    for raw in as_list(params.get("items")):
        item = {str(k).upper(): v for k, v in as_map(raw).items()}
        number = to_int(item.get(key))
        if not number:
            raise ValidationError({key: _("%(key)s is not defined.") % {"key": key}})
        items.append((number, to_bool(item.get("IS_PRIMARY"))))
    return items


def _link_row(key: str, number: int, position: int, primary: bool) -> dict:
    return {
        key: number,
        "SORT": (position + 1) * 10,
        "ROLE_ID": 0,
        "IS_PRIMARY": "Y" if primary else "N",
    }


@method("crm.lead.contact.items.get", scope="crm", family=CLASSIC)
def lead_contacts_get(ctx, params):
    lead = load(ctx, E.KINDS[E.LEAD], object_id(params))
    return [_link_row("CONTACT_ID", lead.contact_id, 0, True)] if lead.contact_id else []


@method("crm.lead.contact.items.set", scope="crm", family=CLASSIC)
def lead_contacts_set(ctx, params):
    lead = load(ctx, E.KINDS[E.LEAD], object_id(params))
    items = _items(params, "CONTACT_ID")
    primary = next((n for n, is_primary in items if is_primary), items[0][0] if items else None)
    lead_update(actor=ctx.user, lead=lead, data={"contact_id": primary})
    return True


@method("crm.lead.contact.items.delete", scope="crm", family=CLASSIC)
def lead_contacts_delete(ctx, params):
    lead = load(ctx, E.KINDS[E.LEAD], object_id(params))
    lead_update(actor=ctx.user, lead=lead, data={"contact_id": None})
    return True


def _set_contact_companies(ctx, contact: Contact, wanted: list[tuple[int, bool]]) -> None:
    current = {link.company_id for link in contact.company_links.all()}
    ids = [number for number, _primary in wanted]
    companies = {c.pk: c for c in Company.objects.filter(pk__in=ids)}
    missing = [str(i) for i in ids if i not in companies]
    if missing:
        raise ValidationError(
            {"COMPANY_ID": _("No companies %(ids)s.") % {"ids": ", ".join(missing)}}
        )
    for company in Company.objects.filter(pk__in=current - set(ids)):
        contact_unlink_company(actor=ctx.user, contact=contact, company=company)
    has_primary = any(primary for _n, primary in wanted)
    for position, (number, primary) in enumerate(wanted):
        if number not in current:
            contact_link_company(
                actor=ctx.user,
                contact=contact,
                company=companies[number],
                is_primary=primary or (not has_primary and position == 0 and not current),
            )


@method("crm.contact.company.items.get", scope="crm", family=CLASSIC)
def contact_companies_get(ctx, params):
    contact = load(ctx, E.KINDS[E.CONTACT], object_id(params))
    links = sorted(contact.company_links.all(), key=lambda link: (not link.is_primary, link.pk))
    return [
        _link_row("COMPANY_ID", link.company_id, i, link.is_primary) for i, link in enumerate(links)
    ]


@method("crm.contact.company.items.set", scope="crm", family=CLASSIC)
def contact_companies_set(ctx, params):
    contact = load(ctx, E.KINDS[E.CONTACT], object_id(params))
    _set_contact_companies(ctx, contact, _items(params, "COMPANY_ID"))
    return True


@method("crm.contact.company.items.delete", scope="crm", family=CLASSIC)
def contact_companies_delete(ctx, params):
    contact = load(ctx, E.KINDS[E.CONTACT], object_id(params))
    _set_contact_companies(ctx, contact, [])
    return True


@method("crm.company.contact.items.get", scope="crm", family=CLASSIC)
def company_contacts_get(ctx, params):
    company = load(ctx, E.KINDS[E.COMPANY], object_id(params))
    links = company.contact_links.order_by("pk")
    return [
        _link_row("CONTACT_ID", link.contact_id, i, link.is_primary) for i, link in enumerate(links)
    ]


@method("crm.company.contact.items.set", scope="crm", family=CLASSIC)
def company_contacts_set(ctx, params):
    company = load(ctx, E.KINDS[E.COMPANY], object_id(params))
    wanted = [number for number, _primary in _items(params, "CONTACT_ID")]
    current = set(company.contact_links.values_list("contact_id", flat=True))
    contacts = {c.pk: c for c in Contact.objects.filter(pk__in=set(wanted) | current)}
    missing = [str(i) for i in wanted if i not in contacts]
    if missing:
        raise ValidationError(
            {"CONTACT_ID": _("No contacts %(ids)s.") % {"ids": ", ".join(missing)}}
        )
    for number in current - set(wanted):
        contact_unlink_company(actor=ctx.user, contact=contacts[number], company=company)
    for number in wanted:
        if number not in current:
            contact_link_company(actor=ctx.user, contact=contacts[number], company=company)
    return True


@method("crm.company.contact.items.delete", scope="crm", family=CLASSIC)
def company_contacts_delete(ctx, params):
    company = load(ctx, E.KINDS[E.COMPANY], object_id(params))
    for link in company.contact_links.select_related("contact"):
        contact_unlink_company(actor=ctx.user, contact=link.contact, company=company)
    return True
