"""Filters of leads and deals, shared by the boards, the lists and the API.

Every filter reads the query string; a bad value is a form error on that field, never a
server error. The acting user comes in through ``request`` (``mine``). Custom fields get one
filter each, built from the active definitions of the entity (one query per filterset), the
same way as for contacts and companies.
"""

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.access.predicates import hidden_fields
from voronka.contacts.models import Communication, CommunicationKind, Company, Contact
from voronka.contacts.services.communications import normalize_communication
from voronka.core.normalization import digits_only
from voronka.customization.filters import (
    ActiveFiltersMixin,
    DateRangeWidget,
    Toggle,
    custom_field_filter,
    is_empty_filter_value,
)
from voronka.customization.models import CustomField, EntityType, Source
from voronka.sales.models import Deal, DealContact, Lead, Pipeline, PipelineEntity, Stage
from voronka.sales.selectors.boards import open_pipelines
from voronka.timeline.models import Activity

SEARCH_MAX_LENGTH = 200


def _card_type(model) -> Q:
    """Rows of a generic relation pointing at ``model``, matched by a join on the content type
    (no separate content-type query, so the count of queries never depends on a cache)."""
    return Q(card_type__app_label=model._meta.app_label, card_type__model=model._meta.model_name)


def communication_card_ids(model, term: str):
    """Ids of ``model`` cards with a phone or e-mail equal to ``term`` in any spelling, as a
    subquery using the (kind, normalised value) index; None when ``term`` is neither."""
    candidates = Q()
    found = False
    for kind in (CommunicationKind.PHONE, CommunicationKind.EMAIL):
        normalized = normalize_communication(kind, term)
        if normalized:
            candidates |= Q(kind=kind, value_normalized=normalized)
            found = True
    if not found:
        return None
    return Communication.objects.filter(candidates, _card_type(model)).values("card_id")


def _inn(term: str) -> str | None:
    digits = digits_only(term)
    if len(digits) in (10, 12) and len(digits) == len(term.replace(" ", "")):
        return digits
    return None


def _text(fields: tuple[str, ...], term: str) -> Q:
    condition = Q()
    for name in fields:
        condition |= Q(**{f"{name}__icontains": term})
    return condition


def _ids_of_companies(term: str, inn: str | None):
    """Companies whose title contains ``term`` or whose INN is ``inn`` — a subquery read once,
    not a join tested on every card."""
    condition = Q(title__icontains=term)
    if inn:
        condition |= Q(inn=inn)
    return Company.objects.filter(condition).values("pk")


def _ids_of_contacts(term: str):
    names = _text(("last_name", "first_name", "middle_name"), term)
    return Contact.objects.filter(names).values("pk")


def lead_search(term: str) -> Q:
    """Leads matching a quick search: title, names, company name, phone, e-mail, INN, and the
    linked contact's or company's names, phones and e-mails."""
    condition = _text(
        ("title", "last_name", "first_name", "middle_name", "company_title"),
        term,
    )
    condition |= Q(company_id__in=_ids_of_companies(term, _inn(term)))
    condition |= Q(contact_id__in=_ids_of_contacts(term))
    lead_ids = communication_card_ids(Lead, term)
    if lead_ids is not None:
        condition |= Q(pk__in=lead_ids)
        condition |= Q(contact_id__in=communication_card_ids(Contact, term))
        condition |= Q(company_id__in=communication_card_ids(Company, term))
    return condition


def deal_search(term: str) -> Q:
    """Deals matching a quick search: title, company title or INN, names of its contacts,
    phone or e-mail of a contact or the company.

    Only the title is tested on every deal; companies and contacts are searched once in their
    own (much smaller) tables and matched by id.
    """
    condition = Q(title__icontains=term)
    condition |= Q(company_id__in=_ids_of_companies(term, _inn(term)))
    contacts = Q(contact_id__in=_ids_of_contacts(term))
    contact_ids = communication_card_ids(Contact, term)
    if contact_ids is not None:
        contacts |= Q(contact_id__in=contact_ids)
        condition |= Q(company_id__in=communication_card_ids(Company, term))
    condition |= Q(pk__in=DealContact.objects.filter(contacts).values("deal_id"))
    return condition


def overdue_condition(model) -> Q:
    """Cards with an open planned activity whose deadline has passed."""
    activities = Activity.objects.filter(
        _card_type(model),
        card_id=OuterRef("pk"),
        completed_at__isnull=True,
        deadline__lt=timezone.now(),
    )
    return Q(Exists(activities))


# Filters on a field, by the field code access field rules name.
FILTERED_FIELDS = {
    "responsible": "responsible",
    "source": "source",
    "created": "created_at",
    "closed": "closed_at",
    "amount": "amount",
}


class CardFilterSet(ActiveFiltersMixin, django_filters.FilterSet):
    """What leads and deals are filtered by; ``pipeline`` narrows the stage choices."""

    entity: str = ""

    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        max_length=SEARCH_MAX_LENGTH,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Title, name, phone, e-mail, INN")}
        ),
    )
    responsible = django_filters.ModelMultipleChoiceFilter(
        label=_("Responsible"),
        queryset=get_user_model()
        .objects.filter(is_active=True)
        .order_by("last_name", "first_name"),
        distinct=False,
    )
    source = django_filters.ModelMultipleChoiceFilter(
        label=_("Source"), queryset=Source.objects.order_by("sort", "name"), distinct=False
    )
    stage = django_filters.ModelMultipleChoiceFilter(
        label=_("Stage"), queryset=Stage.objects.none(), distinct=False
    )
    created = django_filters.DateFromToRangeFilter(
        label=_("Created"),
        field_name="created_at",
        widget=DateRangeWidget(),
    )
    amount = django_filters.RangeFilter(label=_("Amount"))
    mine = django_filters.BooleanFilter(label=_("Mine"), method="filter_mine", widget=Toggle)
    overdue = django_filters.BooleanFilter(
        label=_("Overdue"), method="filter_overdue", widget=Toggle
    )

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None, pipeline=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        self.pipeline: Pipeline | None = pipeline
        stages = Stage.objects.filter(pipeline__entity=self.entity).order_by(
            "pipeline__sort", "pipeline_id", "sort", "pk"
        )
        if pipeline is not None:
            stages = stages.filter(pipeline=pipeline)
        elif self.user is not None:
            stages = stages.filter(pipeline__in=open_pipelines(user=self.user, entity=self.entity))
        self.filters["stage"].queryset = stages
        self.custom_filter_names: list[str] = []
        hidden = hidden_fields(self.user, self.entity) if self.user is not None else frozenset()
        definitions = CustomField.objects.filter(entity=self.entity, is_active=True).order_by(
            "sort", "pk"
        )
        for definition in definitions:
            made = custom_field_filter(definition) if definition.code not in hidden else None
            if made is not None:
                name, custom = made
                custom.parent = self
                custom.model = self._meta.model
                self.filters[name] = custom
                self.custom_filter_names.append(name)
        # A field hidden from the user cannot be filtered by either (a range would reveal it).
        for name, code in FILTERED_FIELDS.items():
            if code in hidden:
                self.filters.pop(name, None)

    @property
    def user(self):
        return getattr(self.request, "user", None)

    def filter_mine(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        user = self.user
        if not value or user is None or not user.is_authenticated:
            return queryset
        return queryset.filter(responsible=user)

    def filter_overdue(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        if not value:
            return queryset
        return queryset.filter(overdue_condition(self._meta.model))

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        term = (value or "").strip()
        if not term:
            return queryset
        return self.search(queryset, term)

    def search(self, queryset: QuerySet, term: str) -> QuerySet:
        raise NotImplementedError

    @property
    def has_values(self) -> bool:
        """Whether any filter (the quick search included) holds a valid value."""
        if not self.is_bound:
            return False
        self.form.is_valid()
        return any(
            not is_empty_filter_value(value)
            for value in getattr(self.form, "cleaned_data", {}).values()
        )


class LeadFilterSet(CardFilterSet):
    entity = EntityType.LEAD

    class Meta:
        model = Lead
        fields = ["q", "responsible", "source", "stage", "created", "amount", "mine", "overdue"]

    def search(self, queryset: QuerySet, term: str) -> QuerySet:
        return queryset.filter(lead_search(term))


class DealFilterSet(CardFilterSet):
    entity = EntityType.DEAL

    closed = django_filters.DateFromToRangeFilter(
        label=_("Closed"),
        field_name="closed_at",
        widget=DateRangeWidget(),
    )

    class Meta:
        model = Deal
        fields = [
            "q",
            "responsible",
            "source",
            "stage",
            "created",
            "closed",
            "amount",
            "mine",
            "overdue",
        ]

    def search(self, queryset: QuerySet, term: str) -> QuerySet:
        return queryset.filter(deal_search(term))


FILTERSETS = {PipelineEntity.LEAD: LeadFilterSet, PipelineEntity.DEAL: DealFilterSet}
