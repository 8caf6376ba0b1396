"""One contact or company with everything its card shows, in a fixed number of queries.

Leads and deals are read through the reverse relations the sales app declares; their models
are resolved lazily so this app imports nothing from sales (sales depends on contacts).
"""

from django.apps import apps
from django.db import models
from django.db.models import Prefetch

from voronka.contacts.models import Company, Contact, ContactCompany
from voronka.contacts.selectors.lists import company_list, contact_list
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


def _related_cards(model: type[models.Model], *related: str) -> models.QuerySet:
    """The newest alive leads or deals with what their rows show (stage, pipeline)."""
    queryset = model._default_manager.select_related("stage", *related)
    return queryset.order_by("-created_at", "-pk")[:RELATED_LIMIT]


def contact_card_queryset(*, user) -> models.QuerySet[Contact]:
    """Contacts not in the recycle bin, with everything the card shows prefetched.

    Access rights come later: ``user`` is accepted so callers need not change then.
    """
    return Contact.objects.select_related("responsible", "source", "created_by").prefetch_related(
        "communications",
        Prefetch(
            "company_links",
            queryset=ContactCompany.objects.filter(company__deleted_at__isnull=True)
            .select_related("company")
            .order_by("-is_primary", "company__title", "pk")[:LINKED_LIMIT],
            to_attr="alive_company_links",
        ),
        Prefetch("leads", queryset=_related_cards(_lead_model()), to_attr="alive_leads"),
        Prefetch(
            "deals", queryset=_related_cards(_deal_model(), "pipeline"), to_attr="alive_deals"
        ),
    )


def contact_for_card(*, user, pk: int) -> Contact:
    """The contact with its card's relations; Contact.DoesNotExist when missing or deleted."""
    return contact_card_queryset(user=user).get(pk=pk)


def company_card_queryset(*, user) -> models.QuerySet[Company]:
    """Companies not in the recycle bin, with everything the card shows prefetched."""
    return Company.objects.select_related("responsible", "source", "created_by").prefetch_related(
        "communications",
        "addresses",
        "bank_accounts",
        Prefetch(
            "contact_links",
            queryset=ContactCompany.objects.filter(contact__deleted_at__isnull=True)
            .select_related("contact")
            .prefetch_related("contact__communications")
            .order_by("contact__last_name", "contact__first_name", "pk")[:LINKED_LIMIT],
            to_attr="alive_contact_links",
        ),
        Prefetch("leads", queryset=_related_cards(_lead_model()), to_attr="alive_leads"),
        Prefetch(
            "deals", queryset=_related_cards(_deal_model(), "pipeline"), to_attr="alive_deals"
        ),
    )


def company_for_card(*, user, pk: int) -> Company:
    """The company with its card's relations; Company.DoesNotExist when missing or deleted."""
    return company_card_queryset(user=user).get(pk=pk)


def contact_for_edit(*, user, pk: int) -> Contact:
    """A bare contact to pass to a service; Contact.DoesNotExist when missing or deleted."""
    return Contact.objects.get(pk=pk)


def company_for_edit(*, user, pk: int) -> Company:
    """A bare company to pass to a service; Company.DoesNotExist when missing or deleted."""
    return Company.objects.get(pk=pk)


def linked_company_ids(*, user, contact: Contact) -> list[int]:
    return list(contact.company_links.values_list("company_id", flat=True))


def linked_contact_ids(*, user, company: Company) -> list[int]:
    return list(company.contact_links.values_list("contact_id", flat=True))


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
