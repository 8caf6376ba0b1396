"""Guessing the field of each column from its title."""

import pytest

from voronka.customization.models import CustomField, FieldType
from voronka.imports.mapping import guess_mapping, mapping_errors, normalize_header, targets_for

pytestmark = pytest.mark.django_db


def test_russian_and_english_titles():
    headers = [
        "Фамилия",
        "Имя",
        "Отчество",
        "Телефон",
        "Моб. телефон",
        "E-mail",
        "Эл. почта",
        "Дата рождения",
        "Ответственный",
        "Источник",
        "Комментарий",
        "Адрес",
        "Компания",
        "Что-то своё",
    ]
    assert guess_mapping("contact", headers) == [
        "last_name",
        "first_name",
        "middle_name",
        "phone",
        "phone_mobile",
        "email",
        "email",
        "birthday",
        "responsible",
        "source",
        "comment",
        "address",
        "company",
        "",
    ]
    assert guess_mapping("contact", ["Last name", "First name", "Phone", "Mobile phone"]) == [
        "last_name",
        "first_name",
        "phone",
        "phone_mobile",
    ]


def test_company_lead_and_deal_titles():
    assert guess_mapping("company", ["Название компании", "ИНН", "КПП", "Юридический адрес"]) == [
        "title",
        "inn",
        "kpp",
        "legal_address",
    ]
    assert guess_mapping("lead", ["Название", "Стадия", "Сумма", "Валюта", "Компания"]) == [
        "title",
        "stage",
        "amount",
        "currency",
        "company_title",
    ]
    assert guess_mapping("deal", ["Название сделки", "Воронка", "Стадия", "Компания"]) == [
        "title",
        "pipeline",
        "stage",
        "company",
    ]


def test_a_field_of_one_column_goes_to_the_first_column_naming_it():
    assert guess_mapping("contact", ["Фамилия", "фамилия"]) == ["last_name", ""]


def test_the_whole_name_in_one_column():
    assert guess_mapping("contact", ["ФИО", "Телефон"]) == ["full_name", "phone"]
    # The Russian export of the contact list: «Имя» holds the whole name.
    assert guess_mapping("contact", ["Имя", "Телефоны"]) == ["full_name", "phone"]
    assert guess_mapping("contact", ["Имя", "Фамилия"]) == ["first_name", "last_name"]


def test_custom_fields_by_their_label():
    CustomField.objects.create(
        entity="contact", code="shoe_size", label="Размер обуви", field_type=FieldType.INTEGER
    )
    assert guess_mapping("contact", ["Размер обуви", "Фамилия"]) == ["cf:shoe_size", "last_name"]


def test_mapping_errors():
    targets = targets_for("contact")
    assert mapping_errors("contact", ["phone", "phone"], targets) == []
    assert mapping_errors("contact", ["last_name", "last_name"], targets)
    assert mapping_errors("contact", ["", ""], targets)
    assert mapping_errors("contact", ["unknown"], targets)


def test_normalize_header():
    assert normalize_header("  Моб. Телефон ") == "моб телефон"
    assert normalize_header("E-mail") == "e mail"
    assert normalize_header("Ёмкость") == "емкость"
