"""Admin for pipelines, catalogues and (read-only) leads and deals.

Leads and deals change only through the services — moves check required fields, edits write
history — so here they are shown, not edited; deleting sends them to the recycle bin through
the services too. Pipelines, stages, loss reasons and products are configuration and are edited
here, with the pipeline invariants checked on save.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from voronka.sales.models import (
    Deal,
    DealContact,
    Lead,
    LossReason,
    Pipeline,
    Product,
    ProductRow,
    ProductSection,
    Stage,
    StageKind,
    StageTransition,
)
from voronka.sales.services import deal_delete, lead_delete


class StageFormSet(forms.models.BaseInlineFormSet):
    def clean(self):
        super().clean()
        kinds = set()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data:
                continue
            stage = form.instance
            if data.get("DELETE"):
                if stage.pk and (
                    Lead.all_objects.filter(stage=stage).exists()
                    or Deal.all_objects.filter(stage=stage).exists()
                ):
                    raise ValidationError(
                        _("Cards are in the stage “%(name)s”; move them first.")
                        % {"name": stage.name}
                    )
                continue
            kinds.add(data.get("kind"))
        missing = [str(label) for value, label in StageKind.choices if value not in kinds]
        if missing:
            raise ValidationError(
                _("A pipeline needs at least one stage of each kind; missing: %(kinds)s.")
                % {"kinds": ", ".join(missing)}
            )


class StageInline(admin.TabularInline):
    model = Stage
    formset = StageFormSet
    extra = 0
    fields = ("name", "code", "kind", "color", "sort", "probability", "required_fields")


@admin.register(Pipeline)
class PipelineAdmin(admin.ModelAdmin):
    list_display = ("name", "entity", "is_default", "sort")
    list_filter = ("entity",)
    inlines = [StageInline]


@admin.register(LossReason)
class LossReasonAdmin(admin.ModelAdmin):
    list_display = ("name", "sort", "is_active")
    list_filter = ("is_active",)


@admin.register(ProductSection)
class ProductSectionAdmin(admin.ModelAdmin):
    list_display = ("name", "parent", "sort")
    list_select_related = ("parent",)
    raw_id_fields = ("parent",)


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("name", "sku", "price", "currency", "vat_rate", "section", "is_active")
    list_filter = ("is_active", "currency")
    list_select_related = ("section",)
    search_fields = ("name", "sku")
    raw_id_fields = ("section",)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ProductRowInline(ReadOnlyInline):
    model = ProductRow
    fields = ("name", "price", "quantity", "unit", "discount_percent", "tax_rate", "tax_included")


class DealContactInline(ReadOnlyInline):
    model = DealContact
    fields = ("contact", "is_primary")
    raw_id_fields = ("contact",)


class CardAdmin(admin.ModelAdmin):
    """Shows a card; writes only through the services (the recycle bin on delete)."""

    list_per_page = 50
    show_full_result_count = False
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        return self.model.all_objects.all()

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_deleted_objects(self, objs, request):
        # Nothing is removed: the cards go to the recycle bin with their rows and history.
        names = [str(obj) for obj in objs]
        return names, {self.model._meta.verbose_name_plural: len(names)}, set(), []

    def delete_queryset(self, request, queryset):
        for card in queryset:
            self.delete_model(request, card)


@admin.register(Lead)
class LeadAdmin(CardAdmin):
    list_display = ("title", "stage", "responsible", "amount", "currency", "created_at")
    list_filter = ("stage__pipeline", "stage")
    list_select_related = ("stage", "responsible")
    search_fields = ("title", "company_title", "last_name")
    raw_id_fields = ("responsible", "created_by", "contact", "company", "deleted_by")
    inlines = [ProductRowInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def delete_model(self, request, obj):
        lead_delete(actor=request.user, lead=obj)


@admin.register(Deal)
class DealAdmin(CardAdmin):
    list_display = ("title", "pipeline", "stage", "company", "responsible", "amount", "currency")
    list_filter = ("pipeline", "stage")
    list_select_related = ("pipeline", "stage", "company", "responsible")
    search_fields = ("title",)
    raw_id_fields = (
        "responsible",
        "created_by",
        "company",
        "lead",
        "sales_manager",
        "delivery_manager",
        "head_of_sales",
        "deleted_by",
    )
    inlines = [DealContactInline, ProductRowInline]

    def delete_model(self, request, obj):
        deal_delete(actor=request.user, deal=obj)


@admin.register(StageTransition)
class StageTransitionAdmin(admin.ModelAdmin):
    list_display = ("moved_at", "lead", "deal", "from_stage", "to_stage", "actor")
    list_select_related = ("lead", "deal", "from_stage", "to_stage", "actor")
    raw_id_fields = ("lead", "deal", "actor")
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
