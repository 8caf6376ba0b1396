"""What a saved card is compared by, and which of it a change makes worth checking again."""

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from voronka.contacts.duplicates.finder import entity_of_card, identifiers_of
from voronka.contacts.models import Communication, CommunicationKind, DuplicateEntity

NAME_FIELDS = ("last_name", "first_name", "middle_name")
_FIELDS = {
    DuplicateEntity.LEAD: (*NAME_FIELDS, "company_title"),
    DuplicateEntity.CONTACT: NAME_FIELDS,
    DuplicateEntity.COMPANY: ("title", "inn", "kpp"),
}
IDENTIFIER_FIELDS = frozenset(field for fields in _FIELDS.values() for field in fields)


def stored_communications(card: models.Model) -> list[dict[str, str]]:
    """The card's phones and e-mails as saved: one query."""
    rows = Communication.objects.filter(
        card_type=ContentType.objects.get_for_model(card),
        card_id=card.pk,
        kind__in=[CommunicationKind.PHONE, CommunicationKind.EMAIL],
    ).values("kind", "value")
    return list(rows)


def card_data(card: models.Model, communications: list | None = None) -> dict[str, Any]:
    """``find_duplicates`` data of a lead, contact or company instance; its stored phones and
    e-mails are read (one query) unless ``communications`` is given."""
    entity = entity_of_card(card)
    data: dict[str, Any] = {name: getattr(card, name) or "" for name in _FIELDS[entity]}
    if communications is None:
        communications = stored_communications(card) if card.pk else []
    data["communications"] = communications
    return data


def data_to_recheck(entity: str, before: dict[str, Any], after: dict[str, Any]) -> dict | None:
    """What of ``after`` a change from ``before`` adds, in ``find_duplicates`` form; None when
    no identifier changed. Only new phones, e-mails and requisites are compared (a card is not
    warned again about what it already held); a new name goes with all its phones."""
    old = identifiers_of(entity, before)
    new = identifiers_of(entity, after)
    data: dict[str, Any] = {
        "phones": sorted(new.phones - old.phones),
        "emails": sorted(new.emails - old.emails),
    }
    name_changed = new.person_key != old.person_key
    person_phones = new.phones if name_changed else new.phones - old.phones
    if new.person_key and person_phones:
        data.update({name: after.get(name, "") for name in NAME_FIELDS})
        data["person_phones"] = sorted(person_phones)
    if new.name_key and new.name_key != old.name_key:
        key = "title" if entity == DuplicateEntity.COMPANY else "company_title"
        data[key] = after.get(key, "")
    if entity == DuplicateEntity.COMPANY and new.inn and (new.inn, new.kpp) != (old.inn, old.kpp):
        data.update(inn=new.inn, kpp=new.kpp)
    checked = ("phones", "emails", "person_phones", "title", "company_title", "inn")
    if not any(data.get(key) for key in checked):
        return None
    return data
