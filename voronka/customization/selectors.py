"""Reads of the settings area: sources and custom field definitions (active or not)."""

from django.db.models import QuerySet

from voronka.customization.models import CustomField, Source


def source_list(*, user) -> QuerySet[Source]:
    return Source.objects.order_by("sort", "name", "pk")


def custom_field_list(*, user, entity: str | None = None) -> QuerySet[CustomField]:
    fields = CustomField.objects.order_by("entity", "sort", "pk")
    if entity is not None:
        fields = fields.filter(entity=entity)
    return fields
