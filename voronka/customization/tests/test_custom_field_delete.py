"""Deleting a custom field: gone when unused, retired with its values kept when in use."""

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from voronka.customization.models import CustomField
from voronka.customization.services import custom_field_create, custom_field_delete
from voronka.sales.tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def _field() -> CustomField:
    return custom_field_create(
        actor=None,
        data={"entity": "lead", "code": "budget", "label": "Бюджет", "field_type": "integer"},
    )


def test_a_field_no_card_uses_is_deleted(admin_user):
    field = _field()
    LeadFactory(custom_fields={})

    assert custom_field_delete(actor=admin_user, definition=field) is True

    assert not CustomField.objects.filter(pk=field.pk).exists()


def test_a_field_holding_values_is_retired_and_its_values_stay(admin_user):
    field = _field()
    lead = LeadFactory(custom_fields={"budget": 5000})

    assert custom_field_delete(actor=admin_user, definition=field) is False

    field.refresh_from_db()
    lead.refresh_from_db()
    assert field.is_active is False
    assert lead.custom_fields == {"budget": 5000}


def test_values_in_the_recycle_bin_count(admin_user):
    field = _field()
    LeadFactory(custom_fields={"budget": 5000}, deleted_at=timezone.now())

    assert custom_field_delete(actor=admin_user, definition=field) is False
    assert CustomField.objects.filter(pk=field.pk).exists()


def test_deleting_a_field_needs_the_right_to_delete_settings(manager):
    field = _field()

    with pytest.raises(PermissionDenied):
        custom_field_delete(actor=manager, definition=field)

    field.refresh_from_db()
    assert field.is_active
