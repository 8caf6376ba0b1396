"""Lists and searches of contacts and companies with a fixed number of queries per page."""

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Prefetch, Q

from voronka.access.models import Action
from voronka.access.predicates import ENTITIES, entity_of, visible_to
from voronka.contacts.models import (
    Communication,
    CommunicationKind,
    Company,
    Contact,
    ContactCompany,
)
from voronka.contacts.services.communications import normalize_communication
from voronka.core.lists import prefetched
from voronka.core.normalization import digits_only, format_phone
from voronka.customization.models import CustomField


def _text_filter(term: str, fields: tuple[str, ...]) -> Q:
    # One spelling is enough on both databases: SQLite's LIKE is replaced with a Unicode-aware
    # one (voronka.core.sqlite), PostgreSQL's ILIKE folds Cyrillic itself.
    condition = Q()
    for field in fields:
        condition |= Q(**{f"{field}__icontains": term})
    return condition


def _communication_filter(term: str, model: type[models.Model]) -> Q | None:
    """Cards whose phone or e-mail equals the searched one, whatever its spelling: a lookup
    in the (kind, normalised value) index; None when ``term`` is neither."""
    candidates = Q()
    found = False
    for kind in (CommunicationKind.PHONE, CommunicationKind.EMAIL):
        normalized = normalize_communication(kind, term)
        if normalized:
            candidates |= Q(kind=kind, value_normalized=normalized)
            found = True
    if not found:
        return None
    card_ids = Communication.objects.filter(
        candidates, card_type=ContentType.objects.get_for_model(model)
    ).values("card_id")
    return Q(pk__in=card_ids)


def _inn_prefix(digits: str) -> Q:
    """INNs starting with ``digits`` as a range, so the INN index answers it (a LIKE pattern
    cannot use an index on SQLite, where LIKE is a Python function)."""
    following = digits[:-1] + chr(ord(digits[-1]) + 1)
    return Q(inn__gte=digits, inn__lt=following)


def contact_search(term: str) -> Q:
    """Contacts whose phone / e-mail equals ``term`` (any spelling), or whose name contains it.

    A term that is a phone number or an e-mail address is answered from the communications
    index alone: scanning a million names for "+7 912 …" would find nothing more.
    """
    by_communication = _communication_filter(term, Contact)
    if by_communication is not None:
        return by_communication
    return _text_filter(term, ("last_name", "first_name", "middle_name"))


def company_search(term: str) -> Q:
    """Companies whose INN starts with ``term``, whose phone / e-mail equals it (any
    spelling), or whose title contains it.

    A full INN (10 or 12 digits), a phone or an e-mail is answered from indexes alone; the
    title is scanned only for words and short numbers.
    """
    condition = Q()
    digits = digits_only(term)
    all_digits = bool(digits) and len(digits) == len(term.replace(" ", ""))
    if all_digits and len(digits) >= 4:
        condition |= _inn_prefix(digits)
    by_communication = _communication_filter(term, Company)
    if by_communication is not None:
        condition |= by_communication
    if (all_digits and len(digits) >= 10) or (by_communication is not None and not all_digits):
        return condition
    return condition | _text_filter(term, ("title",))


def visible_companies(*, user, action: str = Action.READ) -> models.QuerySet[Company]:
    """Companies (not in the recycle bin) the user may ``action``; a subquery for links."""
    return visible_to(user, Company.objects.all(), action=action)


def visible_contacts(*, user, action: str = Action.READ) -> models.QuerySet[Contact]:
    """Contacts (not in the recycle bin) the user may ``action``; a subquery for links."""
    return visible_to(user, Contact.objects.all(), action=action)


def contact_list(*, user, search: str | None = None) -> models.QuerySet[Contact]:
    """Contacts (not in the recycle bin) the user may see, with responsible, source,
    communications and primary company (when the user may see it too): three queries for a
    page of any size.

    ``search`` matches names (a fragment) or a phone / e-mail (exactly, in any spelling).
    """
    queryset = visible_contacts(user=user)
    queryset = queryset.select_related("responsible", "source").prefetch_related(
        "communications",
        Prefetch(
            "company_links",
            queryset=ContactCompany.objects.filter(
                is_primary=True, company__in=visible_companies(user=user)
            ).select_related("company"),
            to_attr="primary_company_links",
        ),
    )
    term = (search or "").strip()
    if term:
        queryset = queryset.filter(contact_search(term))
    return queryset


def company_list(*, user, search: str | None = None) -> models.QuerySet[Company]:
    """Companies (not in the recycle bin) the user may see, with responsible, source and
    communications: two queries for a page of any size.

    ``search`` matches the title (a fragment), the INN (from its start) or a phone / e-mail
    (exactly).
    """
    queryset = visible_companies(user=user)
    queryset = queryset.select_related("responsible", "source").prefetch_related("communications")
    term = (search or "").strip()
    if term:
        queryset = queryset.filter(company_search(term))
    return queryset


def contacts_by_ids(*, user, ids: list[int], action: str = Action.READ) -> list[Contact]:
    """The contacts (not in the recycle bin) among ``ids`` the user may ``action``, for a bulk
    action; one query."""
    queryset = visible_contacts(user=user, action=action).filter(pk__in=ids)
    return list(queryset.order_by("last_name", "first_name", "pk"))


def companies_by_ids(*, user, ids: list[int], action: str = Action.READ) -> list[Company]:
    """The companies (not in the recycle bin) among ``ids`` the user may ``action``, for a
    bulk action; one query."""
    queryset = visible_companies(user=user, action=action).filter(pk__in=ids)
    return list(queryset.order_by("title", "pk"))


def responsible_options(*, user, search: str = "", limit: int = 20) -> list:
    """Active employees whose name or login contains ``search``, for a typeahead: at most
    ``limit`` of them, the acting employee first when they match."""
    queryset = get_user_model().objects.filter(is_active=True)
    term = (search or "").strip()
    if term:
        queryset = queryset.filter(_text_filter(term, ("last_name", "first_name", "username")))
    people = list(queryset.order_by("last_name", "first_name", "pk")[:limit])
    people.sort(key=lambda person: person.pk != getattr(user, "pk", None))
    return people


SYSTEM = object()


def cards_by_communication(kind: str, value: str, *, user=SYSTEM) -> list[models.Model]:
    """Cards (contacts, companies, leads — not in the recycle bin) with this phone, e-mail,
    website or messenger, matched on the normalised value so any spelling finds them.

    Callers serving a person pass ``user``: only the cards that person may see come back.
    Without it (the system: duplicate checks, imports) every card does.
    One query for the matches plus one per kind of card found.
    """
    normalized = normalize_communication(kind, value)
    if normalized is None:
        return []
    pairs = Communication.objects.filter(kind=kind, value_normalized=normalized).values_list(
        "card_type_id", "card_id"
    )
    ids_by_type: dict[int, list[int]] = {}
    for card_type_id, card_id in pairs:
        ids_by_type.setdefault(card_type_id, []).append(card_id)
    cards: list[models.Model] = []
    for card_type_id, ids in ids_by_type.items():
        model = ContentType.objects.get_for_id(card_type_id).model_class()
        if model is None:
            continue
        queryset = model._default_manager.filter(pk__in=ids)
        if user is not SYSTEM and _has_access_rule(model):
            queryset = visible_to(user, queryset)
        elif user is not SYSTEM:
            continue
        cards.extend(queryset.order_by("pk"))
    return cards


def _has_access_rule(model: type[models.Model]) -> bool:
    try:
        return entity_of(model) in ENTITIES
    except LookupError:
        return False


def employee_by_id(*, user, pk) -> "models.Model | None":
    """An active employee by id (a bulk assign's target), or None for anything else."""
    try:
        number = int(pk)
    except (TypeError, ValueError):
        return None
    return get_user_model().objects.filter(pk=number, is_active=True).first()


def custom_field_definitions(entity: str) -> list[CustomField]:
    """The active custom fields of an entity in their order (list columns and filters)."""
    return list(CustomField.objects.filter(entity=entity, is_active=True).order_by("sort", "pk"))


def communication_values(card, kind: str) -> list[str]:
    """The card's phones (in the international form) or e-mails, from its prefetched
    communications, for a list row or an export."""
    values = []
    for item in prefetched(card, "communications"):
        if item.kind != kind:
            continue
        if kind == CommunicationKind.PHONE and item.value_normalized:
            values.append(format_phone(item.value_normalized))
        else:
            values.append(item.value)
    return values
