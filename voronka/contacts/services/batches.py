"""Creating many contacts at once (file imports): the rules of ``contact_create`` with the
writes of a whole batch in a few INSERTs.

Each item is validated exactly as ``contact_create`` validates one contact — editable keys,
values, rights (``ADD`` on the contact as it is about to be saved, read-only fields, the
linked companies visible), active responsible and source, custom fields, communications,
the name — and a bad item is reported alone while the good ones are written: the contacts,
their communications and company links, the "created" history entries on the contacts and
the linked companies, and one ``ContactCreated`` event per contact.
"""

from dataclasses import asdict, dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.access.models import Action, Entity
from voronka.access.predicates import require, unchanged_fields_only
from voronka.contacts.events import ContactCreated
from voronka.contacts.models import Communication, Company, Contact, ContactCompany
from voronka.contacts.services.common import given_codes
from voronka.contacts.services.communications import communications_clean
from voronka.contacts.services.contacts import (
    CONTACT_EDITABLE_FIELDS,
    _check_name,
    _clean_company_links,
)
from voronka.core.changes import FieldChange, apply_changes
from voronka.core.events import publish
from voronka.core.inputs import check_active, check_editable, merge_errors, prepare_values
from voronka.core.normalization import person_name_key
from voronka.customization.models import CustomField, EntityType
from voronka.customization.validation import clean_custom_fields, definitions_for
from voronka.timeline.models import EntryKind, TimelineEntry

# Relations the batch receives as loaded objects (checked by ``check_active`` and the rights
# check); ``full_clean`` would read each of them again per contact. An empty one is still
# validated, for the same message as ``contact_create``.
_LOADED_RELATIONS = ["responsible", "created_by", "source"]


@dataclass
class ContactInput:
    """One contact to create: the arguments of ``contact_create``."""

    data: dict[str, Any]
    communications: list[dict[str, Any]] = field(default_factory=list)
    company_links: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Prepared:
    contact: Contact
    communications: list[Communication]
    links: list[ContactCompany]


def _prepare(
    actor, item: ContactInput, definitions: dict[str, CustomField]
) -> _Prepared | Exception:
    """The unsaved contact and rows for ``item``, or the ValidationError / PermissionDenied
    ``contact_create`` would raise for it."""
    try:
        check_editable(item.data, CONTACT_EDITABLE_FIELDS)
        errors: dict[str, list[str]] = {}
        values = prepare_values(Contact, item.data, errors)
        contact = Contact(created_by=actor)
        apply_changes(contact, values)
        if contact.responsible_id is None and actor is not None:
            contact.responsible = actor
        require(actor, Action.ADD, contact)
        unchanged_fields_only(
            actor,
            Entity.CONTACT,
            given_codes(
                actor, item.data, communications=item.communications, companies=item.company_links
            ),
        )
        check_active(contact, {"responsible", "source"}, errors)
        try:
            contact.custom_fields = clean_custom_fields(
                EntityType.CONTACT, item.data.get("custom_fields") or {}, definitions=definitions
            )
        except ValidationError as error:
            merge_errors(errors, error)
        communications: list[Communication] = []
        try:
            communications = communications_clean(item.communications or [])
        except ValidationError as error:
            merge_errors(errors, error)
        links = _clean_company_links(item.company_links, errors)
        for link in links:
            require(actor, Action.READ, link.company)
        loaded = [name for name in _LOADED_RELATIONS if getattr(contact, f"{name}_id", 1)]
        try:
            contact.full_clean(exclude=["custom_fields", *loaded, *errors], validate_unique=False)
        except ValidationError as error:
            merge_errors(errors, error)
        _check_name(contact, errors)
        if errors:
            raise ValidationError(errors)
    except (ValidationError, PermissionDenied) as error:
        return error
    contact.name_key = person_name_key(contact.last_name, contact.first_name, contact.middle_name)[
        :500
    ]
    return _Prepared(contact, communications, links)


def contacts_create_many(*, actor, items: list[ContactInput]) -> list[Contact | Exception]:
    """Create the contacts of ``items`` in one transaction; the result has, for each item in
    order, the new contact or the ValidationError / PermissionDenied that refused it.

    The rules are those of ``contact_create`` (the responsible defaults to ``actor``); what
    differs is only how the rows are written: a few bulk INSERTs for the whole batch."""
    definitions = definitions_for(EntityType.CONTACT)
    results: list[Contact | Exception] = []
    prepared: list[_Prepared] = []
    for item in items:
        outcome = _prepare(actor, item, definitions)
        if isinstance(outcome, Exception):
            results.append(outcome)
        else:
            prepared.append(outcome)
            results.append(outcome.contact)
    if not prepared:
        return results
    with transaction.atomic():
        now = timezone.now()
        contacts = [entry.contact for entry in prepared]
        for contact in contacts:
            contact.created_at = contact.updated_at = now
        Contact.objects.bulk_create(contacts)
        contact_type = ContentType.objects.get_for_model(Contact)
        company_type = ContentType.objects.get_for_model(Company)
        rows: list[Communication] = []
        links: list[ContactCompany] = []
        entries: list[TimelineEntry] = []
        for entry in prepared:
            contact = entry.contact
            for row in entry.communications:
                row.card_type = contact_type
                row.card_id = contact.pk
                rows.append(row)
            entries.append(
                TimelineEntry(
                    card_type=contact_type,
                    card_id=contact.pk,
                    kind=EntryKind.CREATED,
                    author=actor,
                    created_at=now,
                    payload={},
                )
            )
            for link in entry.links:
                link.contact = contact
                links.append(link)
                name = contact.full_name or str(contact)
                change = FieldChange(field="contacts", label=str(_("Contacts")), old=None, new=name)
                entries.append(
                    TimelineEntry(
                        card_type=company_type,
                        card_id=link.company.pk,
                        kind=EntryKind.FIELD_CHANGED,
                        author=actor,
                        created_at=now,
                        payload=asdict(change),
                    )
                )
        Communication.objects.bulk_create(rows)
        ContactCompany.objects.bulk_create(links)
        TimelineEntry.objects.bulk_create(entries)
        actor_id = getattr(actor, "pk", None)
        for contact in contacts:
            publish(ContactCreated(actor_id=actor_id, contact_id=contact.pk))
    return results
