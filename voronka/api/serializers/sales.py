"""Leads, deals, their product rows, pipelines, stages, loss reasons and products."""

from rest_framework import serializers

from voronka.api.base import ShapedModelSerializer
from voronka.api.serializers.common import (
    CommunicationSerializer,
    OnDuplicateSerializer,
    VersionSerializer,
    VisibleRelatedField,
    all_optional,
)
from voronka.contacts.models import Company, Contact
from voronka.sales.models import (
    Deal,
    DealContact,
    Lead,
    LossReason,
    Pipeline,
    Product,
    ProductRow,
    Stage,
)

CARD_FIELDS = (
    "id",
    "title",
    "stage",
    "stage_changed_at",
    "amount",
    "currency",
    "amount_from_products",
    "responsible",
    "source",
    "source_description",
    "comment",
    "loss_reason",
    "loss_comment",
    "closed_at",
    "created_by",
    "created_at",
    "updated_at",
    "version",
    "custom_fields",
)
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
LEAD_OWN_FIELDS = (
    "last_name",
    "first_name",
    "middle_name",
    "company_title",
    "position",
    "address",
    *UTM_FIELDS,
    "referrer",
    "landing_page",
    "contact",
    "company",
)
DEAL_OWN_FIELDS = (
    "company",
    "sales_manager",
    "delivery_manager",
    "head_of_sales",
    "begins_on",
    "closes_on",
    "probability",
    *UTM_FIELDS,
)


class ProductRowSerializer(serializers.ModelSerializer):
    subtotal = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)
    tax_amount = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)

    class Meta:
        model = ProductRow
        fields = (
            "id",
            "product",
            "name",
            "price",
            "quantity",
            "unit",
            "discount_percent",
            "tax_rate",
            "tax_included",
            "sort",
            "subtotal",
            "tax_amount",
        )
        read_only_fields = fields


class ProductRowInputSerializer(serializers.Serializer):
    product = VisibleRelatedField(Product, required=False, allow_null=True)
    name = serializers.CharField(max_length=255, required=False, allow_blank=True)
    price = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, min_value=0)
    quantity = serializers.DecimalField(max_digits=14, decimal_places=3, required=False)
    unit = serializers.CharField(max_length=20, required=False, allow_blank=True)
    discount_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, required=False, min_value=0, max_value=100
    )
    tax_rate = serializers.DecimalField(
        max_digits=5, decimal_places=2, required=False, allow_null=True, min_value=0, max_value=100
    )
    tax_included = serializers.BooleanField(required=False)
    sort = serializers.IntegerField(required=False, min_value=0, max_value=32767)


class ProductRowsInputSerializer(VersionSerializer):
    rows = ProductRowInputSerializer(many=True)


class CommunicationOutSerializer(serializers.Serializer):
    kind = serializers.CharField()
    value_type = serializers.CharField()
    value = serializers.CharField()


class LeadSerializer(ShapedModelSerializer):
    pipeline = serializers.IntegerField(source="stage.pipeline_id", read_only=True)
    communications = CommunicationOutSerializer(many=True, read_only=True)
    # Empty when unknown, so a plain string rather than a URI.
    referrer = serializers.CharField(read_only=True)
    landing_page = serializers.CharField(read_only=True)

    class Meta:
        model = Lead
        fields = (*CARD_FIELDS, "pipeline", *LEAD_OWN_FIELDS, "converted_at", "communications")
        read_only_fields = fields


class DealContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = DealContact
        fields = ("contact", "is_primary")
        read_only_fields = fields


class DealSerializer(ShapedModelSerializer):
    contacts = DealContactSerializer(many=True, read_only=True, source="live_contact_links")

    class Meta:
        model = Deal
        fields = (*CARD_FIELDS, "pipeline", *DEAL_OWN_FIELDS, "lead", "contacts")
        read_only_fields = fields


class LeadInputSerializer(OnDuplicateSerializer, VersionSerializer, serializers.ModelSerializer):
    contact = VisibleRelatedField(Contact, required=False, allow_null=True)
    company = VisibleRelatedField(Company, required=False, allow_null=True)
    communications = CommunicationSerializer(many=True, required=False)
    product_rows = ProductRowInputSerializer(many=True, required=False)

    class Meta:
        model = Lead
        fields = (
            "title",
            "stage",
            "amount",
            "currency",
            "responsible",
            "source",
            "source_description",
            "comment",
            "loss_reason",
            "loss_comment",
            "custom_fields",
            *LEAD_OWN_FIELDS,
            "communications",
            "product_rows",
            "version",
            "on_duplicate",
        )
        extra_kwargs = all_optional(fields)


class DealContactInputSerializer(serializers.Serializer):
    contact = VisibleRelatedField(Contact)
    is_primary = serializers.BooleanField(required=False, default=False)


class DealInputSerializer(VersionSerializer, serializers.ModelSerializer):
    company = VisibleRelatedField(Company, required=False, allow_null=True)
    contacts = DealContactInputSerializer(many=True, required=False)
    product_rows = ProductRowInputSerializer(many=True, required=False)

    class Meta:
        model = Deal
        fields = (
            "title",
            "pipeline",
            "stage",
            "amount",
            "currency",
            "responsible",
            "source",
            "source_description",
            "comment",
            "loss_reason",
            "loss_comment",
            "custom_fields",
            *DEAL_OWN_FIELDS,
            "contacts",
            "product_rows",
            "version",
        )
        extra_kwargs = all_optional(fields)


class MoveSerializer(VersionSerializer):
    stage = serializers.PrimaryKeyRelatedField(queryset=Stage.objects.select_related("pipeline"))
    loss_reason = serializers.PrimaryKeyRelatedField(
        queryset=LossReason.objects.all(), required=False, allow_null=True
    )
    loss_comment = serializers.CharField(required=False, allow_blank=True, default="")
    data = serializers.DictField(
        required=False,
        help_text="Fields to fill in the same step (the target stage's required fields).",
    )


class DealMoveSerializer(MoveSerializer):
    pipeline = serializers.PrimaryKeyRelatedField(
        queryset=Pipeline.objects.all(),
        required=False,
        allow_null=True,
        help_text="Another pipeline to move the deal to (its stage must be given).",
    )


class WinSerializer(VersionSerializer):
    data = serializers.DictField(required=False)


class LoseSerializer(VersionSerializer):
    loss_reason = serializers.PrimaryKeyRelatedField(queryset=LossReason.objects.all())
    loss_comment = serializers.CharField(required=False, allow_blank=True, default="")
    data = serializers.DictField(required=False)


class ConvertSerializer(VersionSerializer):
    pipelines = serializers.PrimaryKeyRelatedField(
        queryset=Pipeline.objects.all(), many=True, required=False
    )
    contact = VisibleRelatedField(Contact, required=False, allow_null=True)
    company = VisibleRelatedField(Company, required=False, allow_null=True)
    create_contact = serializers.BooleanField(required=False, default=True)
    create_company = serializers.BooleanField(required=False, allow_null=True, default=None)
    deal_data = serializers.DictField(required=False)


class ConversionResultSerializer(serializers.Serializer):
    contact = serializers.IntegerField(allow_null=True, source="contact.pk", default=None)
    company = serializers.IntegerField(allow_null=True, source="company.pk", default=None)
    deals = serializers.ListField(child=serializers.IntegerField())


class StageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Stage
        fields = (
            "id",
            "pipeline",
            "name",
            "code",
            "color",
            "kind",
            "sort",
            "probability",
            "required_fields",
        )
        read_only_fields = fields


class PipelineSerializer(serializers.ModelSerializer):
    stages = StageSerializer(many=True, read_only=True)

    class Meta:
        model = Pipeline
        fields = ("id", "entity", "name", "sort", "is_default", "stages")
        read_only_fields = fields


class LossReasonSerializer(serializers.ModelSerializer):
    class Meta:
        model = LossReason
        fields = ("id", "name", "sort", "is_active")
        read_only_fields = fields


class ProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = (
            "id",
            "name",
            "sku",
            "unit",
            "price",
            "currency",
            "vat_rate",
            "vat_included",
            "section",
            "description",
            "is_active",
        )
        read_only_fields = fields
