import pytest

from voronka.core.normalization import (
    company_name_key,
    digits_only,
    format_phone,
    normalize_email,
    normalize_messenger,
    normalize_phone,
    normalize_url,
    person_name_key,
    transliterate,
)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("8 (912) 345-67-89", "+79123456789"),
        ("+7 912 3456789", "+79123456789"),
        ("9123456789", "+79123456789"),
        ("89123456789", "+79123456789"),
        ("79123456789", "+79123456789"),
        ("7 912 345 67 89", "+79123456789"),
        ("  +7 (912) 345-67-89  ", "+79123456789"),
        ("+7(495)123-45-67", "+74951234567"),
        ("8-800-555-35-35", "+78005553535"),
        ("+44 20 7946 0958", "+442079460958"),
        ("8 10 44 20 7946 0958", "+442079460958"),
        ("0044 20 7946 0958", "+442079460958"),
        ("+1 202 555 0143", "+12025550143"),
    ],
)
def test_phones_as_people_type_them(typed, expected):
    assert normalize_phone(typed) == expected


@pytest.mark.parametrize("typed", ["", "   ", None, "garbage", "позвоните мне", "123", "+7 912"])
def test_things_that_are_not_phones_give_none(typed):
    assert normalize_phone(typed) is None


@pytest.mark.parametrize(
    "typed",
    [
        "12345678901234",  # 14 random digits: becomes +712345678901234
        "1234567",  # seven digits: becomes +71234567
        "+7 000 000 00 00",  # no such range
    ],
)
def test_garbage_that_looks_numeric_gives_none(typed):
    assert normalize_phone(typed) is None


def test_foreign_region_reads_national_numbers_of_that_region():
    assert normalize_phone("020 7946 0958", region="GB") == "+442079460958"


def test_format_phone_for_display():
    assert format_phone("+79123456789") == "+7 912 345-67-89"
    assert format_phone("not a phone") == "not a phone"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Ivanov@Example.RU", "ivanov@example.ru"),
        ("  petrov@example.ru ", "petrov@example.ru"),
        ("mailto:Sidorov@example.ru", "sidorov@example.ru"),
        ("иванов@почта.рф", "иванов@почта.рф"),
    ],
)
def test_emails_are_trimmed_and_lower_cased(typed, expected):
    assert normalize_email(typed) == expected


@pytest.mark.parametrize("typed", ["", None, "ivanov", "ivanov@", "ivanov@example", "a b@c.ru"])
def test_things_that_are_not_emails_give_none(typed):
    assert normalize_email(typed) is None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("https://www.Example.ru/", "example.ru"),
        ("http://example.ru/shop/", "example.ru/shop"),
        ("example.ru", "example.ru"),
        ("WWW.EXAMPLE.RU", "example.ru"),
    ],
)
def test_urls_compare_without_scheme_www_and_slash(typed, expected):
    assert normalize_url(typed) == expected


@pytest.mark.parametrize("typed", ["", "   ", None, "https://"])
def test_empty_urls_give_none(typed):
    assert normalize_url(typed) is None


def test_messenger_handles_without_at_and_case():
    assert normalize_messenger(" @Ivanov ") == "ivanov"
    assert normalize_messenger("") is None


def test_digits_only():
    assert digits_only("+7 (912) 345-67-89") == "79123456789"
    assert digits_only(None) == ""


@pytest.mark.parametrize(
    "title",
    [
        'ООО "Ромашка"',
        "Ромашка ООО",
        "„Ромашка“, ООО",
        "ЗАО 'Ромашка'",
        "Общество с ограниченной ответственностью «Ромашка»",
        "Romashka LLC",
        "Romashka Ltd.",
        "ромашка",
        "  РОМАШКА  ",
    ],
)
def test_company_names_lose_legal_form_quotes_case_and_alphabet(title):
    assert company_name_key(title) == "romashka"


def test_company_name_keys_keep_numbers_and_other_words():
    assert company_name_key("Ромашка-2") == "romashka 2"
    assert company_name_key("Альфа-Банк") == "alfa bank"
    assert company_name_key("ООО") == ""


def test_transliteration_folds_the_usual_spellings():
    assert transliterate("Щукин Хабаров") == transliterate("Shchukin Khabarov")
    assert transliterate("Пётр") == transliterate("Petr") == "petr"


def test_person_name_keys_meet_across_alphabets():
    assert person_name_key("Иванов", "Пётр") == person_name_key("Ivanov", "Petr") == "ivanov petr"
    assert person_name_key("Иванов", "", "Сергеевич") == "ivanov sergeevich"
