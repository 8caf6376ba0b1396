import pytest
from django.db import transaction

from voronka.contacts.models import Company
from voronka.contacts.tests.factories import CompanyFactory
from voronka.core.concurrency import lock_card, save_new_version
from voronka.core.exceptions import ConflictError

pytestmark = pytest.mark.django_db


def test_lock_card_returns_the_current_row():
    company = CompanyFactory(title="Ромашка")
    Company.objects.filter(pk=company.pk).update(title="Лютик")
    with transaction.atomic():
        locked = lock_card(Company.objects, company.pk, expected_version=1)
    assert locked.title == "Лютик"


def test_stale_version_is_a_conflict_naming_the_current_one():
    company = CompanyFactory()
    Company.objects.filter(pk=company.pk).update(version=3)
    with pytest.raises(ConflictError) as error, transaction.atomic():
        lock_card(Company.objects, company.pk, expected_version=2)
    assert error.value.current_version == 3
    assert "changed by someone else" in str(error.value)


def test_no_expected_version_means_no_check():
    company = CompanyFactory()
    Company.objects.filter(pk=company.pk).update(version=7)
    with transaction.atomic():
        assert lock_card(Company.objects, company.pk).version == 7


def test_save_new_version_saves_only_the_named_fields_and_bumps_the_version():
    company = CompanyFactory(title="Ромашка", industry="IT")
    before = company.updated_at
    Company.objects.filter(pk=company.pk).update(industry="Стройка")  # someone else's edit

    company.title = "Лютик"
    company.industry = "IT (stale)"
    save_new_version(company, ["title"])

    company.refresh_from_db()
    assert (company.title, company.industry, company.version) == ("Лютик", "Стройка", 2)
    assert company.updated_at > before


def test_two_edits_from_the_same_version_the_second_one_conflicts():
    company = CompanyFactory()
    with transaction.atomic():
        card = lock_card(Company.objects, company.pk, expected_version=1)
        card.title = "Первый"
        save_new_version(card, ["title"])

    with pytest.raises(ConflictError), transaction.atomic():
        lock_card(Company.objects, company.pk, expected_version=1)

    company.refresh_from_db()
    assert (company.title, company.version) == ("Первый", 2)
