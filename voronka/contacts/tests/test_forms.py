"""Input shape of the contact and company cards: list editors, custom fields, create forms."""

import pytest

from voronka.contacts import forms as card_forms
from voronka.contacts.models import AddressKind, CompanyAddress, CompanyType
from voronka.contacts.selectors.cards import responsible_choices, source_choices
from voronka.contacts.tests.factories import BankAccountFactory, CompanyFactory, PhoneFactory
from voronka.customization.models import CustomField, EntityType, FieldType


def _rows_data(prefix, rows):
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": str(len(rows))}
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{index}-{key}"] = value
    return data


def _rows_form(data=None, rows=None):
    return card_forms.RowsForm(
        data=data,
        initial={"rows": rows or []},
        formset_class=card_forms.AddressFormSet,
        prefix=card_forms.ADDRESS_PREFIX,
    )


def test_rows_form_gives_the_rows_in_screen_order():
    form = _rows_form(
        _rows_data(
            "addresses",
            [{"kind": "legal", "city": "Москва"}, {"kind": "postal", "city": "Тула"}],
        )
    )
    assert form.is_valid()
    assert [(row["kind"], row["city"]) for row in form.rows()] == [
        ("legal", "Москва"),
        ("postal", "Тула"),
    ]


def test_rows_form_without_its_management_data_is_invalid_with_a_message():
    form = _rows_form({"addresses-0-city": "Москва"})
    assert not form.is_valid()
    assert form.non_field_errors()


def test_rows_form_with_a_too_long_value_points_at_the_rows():
    form = _rows_form(_rows_data("addresses", [{"kind": "legal", "postal_code": "1" * 20}]))
    assert not form.is_valid()
    assert "Check the rows marked below." in form.non_field_errors()
    assert form.formset.forms[0].errors["postal_code"]


def test_unbound_rows_form_shows_the_given_rows():
    form = _rows_form(rows=[{"kind": "legal", "city": "Москва"}])
    assert not form.is_bound
    assert form.formset.total_form_count() == 1
    assert form.formset.forms[0]["city"].value() == "Москва"


def test_raw_rows_keep_what_was_typed_and_cap_the_count():
    data = _rows_data("addresses", [{"kind": "nonsense", "postal_code": "12"}])
    rows = card_forms.raw_rows(card_forms.AddressFormSet, data, "addresses")
    assert rows[0]["kind"] == "nonsense" and rows[0]["postal_code"] == "12"
    assert rows[0]["city"] == ""

    assert (
        card_forms.raw_rows(card_forms.AddressFormSet, {"addresses-TOTAL_FORMS": "x"}, "addresses")
        == []
    )
    many = card_forms.raw_rows(
        card_forms.AddressFormSet, {"addresses-TOTAL_FORMS": "100000"}, "addresses"
    )
    assert len(many) == 100


@pytest.mark.django_db
def test_current_rows_of_a_company(manager):
    company = CompanyFactory(responsible=manager)
    CompanyAddress.objects.create(company=company, kind=AddressKind.LEGAL, city="Москва")
    BankAccountFactory(company=company)
    PhoneFactory(card=company, value="+7 912 000-00-01")

    assert card_forms.address_rows(company)[0]["city"] == "Москва"
    assert card_forms.bank_account_rows(company)[0]["bic"] == "044525225"
    assert card_forms.bank_account_rows(company)[0]["is_primary"] is True
    assert card_forms.communication_rows(company) == [
        {"kind": "phone", "value_type": "work", "value": "+7 912 000-00-01"}
    ]


@pytest.mark.django_db
def test_custom_fields_form_shows_stored_values_and_gives_them_back():
    definitions = [
        CustomField.objects.create(
            entity=EntityType.CONTACT,
            code="budget",
            label="Бюджет",
            field_type=FieldType.MONEY,
        ),
        CustomField.objects.create(
            entity=EntityType.CONTACT,
            code="tags",
            label="Метки",
            field_type=FieldType.STRING,
            multiple=True,
        ),
        CustomField.objects.create(
            entity=EntityType.CONTACT,
            code="vip",
            label="VIP",
            field_type=FieldType.BOOLEAN,
        ),
        CustomField.objects.create(
            entity=EntityType.CONTACT,
            code="partner",
            label="Партнёр",
            field_type=FieldType.CRM_LINK,
        ),
    ]
    values = {
        "budget": {"amount": "12500.00", "currency": "USD"},
        "tags": ["опт", "розница"],
        "vip": False,
        "partner": {"entity": "deal", "id": 7},
    }
    form = card_forms.CustomFieldsForm(definitions=definitions, values=values)
    assert form["budget"].value() == "12500.00|USD"
    assert form["tags"].value() == "опт\nрозница"
    assert form["vip"].value() == "false"
    assert form["partner"].value() == "deal:7"

    bound = card_forms.CustomFieldsForm(
        data={"budget": "100", "tags": "a\n\n b \n", "vip": "true", "partner": "company:3"},
        definitions=definitions,
    )
    assert bound.is_valid()
    data = bound.service_data()
    card_forms.parse_crm_links(definitions, data)
    assert data == {
        "budget": "100",
        "tags": ["a", "b"],
        "vip": "true",
        "partner": {"entity": "company", "id": "3"},
    }


@pytest.mark.django_db
def test_custom_list_field_offers_the_options():
    definition = CustomField.objects.create(
        entity=EntityType.COMPANY,
        code="segment",
        label="Сегмент",
        field_type=FieldType.LIST,
        options=[{"id": "a", "label": "Крупный"}],
    )
    form = card_forms.CustomFieldsForm(definitions=[definition])
    assert ("a", "Крупный") in form.fields["segment"].choices


@pytest.mark.django_db
def test_contact_create_form_checks_phone_and_email_shape(manager):
    kwargs = {
        "employees": responsible_choices(user=manager),
        "sources": source_choices(user=manager),
    }
    form = card_forms.ContactCreateForm(
        data={"first_name": "Анна", "phone": "звонить", "email": "anna@"}, **kwargs
    )
    assert not form.is_valid()
    assert "is not a phone number" in form.errors["phone"][0]
    assert "is not an e-mail address" in form.errors["email"][0]

    form = card_forms.ContactCreateForm(
        data={"first_name": "Анна", "phone": "8 912 111 22 33", "responsible": manager.pk},
        **kwargs,
    )
    assert form.is_valid(), form.errors
    assert form.communications() == [{"kind": "phone", "value": "8 912 111 22 33"}]
    assert form.service_data()["responsible"] == manager


@pytest.mark.django_db
def test_company_create_form_defaults_to_a_legal_entity_and_leaves_the_responsible_out(manager):
    form = card_forms.CompanyCreateForm(
        data={"title": "ООО «Восток»"},
        employees=responsible_choices(user=manager),
        sources=source_choices(user=manager),
    )
    assert form.is_valid(), form.errors
    data = form.service_data()
    assert data["company_type"] == CompanyType.LEGAL_ENTITY
    assert "responsible" not in data


@pytest.mark.django_db
def test_responsible_is_a_typeahead_not_a_list_of_every_employee(manager, other_manager):
    company = CompanyFactory(responsible=manager)
    form = card_forms.CompanyMainForm(
        instance=company,
        employees=responsible_choices(user=manager),
        sources=source_choices(user=manager),
    )
    html = str(form["responsible"])
    assert "data-lookup" in html
    assert manager.get_full_name() in html
    assert other_manager.get_full_name() not in html


@pytest.mark.django_db
def test_requisites_typed_with_spaces_and_dashes_reach_the_service(manager):
    company = CompanyFactory(responsible=manager)
    form = card_forms.CompanyRequisitesForm(
        data={"inn": "77 07 08 38 93", "kpp": "7707-01-001", "ogrn": "1 02 77 00 13 23 95"},
        instance=company,
    )
    assert form.is_valid(), form.errors
    assert form.service_data()["inn"] == "77 07 08 38 93"


@pytest.mark.django_db
def test_company_create_form_reports_a_bad_inn_with_a_bad_email(manager):
    form = card_forms.CompanyCreateForm(
        data={"title": "ООО «Тест»", "inn": "7700000001", "email": "bad@"},
        employees=responsible_choices(user=manager),
        sources=source_choices(user=manager),
    )
    assert not form.is_valid()
    assert "wrong check digit" in form.errors["inn"][0]
    assert "is not an e-mail address" in form.errors["email"][0]
