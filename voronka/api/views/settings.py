"""Reference lists an integration needs to fill cards: employees, departments, sources and
custom field definitions."""

from django.contrib.auth import get_user_model
from django_filters.rest_framework import DjangoFilterBackend

from voronka.api.serializers import settings as serializers
from voronka.api.views.common import OrderingFilter, ReadOnlyViewSet
from voronka.customization.models import CustomField, Source
from voronka.staff.models import Department


class UserViewSet(ReadOnlyViewSet):
    """Employees (for responsible and participants)."""

    serializer_class = serializers.UserSerializer
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_fields = ["department", "is_active"]
    ordering_fields = ["last_name", "id"]
    ordering = ("id",)

    def get_queryset(self):
        return get_user_model().objects.all()


class DepartmentViewSet(ReadOnlyViewSet):
    serializer_class = serializers.DepartmentSerializer
    ordering_fields = ["sort", "name", "id"]
    ordering = ("id",)

    def get_queryset(self):
        return Department.objects.all()


class SourceViewSet(ReadOnlyViewSet):
    serializer_class = serializers.SourceSerializer
    ordering_fields = ["sort", "name", "id"]
    ordering = ("id",)

    def get_queryset(self):
        return Source.objects.all()


class CustomFieldViewSet(ReadOnlyViewSet):
    """Definitions of the fields administrators added to leads, deals, contacts and
    companies; the values are in each card's ``custom_fields`` by ``code``."""

    serializer_class = serializers.CustomFieldSerializer
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_fields = ["entity", "is_active"]
    ordering_fields = ["sort", "id"]
    ordering = ("id",)

    def get_queryset(self):
        return CustomField.objects.all()
