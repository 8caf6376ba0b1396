"""Which existing cards count as duplicates of a new one, and what the lookup costs."""

import pytest
from django.contrib.contenttypes.models import ContentType

from voronka.contacts.duplicates import Match, company_name_score, find_duplicates
from voronka.contacts.models import Communication, Company, Contact
from voronka.contacts.tests.factories import CompanyFactory, ContactFactory, make_inn, make_kpp
from voronka.core.normalization import (
    company_name_key,
    normalize_email,
    normalize_phone,
    person_name_key,
)

pytestmark = pytest.mark.django_db


def _phone(card, value, kind="phone"):
    normalized = normalize_phone(value) if kind == "phone" else normalize_email(value)
    Communication.objects.create(
        card_type=ContentType.objects.get_for_model(card),
        card_id=card.pk,
        kind=kind,
        value=value,
        value_normalized=normalized,
    )


def contact(last_name, first_name, *, phones=(), emails=()):
    card = ContactFactory(last_name=last_name, first_name=first_name, middle_name="")
    card.name_key = person_name_key(last_name, first_name, "")
    card.save(update_fields=["name_key"])
    for phone in phones:
        _phone(card, phone)
    for email in emails:
        _phone(card, email, kind="email")
    return card


def company(title, **kwargs):
    card = CompanyFactory(title=title, **kwargs)
    card.title_key = company_name_key(title)
    card.save(update_fields=["title_key"])
    return card


@pytest.mark.parametrize("typed", ["+7 (912) 345-67-89", "8 912 345 67 89", "9123456789"])
def test_a_phone_written_any_way_finds_the_contact(typed):
    ivanov = contact("Иванов", "Пётр", phones=["+7 912 345-67-89"])
    matches = find_duplicates("contact", {"phones": [typed]})
    assert [(m.card_id, m.rule) for m in matches] == [(ivanov.pk, "phone")]
    assert matches[0] == Match("contact", ivanov.pk, ivanov, "phone", 100, "+79123456789")


def test_another_digit_of_the_phone_is_no_match():
    contact("Иванов", "Пётр", phones=["+7 912 345-67-89"])
    assert find_duplicates("contact", {"phones": ["+7 912 345-67-88"]}) == []


def test_an_email_in_other_case_and_spaces_finds_the_contact():
    ivanov = contact("Иванов", "Пётр", emails=["ivanov@mail.ru"])
    matches = find_duplicates("contact", {"emails": ["IVANOV@Mail.ru "]})
    assert [(m.card_id, m.rule) for m in matches] == [(ivanov.pk, "email")]


@pytest.mark.parametrize("title", ['ООО "Ромашка"', "Ромашка ООО", "Romashka LLC", "ромашка"])
def test_company_name_variants_find_the_company(title):
    romashka = company("ООО «Ромашка»")
    matches = find_duplicates("company", {"title": title})
    assert [(m.card_id, m.rule, m.score) for m in matches] == [(romashka.pk, "company_name", 100)]


@pytest.mark.parametrize(
    ("existing", "typed"),
    [
        ("Ромашка", "Ромашко"),  # a typo
        ("Торговый дом Ромашка", "Ромашка, торговый дом"),  # words in another order
    ],
)
def test_near_company_names_find_the_company(existing, typed):
    card = company(existing)
    assert [m.card_id for m in find_duplicates("company", {"title": typed})] == [card.pk]


@pytest.mark.parametrize(
    ("existing", "typed"),
    [
        # Numbered names are separate legal entities by convention: «Ромашка-2» is not
        # «Ромашка» (the INN finds them when they really are one company).
        ("Ромашка", "Ромашка-2"),
        ("Альфа", "Альфа-Банк"),
        ("Вектор", "Бектор"),
        ("Ромашка", "Ромашка Плюс"),
    ],
)
def test_other_company_names_are_no_match(existing, typed):
    company(existing)
    assert find_duplicates("company", {"title": typed}) == []


def test_company_name_scores():
    assert company_name_score("romashka", "romashka") == 100
    assert company_name_score("romashka 2", "romashka") == 0
    assert company_name_score("alfa", "alf") == 0  # short names only match exactly


def test_inn_with_spaces_finds_the_company():
    inn = make_inn(42)
    romashka = company("Ромашка", inn=inn)
    typed = f"{inn[:4]} {inn[4:]} "
    matches = find_duplicates("company", {"title": "Совсем другое", "inn": typed})
    assert [(m.card_id, m.rule) for m in matches] == [(romashka.pk, "inn")]


def test_a_branch_with_another_kpp_is_no_duplicate_under_inn_and_kpp():
    inn = make_inn(43)
    head_office = company("Ромашка", inn=inn, kpp=make_kpp(inn))
    branch = {"title": "Ромашка, филиал", "inn": inn, "kpp": inn[:4] + "02001"}
    assert find_duplicates("company", branch, rules=["inn_kpp"]) == []
    same = {**branch, "kpp": make_kpp(inn)}
    assert [m.rule for m in find_duplicates("company", same, rules=["inn_kpp"])] == ["inn_kpp"]
    # By INN alone the branch is the same company.
    assert [m.card_id for m in find_duplicates("company", branch, rules=["inn"])] == [
        head_office.pk
    ]


def test_person_name_in_latin_with_the_same_phone_is_the_same_person():
    ivanov = contact("Иванов", "Пётр", phones=["+7 912 345-67-89"])
    data = {"last_name": "Ivanov", "first_name": "Petr", "phones": ["89123456789"]}
    matches = find_duplicates("contact", data, rules=["person"])
    assert [(m.card_id, m.rule) for m in matches] == [(ivanov.pk, "person")]
    # Under every rule the person rule names it (stronger than the bare phone).
    assert [m.rule for m in find_duplicates("contact", data)] == ["person"]


def test_same_name_with_another_phone_is_no_match():
    contact("Иванов", "Пётр", phones=["+7 912 345-67-89"])
    data = {"last_name": "Иванов", "first_name": "Пётр", "phones": ["+7 912 000-11-22"]}
    assert find_duplicates("contact", data) == []


def test_same_phone_other_name_is_no_person_match():
    contact("Иванов", "Пётр", phones=["+7 912 345-67-89"])
    data = {"last_name": "Петрова", "first_name": "Анна", "phones": ["+7 912 345-67-89"]}
    assert find_duplicates("contact", data, rules=["person"]) == []


def test_the_card_itself_and_deleted_cards_are_left_out():
    ivanov = contact("Иванов", "Пётр", phones=["+7 912 345-67-89"])
    petrov = contact("Петров", "Иван", phones=["+7 912 345-67-89"])
    assert [
        m.card_id for m in find_duplicates("contact", {"phones": ["9123456789"]}, exclude=ivanov)
    ] == [petrov.pk]
    Contact.objects.filter(pk=petrov.pk).update(deleted_at="2026-01-01T00:00:00Z")
    assert find_duplicates("contact", {"phones": ["9123456789"]}, exclude=ivanov) == []


def test_lead_is_compared_with_contacts_companies_by_phone_and_companies_by_name():
    ivanov = contact("Иванов", "Пётр", phones=["+7 912 345-67-89"])
    romashka = company("ООО «Ромашка»")
    _phone(romashka, "+7 495 123-45-67")
    data = {
        "last_name": "Иванов",
        "first_name": "Пётр",
        "company_title": "Ромашка",
        "phones": ["+7 495 123 45 67", "8 912 345 67 89"],
    }
    found = {(m.entity, m.card_id) for m in find_duplicates("lead", data)}
    assert found == {("contact", ivanov.pk), ("company", romashka.pk)}


def test_a_check_costs_the_same_queries_among_10_or_10000_companies(
    django_assert_num_queries,
):
    company("Ромашка")
    data = {"title": "Ромашко", "inn": make_inn(7), "phones": ["+7 495 123-45-67"]}
    # Communications, INN, three ranges of the name key index, the matching company.
    with django_assert_num_queries(6):
        few = find_duplicates("company", data)
    Company.objects.bulk_create(
        Company(
            title=f"Компания {n}",
            title_key=f"romanov {n}",
            inn=make_inn(1000 + n),
            responsible_id=Company.objects.first().responsible_id,
        )
        for n in range(10000)
    )
    with django_assert_num_queries(6):
        many = find_duplicates("company", data)
    assert [m.card_id for m in few] == [m.card_id for m in many]
