import pytest
from django.db import connection

from voronka.core.sqlite import unicode_like
from voronka.customization.models import Source


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("%металл%", "ООО Металлист", True),
        ("МЕТ%", "металлист", True),
        ("%ё%", "Ёлка", True),
        ("a_c", "ABC", True),
        ("a_c", "abbc", False),
        ("100\\%", "100%", True),
        ("100\\%", "1000", False),
    ],
)
def test_like_folds_case_in_every_alphabet_and_keeps_wildcards(pattern, value, expected):
    assert unicode_like(pattern, value, "\\") is expected


def test_like_with_null_is_null():
    assert unicode_like(None, "x") is None
    assert unicode_like("x", None) is None


@pytest.mark.django_db
def test_icontains_finds_cyrillic_in_any_case_on_every_database():
    Source.objects.create(code="metal", name="Металлист")

    assert connection.vendor in {"sqlite", "postgresql"}
    assert Source.objects.filter(name__icontains="металл").exists()
    assert Source.objects.filter(name__istartswith="МЕТАЛ").exists()
    assert not Source.objects.filter(name__icontains="пластик").exists()


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("%сайт%", "Разработка САЙТА", True),
        ("%сайт", "Новый Сайт", True),
        ("%сайт", "Сайт новый", False),
        ("иван%", "Иванов", True),
        ("иван%", "Петров-Иванов", False),
        ("%", "что угодно", True),
        ("ab%cd", "ABxxCD", True),
        ("%50\\%%", "скидка 50% до пятницы", True),
        ("%50\\%%", "скидка 500 до пятницы", False),
    ],
)
def test_the_shapes_django_emits_match_like_sql_does(pattern, value, expected):
    assert unicode_like(pattern, value, "\\") is expected
