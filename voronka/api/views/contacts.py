"""Contacts and companies: lists with the UI's filters, cards, writes through the contacts
services."""

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError

from voronka.access.models import Entity
from voronka.access.predicates import hidden_fields
from voronka.api.serializers import contacts as serializers
from voronka.api.views.common import (
    ON_DUPLICATE_HEADER,
    OrderingFilter,
    ReadOnlyViewSet,
    ServiceWriteMixin,
    service_data,
)
from voronka.api.views.feeds import FeedMixin
from voronka.contacts.filtersets import CompanyFilterSet, ContactFilterSet
from voronka.contacts.models import ContactCompany
from voronka.contacts.selectors.lists import company_list, contact_list, visible_companies
from voronka.contacts.services import (
    company_create,
    company_delete,
    company_update,
    contact_create,
    contact_delete,
    contact_link_company,
    contact_unlink_company,
    contact_update,
)

ORDERING = ["created_at", "updated_at", "id"]


def _items(value):
    return [dict(item) for item in value] if value is not None else None


@extend_schema_view(
    create=extend_schema(
        request=serializers.ContactInputSerializer, parameters=[ON_DUPLICATE_HEADER]
    ),
    partial_update=extend_schema(
        request=serializers.ContactInputSerializer, parameters=[ON_DUPLICATE_HEADER]
    ),
)
class ContactViewSet(FeedMixin, ServiceWriteMixin, ReadOnlyViewSet):
    """Contacts the employee may see."""

    serializer_class = serializers.ContactSerializer
    input_serializer_class = serializers.ContactInputSerializer
    filterset_class = ContactFilterSet
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    ordering_fields = [*ORDERING, "last_name"]
    ordering = ("-created_at", "-id")
    hidden_entity = Entity.CONTACT

    def get_queryset(self):
        user = self.request.user
        return contact_list(user=user).prefetch_related(
            Prefetch(
                "company_links",
                queryset=ContactCompany.objects.filter(
                    company__in=visible_companies(user=user)
                ).order_by("-is_primary", "pk"),
                to_attr="visible_company_links",
            )
        )

    def perform_service_create(self, data):
        communications = data.pop("communications", None)
        companies = data.pop("companies", None)
        on_duplicate = self.on_duplicate(data)
        return contact_create(
            actor=self.request.user,
            data=service_data(data),
            communications=_items(communications),
            company_links=_items(companies),
            on_duplicate=on_duplicate,
        )

    def perform_service_update(self, instance, data, version):
        communications = data.pop("communications", None)
        if "companies" in data:
            raise ValidationError(
                {"companies": [_("Link and unlink companies with their own commands.")]}
            )
        on_duplicate = self.on_duplicate(data)
        return contact_update(
            actor=self.request.user,
            contact=instance,
            data=data,
            communications=_items(communications),
            expected_version=version,
            on_duplicate=on_duplicate,
        )

    def perform_service_delete(self, instance):
        contact_delete(actor=self.request.user, contact=instance)

    @extend_schema(
        request=serializers.LinkCompanySerializer, responses=serializers.ContactSerializer
    )
    @action(detail=True, methods=["post"], url_path="link-company")
    def link_company(self, request, pk=None):
        """Link the contact to a company (or change the link's role or primary mark)."""
        contact = self.get_object()
        payload = serializers.LinkCompanySerializer(
            data=request.data, context=self.get_serializer_context()
        )
        payload.is_valid(raise_exception=True)
        contact_link_company(actor=request.user, contact=contact, **payload.validated_data)
        return self.respond(contact)

    @extend_schema(
        request=serializers.UnlinkCompanySerializer, responses=serializers.ContactSerializer
    )
    @action(detail=True, methods=["post"], url_path="unlink-company")
    def unlink_company(self, request, pk=None):
        """Remove the contact's link to a company."""
        contact = self.get_object()
        payload = serializers.UnlinkCompanySerializer(
            data=request.data, context=self.get_serializer_context()
        )
        payload.is_valid(raise_exception=True)
        contact_unlink_company(
            actor=request.user, contact=contact, company=payload.validated_data["company"]
        )
        return self.respond(contact)


@extend_schema_view(
    create=extend_schema(
        request=serializers.CompanyInputSerializer, parameters=[ON_DUPLICATE_HEADER]
    ),
    partial_update=extend_schema(
        request=serializers.CompanyInputSerializer, parameters=[ON_DUPLICATE_HEADER]
    ),
)
class CompanyViewSet(FeedMixin, ServiceWriteMixin, ReadOnlyViewSet):
    """Companies the employee may see, with requisites, addresses and bank accounts."""

    serializer_class = serializers.CompanySerializer
    input_serializer_class = serializers.CompanyInputSerializer
    filterset_class = CompanyFilterSet
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    ordering_fields = [*ORDERING, "title"]
    ordering = ("-created_at", "-id")
    hidden_entity = Entity.COMPANY

    def get_queryset(self):
        user = self.request.user
        hidden = hidden_fields(user, Entity.COMPANY)
        lists = [name for name in ("addresses", "bank_accounts") if name not in hidden]
        return company_list(user=user).prefetch_related(*lists)

    def perform_service_create(self, data):
        return company_create(
            actor=self.request.user,
            on_duplicate=self.on_duplicate(data),
            communications=_items(data.pop("communications", None)),
            addresses=_items(data.pop("addresses", None)),
            bank_accounts=_items(data.pop("bank_accounts", None)),
            data=service_data(data),
        )

    def perform_service_update(self, instance, data, version):
        return company_update(
            actor=self.request.user,
            company=instance,
            on_duplicate=self.on_duplicate(data),
            communications=_items(data.pop("communications", None)),
            addresses=_items(data.pop("addresses", None)),
            bank_accounts=_items(data.pop("bank_accounts", None)),
            data=data,
            expected_version=version,
        )

    def perform_service_delete(self, instance):
        company_delete(actor=self.request.user, company=instance)
