"""Families: contacts living at one address grouped into a company of type "Family".

``address_key`` (see ``voronka.contacts.addresses``) is a derived column kept in sync here
when a contact is created or its address changes; the suggestions page groups contacts by it.
With the setting "every contact belongs to a company" a contact without a company gets a
family of its own (``family_of_one``).
"""

from collections.abc import Iterable, Iterator

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.access.services import audit_record
from voronka.contacts.addresses import address_key
from voronka.contacts.models import (
    ClientSettings,
    Company,
    CompanyType,
    Contact,
    ContactCompany,
    DuplicateGroup,
)
from voronka.contacts.services.companies import company_create
from voronka.contacts.services.contacts import contact_link_company

# Dismissed suggestions are kept as dismissed duplicate groups of contacts under this rule.
FAMILY_RULE = "address"

# Surname endings and their genitive plural: «Иванов», «Иванова» → «Ивановых».
_PLURAL_ENDINGS = (
    ("ская", "ских"),
    ("цкая", "цких"),
    ("ский", "ских"),
    ("цкий", "цких"),
    ("ова", "овых"),
    ("ева", "евых"),
    ("ёва", "ёвых"),
    ("ина", "иных"),
    ("ына", "ыных"),
    ("ов", "овых"),
    ("ев", "евых"),
    ("ёв", "ёвых"),
    ("ин", "иных"),
    ("ын", "ыных"),
    ("ая", "ых"),
    ("ой", "ых"),
    ("ый", "ых"),
    ("ий", "их"),
)


def surname_plural(last_name: str) -> str:
    """«Иванов» → «Ивановых», «Петрова» → «Петровых», «Ким» → «Ким» (unchanged)."""
    name = (last_name or "").strip()
    lower = name.lower()
    for ending, plural in _PLURAL_ENDINGS:
        if lower.endswith(ending) and len(lower) > len(ending) + 1:
            return name[: -len(ending)] + plural
    return name


def family_title(contacts: Iterable[Contact]) -> str:
    """«Семья Ивановых» after the most common last name of ``contacts``."""
    counts: dict[str, int] = {}
    for contact in contacts:
        if contact.last_name:
            counts[contact.last_name] = counts.get(contact.last_name, 0) + 1
    if not counts:
        return _("Family")
    last_name = max(counts, key=lambda name: (counts[name], -len(name)))
    return _("%(surname)s family") % {"surname": surname_plural(last_name)}


# ---- The derived key ----------------------------------------------------------------------------


def contact_address_keys_sync(*, contact_ids: Iterable[int]) -> int:
    """Recompute ``address_key`` of these contacts; writes only the ones that change (one read,
    one UPDATE per changed contact)."""
    changed = []
    for pk, address, key in Contact.all_objects.filter(pk__in=list(contact_ids)).values_list(
        "pk", "address", "address_key"
    ):
        new_key = address_key(address)
        if new_key != key:
            changed.append(Contact(pk=pk, address_key=new_key))
    if changed:
        Contact.all_objects.bulk_update(changed, ["address_key"])
    return len(changed)


def contact_address_keys_sync_all(*, chunk: int = 2000) -> int:
    """Fill ``address_key`` of every contact (existing data); how many changed."""
    ids = Contact.all_objects.exclude(address="", address_key="").values_list("pk", flat=True)
    changed = 0
    batch: list[int] = []
    for pk in ids.order_by("pk").iterator(chunk_size=chunk):
        batch.append(pk)
        if len(batch) == chunk:
            changed += contact_address_keys_sync(contact_ids=batch)
            batch = []
    if batch:
        changed += contact_address_keys_sync(contact_ids=batch)
    return changed


# ---- Families ---------------------------------------------------------------------------------


def _check_family(company: Company) -> None:
    if company.company_type != CompanyType.FAMILY:
        raise ValidationError(
            {"company": _("“%(company)s” is not a family.") % {"company": company}}
        )


def family_add(*, actor, company: Company, contacts: Iterable[Contact]) -> Company:
    """Link ``contacts`` to the family ``company``; a contact with no primary company gets
    this one as primary. The actor needs the rights of linking (see ``contact_link_company``)."""
    _check_family(company)
    with transaction.atomic():
        for contact in contacts:
            contact_link_company(actor=actor, contact=contact, company=company)
    return company


def family_create(*, actor, contacts: list[Contact], title: str = "", responsible=None) -> Company:
    """A new family company (named ``title`` or «Семья Ивановых» after the contacts' last
    name), responsible ``responsible`` (the actor by default), with ``contacts`` linked to it.
    Needs the right to add companies; every problem comes back as a ValidationError and
    nothing is written then."""
    if not contacts:
        raise ValidationError({"contacts": _("Choose the family members.")})
    data = {
        "company_type": CompanyType.FAMILY,
        "title": (title or "").strip()[:255] or family_title(contacts),
    }
    if responsible is not None:
        data["responsible"] = responsible
    with transaction.atomic():
        company = company_create(actor=actor, data=data)
        family_add(actor=actor, company=company, contacts=contacts)
    return company


def family_of_one(*, actor, contact: Contact) -> Company:
    """A family company for a single contact (the setting "every contact belongs to a
    company"), named after its last name, with the same responsible, the contact linked to it
    as primary."""
    return family_create(actor=actor, contacts=[contact], responsible=contact.responsible)


def contact_has_company(contact: Contact) -> bool:
    return ContactCompany.objects.filter(contact=contact, company__deleted_at__isnull=True).exists()


def family_of_one_if_required(*, actor, contact: Contact) -> Company | None:
    """Called when a contact is created: with "every contact belongs to a company" on, a
    contact created without a company gets a family of its own. Returns it, or None.

    The setting, not the employee, creates the family: it needs no right to add companies
    (``actor`` is only who the contact was created by)."""
    if not ClientSettings.load().require_company or contact_has_company(contact):
        return None
    return family_of_one(actor=None, contact=contact)


def contacts_without_company() -> "Iterator[Contact]":
    alive_links = ContactCompany.objects.filter(
        contact=OuterRef("pk"), company__deleted_at__isnull=True
    )
    return Contact.objects.filter(~Exists(alive_links)).order_by("pk").iterator(chunk_size=500)


def families_for_contacts_without_company(*, actor, request=None) -> tuple[int, int]:
    """Give a family of its own to every contact without a company (the setting applied to
    existing data). A contact the actor may not link is skipped. Returns (created, skipped);
    the run is audited."""
    created = skipped = 0
    for contact in contacts_without_company():
        try:
            with transaction.atomic():
                family_of_one(actor=actor, contact=contact)
        except (PermissionDenied, ValidationError):
            skipped += 1
        else:
            created += 1
    audit_record(
        action="contacts.families_of_one",
        actor=actor,
        request=request,
        object_type="contacts.company",
        object_repr=_("Families for contacts without a company"),
        details={"created": created, "skipped": skipped},
    )
    return created, skipped


# ---- Suggestions ----------------------------------------------------------------------------


def family_suggestion_dismiss(*, actor, key: str, contact_ids: Iterable[int]) -> None:
    """Hide the suggestion of the contacts at ``key`` ("not a family")."""
    key = (key or "").strip()[:500]
    if not key:
        raise ValidationError({"key": _("Choose a suggestion.")})
    DuplicateGroup.objects.update_or_create(
        card_type=ContentType.objects.get_for_model(Contact),
        rule=FAMILY_RULE,
        key=key,
        defaults={
            "card_ids": sorted(set(contact_ids)),
            "size": len(set(contact_ids)),
            "dismissed_at": timezone.now(),
            "dismissed_by": actor,
        },
    )
