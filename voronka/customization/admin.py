from django.contrib import admin

from voronka.customization.models import CustomField, Source


@admin.register(CustomField)
class CustomFieldAdmin(admin.ModelAdmin):
    list_display = ["label", "code", "entity", "field_type", "multiple", "required", "sort"]
    list_filter = ["entity", "field_type", "is_active"]
    search_fields = ["label", "code"]


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "sort", "is_active"]
    list_editable = ["sort", "is_active"]
