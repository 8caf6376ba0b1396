"""Filters of contacts and companies, shared by the lists and (later) the API.

Every filter reads the query string; a bad value is a form error on that field, never a
server error, and the other filters still apply. Custom fields get one filter each, built
from the active definitions of the entity (one query per filterset).
"""

import datetime

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.contacts.models import Company, CompanyType, Contact, ContactCompany, LtvSegment
from voronka.contacts.selectors.lists import company_search, contact_search, visible_companies
from voronka.customization.filters import (
    ActiveFiltersMixin,
    DateRangeWidget,
    Toggle,
    custom_field_filter,
)
from voronka.customization.models import CustomField, EntityType, Source

SEARCH_MAX_LENGTH = 200
# LTV, segment and last interaction: kept by the sales side, filtered like any column.
CLIENT_VALUE_FILTERS = ("ltv", "ltv_segment", "last_contact", "silent_days")


def active_users():
    return get_user_model().objects.filter(is_active=True).order_by("last_name", "first_name")


class ClientFilterSet(ActiveFiltersMixin, django_filters.FilterSet):
    """What contacts and companies share: search, responsible, source, creation dates, mine,
    custom fields."""

    entity: str = ""

    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        max_length=SEARCH_MAX_LENGTH,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    responsible = django_filters.ModelMultipleChoiceFilter(
        label=_("Responsible"), queryset=active_users(), distinct=False
    )
    source = django_filters.ModelMultipleChoiceFilter(
        label=_("Source"), queryset=Source.objects.order_by("sort", "name"), distinct=False
    )
    created = django_filters.DateFromToRangeFilter(
        label=_("Created"), field_name="created_at", widget=DateRangeWidget()
    )
    mine = django_filters.BooleanFilter(label=_("Mine"), method="filter_mine", widget=Toggle)
    ltv = django_filters.RangeFilter(label=_("Lifetime value"))
    ltv_segment = django_filters.MultipleChoiceFilter(
        label=_("LTV segment"), choices=LtvSegment.choices, distinct=False
    )
    last_contact = django_filters.DateFromToRangeFilter(
        label=_("Last interaction"), field_name="last_contact_at", widget=DateRangeWidget()
    )
    silent_days = django_filters.NumberFilter(
        label=_("No interaction for, days"),
        method="filter_silent_days",
        min_value=1,
        max_value=36500,
    )

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None, definitions=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        self.custom_filter_names: list[str] = []
        if definitions is None:
            definitions = CustomField.objects.filter(entity=self.entity, is_active=True).order_by(
                "sort", "pk"
            )
        for definition in definitions:
            made = custom_field_filter(definition)
            if made is None:
                continue
            name, custom = made
            custom.parent = self
            custom.model = self._meta.model
            self.filters[name] = custom
            self.custom_filter_names.append(name)

    @property
    def user(self):
        return getattr(self.request, "user", None)

    def filter_mine(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        user = self.user
        if not value or user is None or not user.is_authenticated:
            return queryset
        return queryset.filter(responsible=user)

    def filter_silent_days(self, queryset: QuerySet, name: str, value) -> QuerySet:
        """Clients with no interaction in the last ``value`` days, never contacted included."""
        if value is None:
            return queryset
        since = timezone.now() - datetime.timedelta(days=int(value))
        return queryset.filter(Q(last_contact_at__isnull=True) | Q(last_contact_at__lt=since))

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        term = (value or "").strip()
        if not term:
            return queryset
        return queryset.filter(self.search(term))

    def search(self, term: str) -> Q:
        raise NotImplementedError


class ContactFilterSet(ClientFilterSet):
    entity = EntityType.CONTACT

    company = django_filters.CharFilter(
        label=_("Company"), method="filter_company", max_length=SEARCH_MAX_LENGTH
    )

    class Meta:
        model = Contact
        fields = [
            "q",
            "responsible",
            "source",
            "company",
            "created",
            "mine",
            *CLIENT_VALUE_FILTERS,
        ]

    def search(self, term: str) -> Q:
        return contact_search(term)

    def filter_company(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """Contacts working at a company whose title contains the text (any of their
        companies the user may see, not only the primary one)."""
        term = (value or "").strip()
        if not term:
            return queryset
        links = ContactCompany.objects.filter(
            contact=OuterRef("pk"),
            company__in=visible_companies(user=self.user),
            company__title__icontains=term,
        )
        return queryset.filter(Exists(links))


class CompanyFilterSet(ClientFilterSet):
    entity = EntityType.COMPANY

    company_type = django_filters.MultipleChoiceFilter(
        label=_("Type"), choices=CompanyType.choices, distinct=False
    )
    industry = django_filters.CharFilter(
        label=_("Industry"), lookup_expr="icontains", max_length=SEARCH_MAX_LENGTH
    )

    class Meta:
        model = Company
        fields = [
            "q",
            "responsible",
            "source",
            "company_type",
            "industry",
            "created",
            "mine",
            *CLIENT_VALUE_FILTERS,
        ]

    def search(self, term: str) -> Q:
        return company_search(term)
