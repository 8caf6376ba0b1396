"""The list machinery and access rights: hidden fields drop their columns in one place (page,
column chooser, sorting, export), bulk actions report refused cards, export needs its right."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from voronka.access.models import Action, Entity, FieldRule, Scope
from voronka.access.tests.factories import role_with
from voronka.contacts.tests.factories import ContactFactory
from voronka.core.lists import BulkReport, Column, ListSpec, parse_sort
from voronka.customization.models import CustomField, EntityType, FieldType


def spec() -> ListSpec:
    return ListSpec(
        key="things",
        columns=[
            Column(key="title", label="Title", value=lambda row: row, sort=("title",)),
            Column(key="amount", label="Amount", value=lambda row: 1, sort=("amount",)),
            Column(key="phones", label="Phones", value=lambda row: "", fields=("communications",)),
            Column(key="cf_budget", label="Budget", value=lambda row: None, default=False),
        ],
        default_sort="-amount",
        fixed=("title",),
    )


class TestHiddenColumns:
    def test_nothing_hidden_keeps_the_spec(self):
        original = spec()
        assert original.without_fields(()) is original

    def test_a_hidden_field_drops_its_column_and_its_sort(self):
        narrowed = spec().without_fields({"amount"})
        assert [column.key for column in narrowed.columns] == ["title", "phones", "cf_budget"]
        assert narrowed.default_sort == "title"
        assert parse_sort(narrowed, "-amount").key == "title"
        assert narrowed.visible(["amount", "title"]) == [narrowed.column("title")]

    def test_columns_are_matched_on_their_field_codes_and_custom_field_codes(self):
        narrowed = spec().without_fields({"communications", "budget"})
        assert [column.key for column in narrowed.columns] == ["title", "amount"]

    def test_a_hidden_fixed_column_is_no_longer_fixed(self):
        narrowed = spec().without_fields({"title"})
        assert narrowed.fixed == ()
        assert narrowed.default_sort == "-amount"


class TestBulkReport:
    def test_a_refused_card_is_reported_with_the_reason_and_the_rest_goes_on(self):
        def operation(card):
            if card == "чужая":
                raise PermissionDenied
            if card == "плохая":
                raise ValidationError("Неверно.")

        report = BulkReport().run(["своя", "чужая", "плохая"], operation, "no rights to change it.")
        assert report.done == ["своя"]
        assert report.failed == [("чужая", "no rights to change it."), ("плохая", "Неверно.")]


@pytest.mark.django_db
class TestHiddenFieldsInTheContactList:
    @pytest.fixture
    def viewer(self, client, manager):
        role = role_with(
            (Entity.CONTACT, Action.READ, Scope.OWN),
            (Entity.CONTACT, Action.EXPORT, Scope.OWN),
            members=[manager],
        )
        FieldRule.objects.create(
            role=role, entity=Entity.CONTACT, field="position", access="hidden"
        )
        FieldRule.objects.create(role=role, entity=Entity.CONTACT, field="hobby", access="hidden")
        CustomField.objects.create(
            entity=EntityType.CONTACT, code="hobby", label="Хобби", field_type=FieldType.STRING
        )
        ContactFactory(
            responsible=manager, position="Главный инженер", custom_fields={"hobby": "Рыбалка"}
        )
        client.force_login(manager)
        return client

    def test_page_chooser_and_export_leave_the_hidden_columns_out(self, viewer, manager):
        from voronka.core.models import UserPreference

        UserPreference.objects.create(
            user=manager, key="list_columns:contacts", value=["name", "position", "cf_hobby"]
        )
        page = viewer.get(reverse("contacts:contact_list"), {"sort": "position"})
        html = page.content.decode()
        assert page.status_code == 200
        assert "Главный инженер" not in html and "Рыбалка" not in html
        assert "Position" not in html and "Хобби" not in html

        chooser = viewer.get(reverse("contacts:contact_columns"), headers={"HX-Request": "true"})
        text = chooser.content.decode()
        assert 'value="position"' not in text and 'value="cf_hobby"' not in text

        export = viewer.get(reverse("contacts:contact_export", args=["csv"]))
        body = b"".join(export.streaming_content).decode()
        assert "Position" not in body and "Главный инженер" not in body
        assert "Хобби" not in body and "Рыбалка" not in body

        viewer.post(reverse("contacts:contact_columns"), {"columns": ["position", "email"]})
        preference = UserPreference.objects.get(user=manager, key="list_columns:contacts")
        assert "position" not in preference.value

    def test_no_export_right_no_export_button_and_403(self, client, manager):
        role_with((Entity.CONTACT, Action.READ, Scope.OWN), members=[manager])
        client.force_login(manager)
        html = client.get(reverse("contacts:contact_list")).content.decode()
        assert "/contacts/export/" not in html
        assert client.get(reverse("contacts:contact_export", args=["xlsx"])).status_code == 403
