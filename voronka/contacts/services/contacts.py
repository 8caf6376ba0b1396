"""Writes for contacts: create, edit, links to companies, the recycle bin."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from voronka.access.models import Action, Entity
from voronka.access.predicates import can, require, unchanged_fields_only
from voronka.contacts.duplicates import OnDuplicate, check_duplicates, record_duplicates
from voronka.contacts.duplicates.cards import NAME_FIELDS, card_data, data_to_recheck
from voronka.contacts.events import (
    ContactCreated,
    ContactDeleted,
    ContactRestored,
    ContactUpdated,
)
from voronka.contacts.models import Company, Contact, ContactCompany
from voronka.contacts.services.common import changed_codes, given_codes
from voronka.contacts.services.communications import communications_clean, communications_set
from voronka.core.changes import FieldChange, apply_changes
from voronka.core.concurrency import lock_alive_card, save_new_version
from voronka.core.events import publish
from voronka.core.inputs import (
    check_active,
    check_editable,
    merge_errors,
    model_errors,
    prepare_values,
)
from voronka.core.normalization import person_name_key
from voronka.customization.models import EntityType
from voronka.customization.validation import (
    apply_custom_fields,
    clean_custom_fields,
)
from voronka.timeline.services import (
    card_soft_delete,
    card_soft_restore,
    record_created,
    record_field_changes,
)

CONTACT_EDITABLE_FIELDS = frozenset(
    {
        "last_name",
        "first_name",
        "middle_name",
        "honorific",
        "birthday",
        "position",
        "address",
        "source",
        "source_id",
        "source_description",
        "responsible",
        "responsible_id",
        "comment",
        "custom_fields",
    }
)
COMPANY_LINK_KEYS = frozenset({"company", "is_primary", "role"})


def _check_name(contact: Contact, errors: dict[str, list[str]]) -> None:
    if not contact.first_name and not contact.last_name:
        # One clear message instead of Django's generic one on either field.
        errors.pop("first_name", None)
        errors.pop("last_name", None)
        errors["last_name"] = [_("Enter the contact's first name or last name.")]


def _clean_company_links(
    items: list[dict[str, Any]] | None, errors: dict[str, list[str]]
) -> list[ContactCompany]:
    """Unsaved links from ``[{"company", "is_primary", "role"}]``; the first is primary unless
    another one is marked."""
    links: list[ContactCompany] = []
    problems: list[str] = []
    seen: set[int] = set()
    for item in items or []:
        unknown = sorted(set(item) - COMPANY_LINK_KEYS)
        company = item.get("company")
        if unknown:
            problems.append(
                _("Unknown keys of a company link: %(keys)s.") % {"keys": ", ".join(unknown)}
            )
            continue
        if not isinstance(company, Company) or company.pk is None:
            problems.append(_("Choose a company to link."))
            continue
        if company.is_deleted:
            problems.append(
                _("The company “%(company)s” is in the recycle bin.") % {"company": company}
            )
            continue
        if company.pk in seen:
            continue
        seen.add(company.pk)
        links.append(
            ContactCompany(
                company=company,
                is_primary=bool(item.get("is_primary")),
                role=str(item.get("role") or "").strip()[:200],
            )
        )
    if sum(link.is_primary for link in links) > 1:
        problems.append(_("Only one company can be the primary one."))
    if links and not any(link.is_primary for link in links):
        links[0].is_primary = True
    if problems:
        errors["company_links"] = problems
    return links


def _describe_links(links: list[ContactCompany]) -> str | None:
    parts = []
    for link in sorted(links, key=lambda link: (not link.is_primary, link.pk or 0)):
        text = link.company.title
        if link.role:
            text += f" ({link.role})"
        if link.is_primary:
            text += " — " + _("primary")
        parts.append(text)
    return ", ".join(parts) or None


def _record_company_side(*, actor, company: Company, contact: Contact, linked: bool) -> None:
    name = contact.full_name or str(contact)
    record_field_changes(
        actor=actor,
        card=company,
        changes=[
            FieldChange(
                field="contacts",
                label=str(_("Contacts")),
                old=None if linked else name,
                new=name if linked else None,
            )
        ],
    )


def _require_link_rights(actor, contact: Contact, company: Company) -> None:
    """A link changes both cards' lists: the actor sees both and may change one of them."""
    if actor is None:
        return
    require(actor, Action.READ, contact)
    require(actor, Action.READ, company)
    if not (can(actor, Action.UPDATE, contact) or can(actor, Action.UPDATE, company)):
        raise PermissionDenied


def _name_key(contact: Contact) -> str:
    return person_name_key(contact.last_name, contact.first_name, contact.middle_name)[:500]


def _recheck(actor, contact: Contact, names_before, communications, on_duplicate) -> list:
    """The duplicate policy on what an edit adds: new phones or e-mails, a new name."""
    names_after = {name: getattr(contact, name) for name in NAME_FIELDS}
    if communications is None and names_after == names_before:
        return []
    stored = card_data(contact)["communications"]
    before = {**names_before, "communications": stored}
    after = {**names_after, "communications": stored if communications is None else communications}
    data = data_to_recheck("contact", before, after)
    if data is None:
        return []
    return check_duplicates(
        "contact", data, actor=actor, exclude=contact, on_duplicate=on_duplicate
    )


def contact_create(
    *,
    actor,
    data: dict[str, Any],
    communications: list[dict[str, Any]] | None = None,
    company_links: list[dict[str, Any]] | None = None,
    on_duplicate: OnDuplicate = "record",
    exclude_duplicates: Any = None,
) -> Contact:
    """Create a contact with its communications and companies.

    ``data`` holds editable contact fields; the responsible defaults to ``actor``. A contact
    needs a first or a last name. Everything is validated first and every problem is reported in
    one ValidationError; nothing is written unless all of it is right.

    The contact policy of duplicates applies (``check_duplicates``): a block is a
    ValidationError; a warning raises ``DuplicatesFound`` with ``on_duplicate="ask"`` and is
    recorded on the new card with ``"record"``. ``exclude_duplicates`` are cards that do not
    count (the lead a conversion makes the contact from).
    """
    check_editable(data, CONTACT_EDITABLE_FIELDS)
    with transaction.atomic():
        errors: dict[str, list[str]] = {}
        values = prepare_values(Contact, data, errors)
        contact = Contact(created_by=actor)
        apply_changes(contact, values)
        if contact.responsible_id is None and actor is not None:
            contact.responsible = actor
        require(actor, Action.ADD, contact)
        unchanged_fields_only(
            actor,
            Entity.CONTACT,
            given_codes(actor, data, communications=communications, companies=company_links),
        )
        check_active(contact, {"responsible", "source"}, errors)
        try:
            contact.custom_fields = clean_custom_fields(
                EntityType.CONTACT, data.get("custom_fields") or {}
            )
        except ValidationError as error:
            merge_errors(errors, error)
        try:
            communications_clean(communications or [])
        except ValidationError as error:
            merge_errors(errors, error)
        links = _clean_company_links(company_links, errors)
        for link in links:
            # Linking needs the other side to be visible to the creator.
            require(actor, Action.READ, link.company)
        model_errors(contact, errors, exclude=["custom_fields"])
        _check_name(contact, errors)
        if errors:
            raise ValidationError(errors)
        matches = check_duplicates(
            "contact",
            card_data(contact, communications or []),
            actor=actor,
            exclude=exclude_duplicates,
            on_duplicate=on_duplicate,
        )

        contact.name_key = _name_key(contact)
        contact.save()
        communications_set(card=contact, items=communications or [], creating=True)
        for link in links:
            link.contact = contact
        ContactCompany.objects.bulk_create(links)
        record_created(actor=actor, card=contact)
        record_duplicates(actor=actor, card=contact, matches=matches, created=True)
        for link in links:
            _record_company_side(actor=actor, company=link.company, contact=contact, linked=True)
        publish(ContactCreated(actor_id=getattr(actor, "pk", None), contact_id=contact.pk))
        if not links:
            # Imported here: the families service creates companies through this module's
            # neighbours, which import it.
            from voronka.contacts.services.families import family_of_one_if_required

            family_of_one_if_required(actor=actor, contact=contact)
    return contact


def contact_update(
    *,
    actor,
    contact: Contact,
    data: dict[str, Any],
    communications: list[dict[str, Any]] | None = None,
    expected_version: int | None = None,
    on_duplicate: OnDuplicate = "record",
) -> Contact:
    """Change a contact's fields and, when ``communications`` is a list, replace them.

    A stale ``expected_version`` raises ConflictError. Each changed field gets a history row;
    an edit that changes nothing writes nothing and keeps the version. PermissionDenied when
    the actor may not change the contact or one of the changed fields. New phones, e-mails or
    a new name go through the duplicate policy as on ``contact_create`` (the contact itself
    aside).
    """
    check_editable(data, CONTACT_EDITABLE_FIELDS)
    with transaction.atomic():
        contact = lock_alive_card(contact, expected_version)
        require(actor, Action.UPDATE, contact)
        names_before = {name: getattr(contact, name) for name in NAME_FIELDS}
        errors: dict[str, list[str]] = {}
        values = prepare_values(Contact, data, errors)
        changes = apply_changes(contact, values)
        update_fields = [change.field for change in changes]
        check_active(contact, set(update_fields), errors)
        if "custom_fields" in data:
            custom_changes = apply_custom_fields(
                contact, EntityType.CONTACT, data["custom_fields"], errors
            )
            if custom_changes:
                changes += custom_changes
                update_fields.append("custom_fields")
        if communications is not None:
            try:
                communications_clean(communications)
            except ValidationError as error:
                merge_errors(errors, error)
        model_errors(contact, errors, exclude=["custom_fields"])
        _check_name(contact, errors)
        if errors:
            raise ValidationError(errors)
        matches = _recheck(actor, contact, names_before, communications, on_duplicate)
        if contact.name_key != (name_key := _name_key(contact)):
            contact.name_key = name_key
            update_fields.append("name_key")

        if communications is not None:
            changes += communications_set(card=contact, items=communications)
        # Raised inside the transaction: the lists written above roll back with it.
        unchanged_fields_only(actor, Entity.CONTACT, changed_codes(changes))
        if not changes:
            return contact
        save_new_version(contact, update_fields)
        record_field_changes(actor=actor, card=contact, changes=changes)
        record_duplicates(actor=actor, card=contact, matches=matches, created=False)
        publish(
            ContactUpdated(
                actor_id=getattr(actor, "pk", None),
                contact_id=contact.pk,
                fields=tuple(change.field for change in changes),
            )
        )
    return contact


def contact_link_company(
    *, actor, contact: Contact, company: Company, is_primary: bool = False, role: str = ""
) -> ContactCompany:
    """Link a contact to a company (or change the link's role / primary mark).

    The contact's first company becomes its primary one; ``is_primary`` moves the mark here.
    Linking again with ``is_primary=False`` never takes the mark away. The actor must see
    both cards and may change at least one of them (the card they link from).
    """
    with transaction.atomic():
        contact = lock_alive_card(contact)
        _require_link_rights(actor, contact, company)
        if not Company.objects.filter(pk=company.pk).exists():
            raise ValidationError(
                {
                    "company": [
                        _("The company “%(company)s” is in the recycle bin.") % {"company": company}
                    ]
                }
            )
        links = list(contact.company_links.select_related("company"))
        before = _describe_links(links)
        link = next((link for link in links if link.company_id == company.pk), None)
        role = (role or "").strip()[:200]
        make_primary = is_primary or not any(
            other.is_primary for other in links if other.company_id != company.pk
        )
        if make_primary:
            ContactCompany.objects.filter(contact=contact, is_primary=True).exclude(
                company=company
            ).update(is_primary=False)
            for other in links:
                other.is_primary = other.company_id == company.pk
        created = link is None
        if link is None:
            link = ContactCompany.objects.create(
                contact=contact, company=company, is_primary=make_primary, role=role
            )
            links.append(link)
        else:
            link.is_primary = link.is_primary or make_primary
            link.role = role
            link.save(update_fields=["is_primary", "role"])
        after = _describe_links(links)
        if before == after:
            return link
        record_field_changes(
            actor=actor,
            card=contact,
            changes=[
                FieldChange(field="companies", label=str(_("Companies")), old=before, new=after)
            ],
        )
        if created:
            _record_company_side(actor=actor, company=company, contact=contact, linked=True)
        publish(
            ContactUpdated(
                actor_id=getattr(actor, "pk", None), contact_id=contact.pk, fields=("companies",)
            )
        )
    return link


def contact_unlink_company(*, actor, contact: Contact, company: Company) -> None:
    """Remove a contact's link to a company; if it was the primary one, the next is promoted.
    The rights are those of linking."""
    with transaction.atomic():
        contact = lock_alive_card(contact)
        _require_link_rights(actor, contact, company)
        links = list(contact.company_links.select_related("company").order_by("pk"))
        link = next((link for link in links if link.company_id == company.pk), None)
        if link is None:
            return
        before = _describe_links(links)
        link.delete()
        remaining = [other for other in links if other.company_id != company.pk]
        if link.is_primary and remaining:
            remaining[0].is_primary = True
            remaining[0].save(update_fields=["is_primary"])
        record_field_changes(
            actor=actor,
            card=contact,
            changes=[
                FieldChange(
                    field="companies",
                    label=str(_("Companies")),
                    old=before,
                    new=_describe_links(remaining),
                )
            ],
        )
        _record_company_side(actor=actor, company=link.company, contact=contact, linked=False)
        publish(
            ContactUpdated(
                actor_id=getattr(actor, "pk", None), contact_id=contact.pk, fields=("companies",)
            )
        )


def contact_delete(*, actor, contact: Contact) -> Contact:
    """Move a contact to the recycle bin; its links and history stay for a restore."""
    require(actor, Action.DELETE, contact)
    with transaction.atomic():
        contact, changed = card_soft_delete(actor=actor, card=contact)
        if changed:
            publish(ContactDeleted(actor_id=getattr(actor, "pk", None), contact_id=contact.pk))
    return contact


def contact_restore(*, actor, contact: Contact) -> Contact:
    """Bring a contact back from the recycle bin with its links, communications and history."""
    require(actor, Action.DELETE, contact)
    with transaction.atomic():
        contact, changed = card_soft_restore(actor=actor, card=contact)
        if changed:
            publish(ContactRestored(actor_id=getattr(actor, "pk", None), contact_id=contact.pk))
    return contact
