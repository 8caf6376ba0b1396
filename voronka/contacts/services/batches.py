"""Creating many contacts at once (file imports): the rules of ``contact_create`` with the
writes of a whole batch in a few INSERTs.

Each item is validated exactly as ``contact_create`` validates one contact — editable keys,
values, rights (``ADD`` on the contact as it is about to be saved, read-only fields, the
linked companies visible), active responsible and source, custom fields, communications,
the name — and a bad item is reported alone while the good ones are written: the contacts,
their communications and company links, the "created" history entries on the contacts and
the linked companies, the duplicate policy (a blocked item is refused, a warned one created
and recorded), and one ``ContactCreated`` event per contact.
"""

from dataclasses import asdict, dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.access.models import Action, Entity
from voronka.access.predicates import require, unchanged_fields_only
from voronka.contacts.duplicates import OnDuplicate, check_duplicates, record_duplicates
from voronka.contacts.duplicates.cards import card_data
from voronka.contacts.duplicates.finder import model_of
from voronka.contacts.duplicates.policy import policy_for
from voronka.contacts.events import ContactCreated
from voronka.contacts.models import (
    Communication,
    CommunicationKind,
    Company,
    Contact,
    ContactCompany,
    DuplicateMode,
)
from voronka.contacts.services.common import given_codes
from voronka.contacts.services.communications import communications_clean
from voronka.contacts.services.contacts import (
    CONTACT_EDITABLE_FIELDS,
    _check_name,
    _clean_company_links,
)
from voronka.core.changes import FieldChange
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
    matches: list = field(default_factory=list)


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
        # ``apply_changes`` without the history display values a new card does not record.
        for name, value in values.items():
            setattr(contact, name, value)
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


def _identifier_keys(communications: list[Communication]) -> set[tuple[str, str]]:
    return {
        (row.kind, row.value_normalized)
        for row in communications
        if row.kind in (CommunicationKind.PHONE, CommunicationKind.EMAIL)
    }


def _stored_keys(keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of ``keys`` some contact or lead already holds: one read of the communications
    index (the cards a new contact is compared with; see ``find_duplicates``)."""
    if not keys:
        return set()
    condition = Q()
    for kind in (CommunicationKind.PHONE, CommunicationKind.EMAIL):
        values = sorted(value for key_kind, value in keys if key_kind == kind)
        if values:
            condition |= Q(kind=kind, value_normalized__in=values)
    types = [
        ContentType.objects.get_for_model(model_of(entity)).pk for entity in ("contact", "lead")
    ]
    return set(
        Communication.objects.filter(condition, card_type_id__in=types).values_list(
            "kind", "value_normalized"
        )
    )


def _write(actor, prepared: list[_Prepared]) -> None:
    """Save the contacts of ``prepared`` and everything that comes with them."""
    if not prepared:
        return
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
    for entry in prepared:
        record_duplicates(actor=actor, card=entry.contact, matches=entry.matches, created=True)
    actor_id = getattr(actor, "pk", None)
    for contact in contacts:
        publish(ContactCreated(actor_id=actor_id, contact_id=contact.pk))


def contacts_create_many(
    *, actor, items: list[ContactInput], on_duplicate: OnDuplicate = "record"
) -> list[Contact | Exception]:
    """Create the contacts of ``items`` in one transaction; the result has, for each item in
    order, the new contact or the ValidationError / PermissionDenied that refused it.

    The rules are those of ``contact_create`` (the responsible defaults to ``actor``; the
    contact policy of duplicates applies as ``on_duplicate`` says); what differs is only how
    the work is done. The phones and e-mails of the whole batch are looked up at once, and
    only an item sharing one with a stored card or an earlier item goes through
    ``check_duplicates`` — after the items before it are written, so it is compared with
    them exactly as if they had been created one by one."""
    definitions = definitions_for(EntityType.CONTACT)
    results: list[Contact | Exception] = []
    prepared: list[tuple[int, _Prepared]] = []
    for item in items:
        outcome = _prepare(actor, item, definitions)
        results.append(outcome if isinstance(outcome, Exception) else outcome.contact)
        if not isinstance(outcome, Exception):
            prepared.append((len(results) - 1, outcome))
    if not prepared:
        return results
    checked = policy_for("contact").mode != DuplicateMode.ALLOW
    keys = {index: _identifier_keys(entry.communications) for index, entry in prepared}
    with transaction.atomic():
        stored = _stored_keys(set().union(*keys.values())) if checked else set()
        pending: list[_Prepared] = []
        pending_keys: set[tuple[str, str]] = set()
        for index, entry in prepared:
            if checked and keys[index] & (stored | pending_keys):
                if keys[index] & pending_keys:
                    _write(actor, pending)
                    stored |= pending_keys
                    pending, pending_keys = [], set()
                try:
                    entry.matches = check_duplicates(
                        "contact",
                        card_data(entry.contact, items[index].communications or []),
                        actor=actor,
                        on_duplicate=on_duplicate,
                    )
                except ValidationError as error:
                    results[index] = error
                    continue
            pending.append(entry)
            pending_keys |= keys[index]
        _write(actor, pending)
    return results
