"""One contact or company with everything its card shows, in a fixed number of queries.

Leads and deals are read through the reverse relations the sales app declares; their models
are resolved lazily so this app imports nothing from sales (sales depends on contacts).
"""

from django.apps import apps
from django.db import models
from django.db.models import Prefetch

from voronka.access.models import Action
from voronka.access.predicates import visible_to
from voronka.contacts.models import Company, Contact, ContactCompany
from voronka.contacts.selectors.lists import (
    company_list,
    contact_list,
    visible_companies,
    visible_contacts,
)
from voronka.customization.models import CustomField, EntityType, Source
from voronka.staff.models import User

PICKER_LIMIT = 10
# A card shows the newest related cards only; a client with thousands of deals must not make
# its card slow (the prefetches are sliced per card with a window function).
RELATED_LIMIT = 50
LINKED_LIMIT = 200


def _lead_model() -> type[models.Model]:
    return apps.get_model("sales", "Lead")


def _deal_model() -> type[models.Model]:
    return apps.get_model("sales", "Deal")


def _related_cards(user, model: type[models.Model], *related: str) -> models.QuerySet:
    """The newest alive leads or deals the user may see, with what their rows show (stage,
    pipeline): the lead and deal rules apply on a contact's or company's card too."""
    queryset = visible_to(user, model._default_manager.all()).select_related("stage", *related)
    return queryset.order_by("-created_at", "-pk")[:RELATED_LIMIT]


def contact_card_queryset(*, user) -> models.QuerySet[Contact]:
    """Contacts not in the recycle bin that the user may see, with everything the card shows
    prefetched (linked companies, leads and deals only as far as the user may see them)."""
    queryset = visible_contacts(user=user)
    return queryset.select_related("responsible", "source", "created_by").prefetch_related(
        "communications",
        Prefetch(
            "company_links",
            queryset=ContactCompany.objects.filter(company__in=visible_companies(user=user))
            .select_related("company")
            .order_by("-is_primary", "company__title", "pk")[:LINKED_LIMIT],
            to_attr="alive_company_links",
        ),
        Prefetch("leads", queryset=_related_cards(user, _lead_model()), to_attr="alive_leads"),
        Prefetch(
            "deals",
            queryset=_related_cards(user, _deal_model(), "pipeline"),
            to_attr="alive_deals",
        ),
    )


def contact_for_card(*, user, pk: int) -> Contact:
    """The contact with its card's relations; Contact.DoesNotExist when missing, deleted or
    hidden from the user."""
    return contact_card_queryset(user=user).get(pk=pk)


def company_card_queryset(*, user, bank_accounts: bool = True) -> models.QuerySet[Company]:
    """Companies not in the recycle bin that the user may see, with everything the card shows
    prefetched (linked contacts, leads and deals only as far as the user may see them; bank
    accounts only when ``bank_accounts``)."""
    queryset = visible_companies(user=user)
    lists = ["communications", "addresses", *(["bank_accounts"] if bank_accounts else [])]
    return queryset.select_related("responsible", "source", "created_by").prefetch_related(
        *lists,
        Prefetch(
            "contact_links",
            queryset=ContactCompany.objects.filter(contact__in=visible_contacts(user=user))
            .select_related("contact")
            .prefetch_related("contact__communications")
            .order_by("contact__last_name", "contact__first_name", "pk")[:LINKED_LIMIT],
            to_attr="alive_contact_links",
        ),
        Prefetch("leads", queryset=_related_cards(user, _lead_model()), to_attr="alive_leads"),
        Prefetch(
            "deals",
            queryset=_related_cards(user, _deal_model(), "pipeline"),
            to_attr="alive_deals",
        ),
    )


def company_for_card(*, user, pk: int, bank_accounts: bool = True) -> Company:
    """The company with its card's relations; Company.DoesNotExist when missing, deleted or
    hidden from the user."""
    return company_card_queryset(user=user, bank_accounts=bank_accounts).get(pk=pk)


def contact_for_edit(*, user, pk: int, action: str = Action.UPDATE) -> Contact:
    """A bare contact to pass to a service; Contact.DoesNotExist when missing, deleted or not
    open to the user for ``action`` (a view wanting 403 for a visible card asks for READ and
    lets the service refuse)."""
    return visible_contacts(user=user, action=action).get(pk=pk)


def company_for_edit(*, user, pk: int, action: str = Action.UPDATE) -> Company:
    """A bare company to pass to a service; Company.DoesNotExist when missing, deleted or not
    open to the user for ``action``."""
    return visible_companies(user=user, action=action).get(pk=pk)


def linked_company_ids(*, user, contact: Contact) -> list[int]:
    """Ids of the companies linked to the contact that the user may see."""
    links = contact.company_links.filter(company__in=visible_companies(user=user))
    return list(links.values_list("company_id", flat=True))


def linked_contact_ids(*, user, company: Company) -> list[int]:
    """Ids of the contacts linked to the company that the user may see."""
    links = company.contact_links.filter(contact__in=visible_contacts(user=user))
    return list(links.values_list("contact_id", flat=True))


def company_picker(*, user, search: str, exclude_ids=()) -> list[Company]:
    """Up to ``PICKER_LIMIT`` companies matching the typed title, INN, phone or e-mail."""
    if not (search or "").strip():
        return []
    queryset = company_list(user=user, search=search).exclude(pk__in=list(exclude_ids))
    return list(queryset.order_by("title", "pk")[:PICKER_LIMIT])


def contact_picker(*, user, search: str, exclude_ids=()) -> list[Contact]:
    """Up to ``PICKER_LIMIT`` contacts matching the typed name, phone or e-mail."""
    if not (search or "").strip():
        return []
    queryset = contact_list(user=user, search=search).exclude(pk__in=list(exclude_ids))
    return list(queryset.order_by("last_name", "first_name", "pk")[:PICKER_LIMIT])


def responsible_choices(*, user) -> models.QuerySet[User]:
    """Employees a card can be given to."""
    return User.objects.filter(is_active=True).order_by("last_name", "first_name", "pk")


def employees_by_ids(*, user, ids) -> models.QuerySet[User]:
    return User.objects.filter(pk__in=list(ids))


def source_choices(*, user) -> models.QuerySet[Source]:
    return Source.objects.filter(is_active=True)


def custom_field_definitions(*, user, entity: str) -> list[CustomField]:
    """Active custom field definitions of contacts or companies, in their display order."""
    return list(CustomField.objects.filter(entity=entity, is_active=True).order_by("sort", "pk"))


CONTACT_ENTITY = EntityType.CONTACT
COMPANY_ENTITY = EntityType.COMPANY
