"""Employees, departments, sources and custom field definitions (read-only)."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from voronka.customization.models import CustomField, Source
from voronka.staff.models import Department


class UserSerializer(serializers.ModelSerializer):
    language = serializers.CharField(
        read_only=True, help_text="The employee's interface language; empty: the default."
    )

    class Meta:
        model = get_user_model()
        fields = (
            "id",
            "username",
            "last_name",
            "first_name",
            "middle_name",
            "email",
            "position",
            "department",
            "is_active",
            "language",
        )
        read_only_fields = fields


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ("id", "name", "parent", "head", "sort")
        read_only_fields = fields


class SourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Source
        fields = ("id", "code", "name", "sort", "is_active")
        read_only_fields = fields


class CustomFieldSerializer(serializers.ModelSerializer):
    class Meta:
        model = CustomField
        fields = (
            "id",
            "entity",
            "code",
            "label",
            "field_type",
            "multiple",
            "required",
            "section",
            "sort",
            "options",
            "settings",
            "is_active",
        )
        read_only_fields = fields
