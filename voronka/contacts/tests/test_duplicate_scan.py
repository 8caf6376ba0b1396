"""The background duplicate scan: which groups it finds, keeps, re-opens and removes."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.utils import timezone

from voronka.contacts.duplicate_scan import scan_duplicates, scan_duplicates_task
from voronka.contacts.models import (
    Communication,
    CommunicationKind,
    Company,
    Contact,
    DuplicateGroup,
    DuplicateRule,
)
from voronka.contacts.services.merge import refresh_keys
from voronka.contacts.tests.factories import CompanyFactory, ContactFactory, make_inn, make_kpp
from voronka.core.normalization import normalize_email, normalize_phone

pytestmark = pytest.mark.django_db


def add(card, kind, value):
    normalized = normalize_phone(value) if kind == "phone" else normalize_email(value)
    Communication.objects.create(
        card_type=ContentType.objects.get_for_model(card),
        card_id=card.pk,
        kind=kind,
        value=value,
        value_normalized=normalized,
    )


def contact(last_name, first_name="Пётр", *, phones=(), emails=(), **fields):
    card = ContactFactory(last_name=last_name, first_name=first_name, **fields)
    refresh_keys(card)
    for phone in phones:
        add(card, CommunicationKind.PHONE, phone)
    for email in emails:
        add(card, CommunicationKind.EMAIL, email)
    return card


def company(title, **fields):
    card = CompanyFactory(title=title, **fields)
    refresh_keys(card)
    return card


def groups(model, rule):
    return {
        group.key: group.card_ids
        for group in DuplicateGroup.objects.filter(
            card_type=ContentType.objects.get_for_model(model), rule=rule
        )
    }


class TestFinding:
    def test_phone_variants_are_one_number(self):
        first = contact("Иванов", phones=["+7 912 345-67-89"])
        second = contact("Сидоров", phones=["8 (912) 345-67-89"])
        third = contact("Петров", phones=["9123456789", "+7 912 000-00-01"])
        contact("Другой", phones=["+7 912 000-00-02"])

        scan_duplicates()

        assert groups(Contact, DuplicateRule.PHONE) == {
            "+79123456789": [first.pk, second.pk, third.pk]
        }

    def test_email_case_does_not_matter(self):
        first = contact("Иванов", emails=["Ivanov@Example.ru"])
        second = contact("Иванов", emails=["ivanov@example.ru"])
        scan_duplicates()
        assert groups(Contact, DuplicateRule.EMAIL) == {"ivanov@example.ru": [first.pk, second.pk]}

    def test_inn_and_inn_with_kpp(self):
        inn = make_inn(500)
        head_office = company("Ромашка", inn=inn, kpp=make_kpp(inn))
        same = company("Ромашка центр", inn=inn, kpp=make_kpp(inn))
        branch = company("Ромашка филиал", inn=inn, kpp=inn[:4] + "02001")
        company("Лютик")

        scan_duplicates()

        assert groups(Company, DuplicateRule.INN) == {inn: [head_office.pk, same.pk, branch.pk]}
        assert groups(Company, DuplicateRule.INN_KPP) == {
            f"{inn}/{make_kpp(inn)}": [head_office.pk, same.pk]
        }

    def test_company_name_variants(self):
        exact = company("ООО «Ромашка»")
        reordered = company("Ромашка ООО")
        typo = company("Ромащка")
        company("Ромашка Плюс")
        company("Ромашка-2")

        scan_duplicates()

        found = groups(Company, DuplicateRule.COMPANY_NAME)
        assert list(found.values()) == [sorted([exact.pk, reordered.pk, typo.pk])]
        group = DuplicateGroup.objects.get(rule=DuplicateRule.COMPANY_NAME)
        assert 87 <= group.score < 100

    def test_person_is_a_name_and_a_phone(self):
        first = contact("Иванов", "Пётр", phones=["+7 912 345-67-89"])
        second = contact("Иванов", "Петр", phones=["8 912 345 67 89"], middle_name="Ильич")
        contact("Сидорова", "Анна", phones=["+7 912 345-67-89"])  # a colleague at one number

        scan_duplicates()

        person = groups(Contact, DuplicateRule.PERSON)
        assert list(person.values()) == [[first.pk, second.pk]]

    def test_cards_in_the_recycle_bin_are_ignored(self):
        contact("Иванов", phones=["+7 912 345-67-89"])
        deleted = contact("Иванов", phones=["+7 912 345-67-89"])
        Contact.all_objects.filter(pk=deleted.pk).update(deleted_at=timezone.now())
        inn = make_inn(600)
        company("Альфа", inn=inn)
        gone = company("Альфа", inn=inn)
        Company.all_objects.filter(pk=gone.pk).update(deleted_at=timezone.now())

        scan_duplicates()

        assert DuplicateGroup.objects.count() == 0


class TestKeeping:
    def test_dismissed_stays_dismissed_until_the_members_change(self, manager):
        first = contact("Иванов", phones=["+7 912 345-67-89"])
        contact("Сидоров", phones=["+7 912 345-67-89"])
        scan_duplicates()
        group = DuplicateGroup.objects.get(rule=DuplicateRule.PHONE)
        group.dismissed_at, group.dismissed_by = timezone.now(), manager
        group.save()

        scan_duplicates()
        group.refresh_from_db()
        assert group.dismissed_at is not None

        contact("Петров", phones=["+7 912 345-67-89"])
        scan_duplicates()
        group.refresh_from_db()
        assert group.dismissed_at is None and group.size == 3
        assert first.pk in group.card_ids

    def test_groups_that_no_longer_hold_are_removed(self):
        contact("Иванов", phones=["+7 912 345-67-89"])
        second = contact("Сидоров", phones=["+7 912 345-67-89"])
        scan_duplicates()
        assert DuplicateGroup.objects.filter(rule=DuplicateRule.PHONE).count() == 1

        Contact.all_objects.filter(pk=second.pk).update(deleted_at=timezone.now())
        stats = scan_duplicates()

        assert stats["contact:phone"].removed == 1
        assert not DuplicateGroup.objects.filter(rule=DuplicateRule.PHONE).exists()

    def test_a_second_scan_changes_nothing(self, django_assert_max_num_queries):
        for number in range(5):
            contact(f"Иванов {number}", phones=[f"+7 912 345-67-8{number}", "+7 912 000-00-00"])
        scan_duplicates()
        before = list(DuplicateGroup.objects.values())
        stats = scan_duplicates()
        assert list(DuplicateGroup.objects.values()) == before
        assert all(item.created == item.changed == item.removed == 0 for item in stats.values())


def test_command_and_task(capsys):
    contact("Иванов", phones=["+7 912 345-67-89"])
    contact("Сидоров", phones=["+7 912 345-67-89"])
    call_command("scan_duplicates", "--entity", "contact", "--rule", "phone")
    assert "contact:phone: 1 groups (1 new" in capsys.readouterr().out
    assert scan_duplicates_task()["groups"] == 1
