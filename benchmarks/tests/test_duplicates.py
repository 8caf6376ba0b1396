"""Scenario 10, the duplicate check: the spellings it types are the same company to the
finder, and data written in bulk gets the name keys the finder reads."""

import pytest

from benchmarks import data
from benchmarks.scenarios import duplicates
from benchmarks.scenarios.base import Context
from benchmarks.sizes import TINY
from voronka.contacts.models import Company, Contact
from voronka.core.normalization import company_name_key


def test_a_company_name_is_typed_four_ways_that_mean_the_same_company():
    spellings = duplicates.name_spellings('ООО "Ромашка"')
    assert spellings == ['ООО "Ромашка"', "Ромашка ООО", "Romashka LLC", "ООО «Ромашкаа»"]
    assert {company_name_key(s) for s in spellings[:3]} == {"romashka"}


def test_cards_written_without_name_keys_get_them_before_the_check(django_user_model):
    manager = django_user_model.objects.create(username="manager")
    Company.objects.create(title='АО "Горизонт"', responsible=manager)
    Contact.objects.create(last_name="Дёмин", first_name="Вадим", responsible=manager)
    Company.all_objects.update(title_key="")
    Contact.all_objects.update(name_key="")
    duplicates.ensure_name_keys(lambda _message: None)
    assert list(Company.objects.values_list("title_key", flat=True)) == ["gorizont"]
    assert list(Contact.objects.values_list("name_key", flat=True)) == ["demin vadim"]


@pytest.mark.django_db
def test_every_check_finds_the_card_it_was_given_and_none_for_a_new_person():
    dataset = data.build(TINY, log=lambda _message: None)
    context = Context(sizes=TINY, dataset=dataset, database="test", log=lambda _m: None)
    rows = duplicates.run(context)
    operations = [row.operation for row in rows]
    assert operations == [
        "contact: phone, 3 spellings",
        "contact: e-mail, 2 spellings",
        "contact: person name + phone",
        "contact: no duplicate (new phone, e-mail, name)",
        "company: INN",
        "company: INN + KPP",
        "company: name, 4 spellings (ООО «…», … ООО, Latin, typo)",
    ]
    for row in rows:
        assert not row.error and row.queries >= 1 and row.reference_median_ms > 0
