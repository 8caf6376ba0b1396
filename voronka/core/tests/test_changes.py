import datetime

import pytest

from voronka.contacts.models import Company, Contact
from voronka.core.changes import FieldChange, apply_changes
from voronka.staff.tests.factories import UserFactory


@pytest.mark.django_db
class TestApplyChanges:
    def test_only_fields_whose_value_differs_are_reported(self):
        contact = Contact(last_name="Иванов", position="Менеджер")
        changes = apply_changes(contact, {"last_name": "Иванов", "position": "Директор"})
        assert changes == [
            FieldChange(field="position", label="position", old="Менеджер", new="Директор")
        ]
        assert contact.position == "Директор"

    def test_relations_by_object_and_by_id_show_names(self):
        first = UserFactory(last_name="Иванов", first_name="Пётр", middle_name="")
        second = UserFactory(last_name="Петров", first_name="Иван", middle_name="")
        contact = Contact(responsible=first)

        [change] = apply_changes(contact, {"responsible_id": second.pk})
        assert (change.field, change.old, change.new) == (
            "responsible",
            "Иванов Пётр",
            "Петров Иван",
        )
        assert contact.responsible == second

        [change] = apply_changes(contact, {"responsible": first})
        assert (change.old, change.new) == ("Петров Иван", "Иванов Пётр")
        assert apply_changes(contact, {"responsible": first}) == []

    def test_choices_show_their_labels(self):
        company = Company(company_type="legal_entity")
        [change] = apply_changes(company, {"company_type": "sole_proprietor"})
        assert (change.old, change.new) == ("Legal entity", "Sole proprietor")

    def test_dates_and_empty_values_are_json_safe(self):
        contact = Contact()
        [change] = apply_changes(contact, {"birthday": datetime.date(1980, 11, 23)})
        assert (change.old, change.new) == (None, "1980-11-23")

    def test_setting_nothing_changes_nothing(self):
        assert apply_changes(Contact(last_name="Иванов"), {}) == []
