"""Contacts and companies with their requisites, addresses, bank accounts and
communications."""

from rest_framework import serializers

from voronka.api.base import ShapedModelSerializer
from voronka.api.serializers.common import (
    CommunicationSerializer,
    OnDuplicateSerializer,
    VersionSerializer,
    VisibleRelatedField,
    all_optional,
)
from voronka.api.serializers.sales import CommunicationOutSerializer
from voronka.contacts.models import (
    AddressKind,
    BankAccount,
    Company,
    CompanyAddress,
    Contact,
    ContactCompany,
)

CLIENT_FIELDS = (
    "id",
    "responsible",
    "source",
    "comment",
    "created_by",
    "created_at",
    "updated_at",
    "version",
    "custom_fields",
)
CONTACT_OWN_FIELDS = (
    "last_name",
    "first_name",
    "middle_name",
    "honorific",
    "birthday",
    "position",
    "address",
    "source_description",
)
COMPANY_OWN_FIELDS = (
    "company_type",
    "title",
    "full_name",
    "short_name",
    "inn",
    "kpp",
    "ogrn",
    "director",
    "industry",
    "employees_count",
)


class ContactCompanyLinkSerializer(serializers.ModelSerializer):
    class Meta:
        model = ContactCompany
        fields = ("company", "is_primary", "role")
        read_only_fields = fields


class ContactSerializer(ShapedModelSerializer):
    communications = CommunicationOutSerializer(many=True, read_only=True)
    companies = ContactCompanyLinkSerializer(
        many=True, read_only=True, source="visible_company_links"
    )

    class Meta:
        model = Contact
        fields = (*CLIENT_FIELDS, *CONTACT_OWN_FIELDS, "communications", "companies")
        read_only_fields = fields


class CompanyLinkInputSerializer(serializers.Serializer):
    company = VisibleRelatedField(Company)
    is_primary = serializers.BooleanField(required=False, default=False)
    role = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class ContactInputSerializer(OnDuplicateSerializer, VersionSerializer, serializers.ModelSerializer):
    communications = CommunicationSerializer(many=True, required=False)
    companies = CompanyLinkInputSerializer(
        many=True, required=False, help_text="Companies to link a new contact to."
    )

    class Meta:
        model = Contact
        fields = (
            *CONTACT_OWN_FIELDS,
            "responsible",
            "source",
            "comment",
            "custom_fields",
            "communications",
            "companies",
            "version",
            "on_duplicate",
        )
        extra_kwargs = all_optional(fields)


class AddressSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=AddressKind.choices)

    class Meta:
        model = CompanyAddress
        fields = ("kind", "postal_code", "country", "region", "city", "street_address", "comment")
        extra_kwargs = {name: {"required": False} for name in fields if name != "kind"}


class BankAccountSerializer(serializers.ModelSerializer):
    class Meta:
        model = BankAccount
        fields = ("bank_name", "bic", "account_number", "correspondent_account", "is_primary")
        extra_kwargs = {"bank_name": {"required": False}, "is_primary": {"required": False}}


class CompanySerializer(ShapedModelSerializer):
    communications = CommunicationOutSerializer(many=True, read_only=True)
    addresses = AddressSerializer(many=True, read_only=True)
    bank_accounts = BankAccountSerializer(many=True, read_only=True)

    class Meta:
        model = Company
        fields = (
            *CLIENT_FIELDS,
            *COMPANY_OWN_FIELDS,
            "communications",
            "addresses",
            "bank_accounts",
        )
        read_only_fields = fields


class CompanyInputSerializer(OnDuplicateSerializer, VersionSerializer, serializers.ModelSerializer):
    communications = CommunicationSerializer(many=True, required=False)
    addresses = AddressSerializer(many=True, required=False)
    bank_accounts = BankAccountSerializer(many=True, required=False)

    class Meta:
        model = Company
        fields = (
            *COMPANY_OWN_FIELDS,
            "responsible",
            "source",
            "comment",
            "custom_fields",
            "communications",
            "addresses",
            "bank_accounts",
            "version",
            "on_duplicate",
        )
        extra_kwargs = all_optional(fields)


class LinkCompanySerializer(serializers.Serializer):
    company = VisibleRelatedField(Company)
    is_primary = serializers.BooleanField(required=False, default=False)
    role = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class UnlinkCompanySerializer(serializers.Serializer):
    company = VisibleRelatedField(Company)
