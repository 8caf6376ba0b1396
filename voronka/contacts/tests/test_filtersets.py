import datetime

import pytest
from django.test import RequestFactory
from django.utils import timezone

from voronka.contacts.filtersets import CompanyFilterSet, ContactFilterSet
from voronka.contacts.models import Company, CompanyType, Contact
from voronka.contacts.services import contact_create
from voronka.contacts.tests.factories import (
    CompanyFactory,
    ContactCompanyFactory,
    ContactFactory,
    SoleProprietorFactory,
)
from voronka.customization.models import CustomField, EntityType, FieldType
from voronka.sales.tests.factories import SourceFactory
from voronka.staff.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def request_of(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def contacts(data, user=None):
    filterset = ContactFilterSet(data, queryset=Contact.objects.all(), request=request_of(user))
    assert filterset.is_valid(), filterset.errors
    return sorted(contact.pk for contact in filterset.qs)


def companies(data, user=None):
    filterset = CompanyFilterSet(data, queryset=Company.objects.all(), request=request_of(user))
    assert filterset.is_valid(), filterset.errors
    return sorted(company.pk for company in filterset.qs)


class TestContactFilterSet:
    def test_search_finds_names_in_any_case_and_phones_in_any_spelling(self, manager):
        ivanov = contact_create(
            actor=manager,
            data={"last_name": "Иванов", "first_name": "Пётр"},
            communications=[{"kind": "phone", "value": "+7 912 345-67-89"}],
        )
        petrov = contact_create(
            actor=manager,
            data={"last_name": "Петров"},
            communications=[{"kind": "email", "value": "petrov@example.ru"}],
        )

        assert contacts({"q": "иванов"}) == [ivanov.pk]
        assert contacts({"q": "8 (912) 345-67-89"}) == [ivanov.pk]
        assert contacts({"q": "PETROV@example.ru"}) == [petrov.pk]
        assert contacts({"q": "   "}) == sorted([ivanov.pk, petrov.pk])

    def test_responsible_source_and_mine(self, manager, other_manager):
        site = SourceFactory(code="site")
        mine = ContactFactory(responsible=manager, source=site)
        theirs = ContactFactory(responsible=other_manager)

        assert contacts({"responsible": [other_manager.pk]}) == [theirs.pk]
        assert contacts({"source": [site.pk]}) == [mine.pk]
        assert contacts({"mine": "1"}, user=manager) == [mine.pk]
        assert contacts({"mine": ""}, user=manager) == sorted([mine.pk, theirs.pk])

    def test_company_matches_any_of_the_contacts_companies(self, manager):
        works = ContactCompanyFactory(
            contact=ContactFactory(responsible=manager),
            company=CompanyFactory(title="ООО «Металлист»", responsible=manager),
            is_primary=False,
        ).contact
        ContactFactory(responsible=manager)
        hidden = CompanyFactory(title="ООО «Металлист-2»", responsible=UserFactory())
        ContactCompanyFactory(contact=ContactFactory(responsible=manager), company=hidden)

        # A company the user may not see does not answer the filter either.
        assert contacts({"company": "металлист"}, manager) == [works.pk]

    def test_created_range_is_inclusive_of_both_days(self, manager):
        old = ContactFactory(responsible=manager)
        new = ContactFactory(responsible=manager)
        Contact.objects.filter(pk=old.pk).update(
            created_at=timezone.now() - datetime.timedelta(days=10)
        )
        today = timezone.localdate().isoformat()

        assert contacts({"created_after": today}) == [new.pk]
        assert contacts({"created_before": today}) == sorted([old.pk, new.pk])

    def test_custom_fields_are_filters(self, manager):
        CustomField.objects.create(
            entity=EntityType.CONTACT, code="hobby", label="Хобби", field_type=FieldType.STRING
        )
        CustomField.objects.create(
            entity=EntityType.CONTACT,
            code="segment",
            label="Сегмент",
            field_type=FieldType.LIST,
            options=[{"id": "a", "label": "A"}, {"id": "b", "label": "B"}],
        )
        CustomField.objects.create(
            entity=EntityType.CONTACT, code="vip", label="VIP", field_type=FieldType.BOOLEAN
        )
        fisher = ContactFactory(
            responsible=manager, custom_fields={"hobby": "Рыбалка", "segment": "a", "vip": True}
        )
        other = ContactFactory(responsible=manager, custom_fields={"segment": "b"})

        assert contacts({"cf_hobby": "рыбал"}) == [fisher.pk]
        assert contacts({"cf_segment": "b"}) == [other.pk]
        assert contacts({"cf_vip": "true"}) == [fisher.pk]
        assert contacts({"cf_vip": "false"}) == [other.pk]

    def test_bad_values_are_form_errors_and_the_other_filters_still_apply(self, manager):
        kept = ContactFactory(responsible=manager, last_name="Иванов")
        ContactFactory(responsible=manager, last_name="Петров")
        filterset = ContactFilterSet(
            {"q": "Иванов", "created_after": "вчера", "responsible": ["x"], "source": ["999"]},
            queryset=Contact.objects.all(),
            request=request_of(manager),
        )

        assert not filterset.is_valid()
        assert set(filterset.errors) == {"created", "responsible", "source"}
        assert [contact.pk for contact in filterset.qs] == [kept.pk]

    def test_active_count_leaves_out_the_search(self, manager):
        filterset = ContactFilterSet(
            {"q": "x", "mine": "1", "company": "Ромашка"},
            queryset=Contact.objects.all(),
            request=request_of(manager),
        )
        assert filterset.active_count == 2


class TestCompanyFilterSet:
    def test_search_by_title_inn_and_phone(self, manager):
        romashka = CompanyFactory(title="ООО «Ромашка»", inn="7707083893", responsible=manager)
        CompanyFactory(title="ООО «Лютик»", responsible=manager)

        assert companies({"q": "ромашка"}) == [romashka.pk]
        assert companies({"q": "7707083893"}) == [romashka.pk]

    def test_type_industry_and_responsible(self, manager, other_manager):
        legal = CompanyFactory(industry="Металлургия", responsible=manager)
        sole = SoleProprietorFactory(industry="Розница", responsible=other_manager)

        assert companies({"company_type": [CompanyType.SOLE_PROPRIETOR]}) == [sole.pk]
        assert companies({"industry": "металл"}) == [legal.pk]
        assert companies({"responsible": [manager.pk]}) == [legal.pk]

    def test_an_inactive_employee_is_not_a_choice(self, manager):
        gone = UserFactory(is_active=False)
        filterset = CompanyFilterSet(
            {"responsible": [gone.pk]}, queryset=Company.objects.all(), request=request_of(manager)
        )
        assert "responsible" in filterset.errors

    def test_unknown_type_is_an_error_not_a_crash(self, manager):
        CompanyFactory(responsible=manager)
        filterset = CompanyFilterSet(
            {"company_type": ["spaceship"]},
            queryset=Company.objects.all(),
            request=request_of(manager),
        )
        assert "company_type" in filterset.errors
        assert filterset.qs.count() == 1
