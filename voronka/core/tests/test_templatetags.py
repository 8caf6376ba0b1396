from decimal import Decimal

from django.utils import translation

from voronka.core.templatetags.voronka import initials, money, phone
from voronka.staff.tests.factories import UserFactory


def test_money_groups_thousands_the_russian_way():
    with translation.override("ru"):
        assert money(Decimal("1234567.5"), "RUB") == "1\u00a0234\u00a0567,50\u00a0₽"


def test_money_in_english_uses_commas_and_a_point():
    with translation.override("en"):
        assert money(Decimal("12500"), "USD") == "12,500.00\u00a0$"


def test_money_of_nothing_is_empty_and_unknown_currency_shows_its_code():
    assert money(None) == ""
    with translation.override("en"):
        assert money("10", "XYZ") == "10.00\u00a0XYZ"


def test_phone_in_any_spelling_is_shown_internationally():
    assert phone("8 (912) 345-67-89") == "+7 912 345-67-89"
    assert phone("not a phone") == "not a phone"


def test_initials_from_names_or_login(db):
    assert initials(UserFactory.build(first_name="Анна", last_name="Петрова")) == "АП"
    assert initials(UserFactory.build(first_name="", last_name="", username="zoe")) == "Z"
