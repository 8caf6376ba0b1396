"""Building blocks of the resource viewsets."""

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import filters, mixins, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from voronka.access.predicates import hidden_fields
from voronka.api.base import FIELDS_PARAMETER, ApiGenericViewSet
from voronka.contacts.duplicates import ON_DUPLICATE_VALUES


class OrderingFilter(filters.OrderingFilter):
    """Ordering by the listed fields, except those hidden from the employee (the order would
    reveal them)."""

    def get_valid_fields(self, queryset, view, context=None):
        fields = super().get_valid_fields(queryset, view, context or {})
        entity = getattr(view, "hidden_entity", None)
        if not entity:
            return fields
        hidden = hidden_fields(view.request.user, entity)
        return [(name, label) for name, label in fields if name not in hidden]


def service_data(validated: dict, *, drop=("version",)) -> dict:
    return {key: value for key, value in validated.items() if key not in drop}


class ReadOnlyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiGenericViewSet):
    """List (cursor pages, filters, ordering) and retrieve; ``fields=`` on both."""

    filter_backends = [OrderingFilter]

    @extend_schema(parameters=[FIELDS_PARAMETER])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(parameters=[FIELDS_PARAMETER])
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)


class ServiceWriteMixin:
    """Create, change (PATCH) and delete through the app's services; the answer is the record
    read again through the scoped queryset."""

    input_serializer_class = None
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def reread(self, instance):
        return self.get_queryset().filter(pk=instance.pk).first() or instance

    def respond(self, instance, status_code=status.HTTP_200_OK):
        serializer = self.get_serializer(self.reread(instance))
        return Response(serializer.data, status=status_code)

    def input(self, *, partial: bool = False):
        serializer = self.input_serializer_class(
            data=self.request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def on_duplicate(self, data: dict) -> str:
        """``on_duplicate`` of the body (taken out of ``data``), else the ``X-On-Duplicate``
        header, else "record": what a warning of the duplicate policy does to this write."""
        value = data.pop("on_duplicate", None) or self.request.headers.get("X-On-Duplicate")
        if not value:
            return "record"
        if value not in ON_DUPLICATE_VALUES:
            raise ValidationError({"on_duplicate": [_("Use “record” or “ask”.")]})
        return value

    def perform_service_create(self, data: dict):
        raise NotImplementedError  # abstract: each resource calls its own create service

    def perform_service_update(self, instance, data: dict, version: int | None):
        raise NotImplementedError  # abstract: each resource calls its own update service

    def perform_service_delete(self, instance):
        raise NotImplementedError  # abstract: each resource calls its own delete service

    def create(self, request, *args, **kwargs):
        data = self.input()
        with transaction.atomic():
            instance = self.perform_service_create(data)
        return self.respond(instance, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        instance = self.get_object()
        data = self.input(partial=True)
        version = data.pop("version", None)
        with transaction.atomic():
            instance = self.perform_service_update(instance, data, version)
        return self.respond(instance)

    def destroy(self, request, *args, **kwargs):
        instance = self.get_object()
        self.perform_service_delete(instance)
        return Response(status=status.HTTP_204_NO_CONTENT)


ON_DUPLICATE_HEADER = OpenApiParameter(
    "X-On-Duplicate",
    location=OpenApiParameter.HEADER,
    required=False,
    enum=list(ON_DUPLICATE_VALUES),
    description="`ask` or `record`: as the body's `on_duplicate` (the body wins).",
)
