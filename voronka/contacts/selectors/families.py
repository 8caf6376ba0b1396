"""Family suggestions: contacts the user sees who share an address and are not one family yet."""

from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, F, Max, Min, Prefetch, Q

from voronka.contacts.models import (
    Company,
    CompanyType,
    Contact,
    ContactCompany,
    DuplicateGroup,
)
from voronka.contacts.selectors.lists import visible_companies, visible_contacts
from voronka.contacts.services.families import FAMILY_RULE, family_title

PAGE_SIZE = 30


@dataclass
class FamilySuggestion:
    key: str
    contacts: list[Contact]
    # Families one of the contacts already belongs to (visible to the user): "add to it".
    families: list[Company] = field(default_factory=list)

    @property
    def title(self) -> str:
        return family_title(self.contacts)

    @property
    def address(self) -> str:
        return next((contact.address for contact in self.contacts if contact.address), "")


@dataclass
class SuggestionPage:
    suggestions: list[FamilySuggestion]
    next_key: str | None


def family_suggestions(*, user, after: str | None = None, size: int = PAGE_SIZE) -> SuggestionPage:
    """One page of suggestions, ordered by address key (keyset: ``after`` the last key of the
    previous page): groups of at least two contacts visible to the user with the same address
    key, except those all in one and the same family and those dismissed. Three queries for a
    page of any size."""
    contacts = visible_contacts(user=user).exclude(address_key="")
    family_link = Q(
        company_links__company__company_type=CompanyType.FAMILY,
        company_links__company__deleted_at__isnull=True,
    )
    dismissed = DuplicateGroup.objects.filter(
        card_type=ContentType.objects.get_for_model(Contact),
        rule=FAMILY_RULE,
        dismissed_at__isnull=False,
    ).values("key")
    groups = (
        contacts.exclude(address_key__in=dismissed)
        .values("address_key")
        .annotate(
            members=Count("pk", distinct=True),
            in_family=Count("pk", distinct=True, filter=family_link),
            first_family=Min("company_links__company_id", filter=family_link),
            last_family=Max("company_links__company_id", filter=family_link),
        )
        .filter(members__gte=2)
        .exclude(Q(in_family=F("members")) & Q(first_family=F("last_family")))
        .order_by("address_key")
    )
    if after:
        groups = groups.filter(address_key__gt=after)
    keys = [row["address_key"] for row in groups[: size + 1]]
    next_key = keys[size - 1] if len(keys) > size else None
    keys = keys[:size]
    if not keys:
        return SuggestionPage(suggestions=[], next_key=None)
    families = visible_companies(user=user).filter(company_type=CompanyType.FAMILY)
    members = (
        contacts.filter(address_key__in=keys)
        .order_by("address_key", "last_name", "first_name", "pk")
        .prefetch_related(
            Prefetch(
                "company_links",
                queryset=ContactCompany.objects.filter(company__in=families).select_related(
                    "company"
                ),
                to_attr="family_links",
            )
        )
    )
    by_key: dict[str, FamilySuggestion] = {}
    for contact in members:
        suggestion = by_key.setdefault(
            contact.address_key, FamilySuggestion(key=contact.address_key, contacts=[])
        )
        suggestion.contacts.append(contact)
        for link in contact.family_links:
            if all(family.pk != link.company_id for family in suggestion.families):
                suggestion.families.append(link.company)
    return SuggestionPage(
        suggestions=[by_key[key] for key in keys if key in by_key], next_key=next_key
    )
