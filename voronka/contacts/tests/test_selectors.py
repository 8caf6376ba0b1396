import pytest

from voronka.contacts.selectors import cards_by_communication, company_list, contact_list
from voronka.contacts.services import (
    company_create,
    company_delete,
    contact_create,
    contact_delete,
)
from voronka.contacts.tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db


def make_contacts(actor, count: int) -> None:
    for number in range(count):
        company = CompanyFactory(responsible=actor)
        contact_create(
            actor=actor,
            data={"last_name": f"Иванов {number}"},
            communications=[
                {"kind": "phone", "value": f"+7 912 000-{number:04d}"},
                {"kind": "email", "value": f"ivanov{number}@example.ru"},
            ],
            company_links=[{"company": company, "role": "CEO"}],
        )


def render_contacts(queryset) -> list[tuple]:
    return [
        (
            contact.full_name,
            str(contact.responsible),
            [row.value for row in contact.communications.all()],
            contact.primary_company.title if contact.primary_company else None,
        )
        for contact in queryset
    ]


class TestContactList:
    @pytest.mark.parametrize("count", [3, 30])
    def test_rendering_costs_the_same_queries_for_3_and_30_rows(
        self, manager, django_assert_num_queries, count
    ):
        make_contacts(manager, count)
        # contacts with responsible, their communications, their primary companies
        with django_assert_num_queries(3):
            rows = render_contacts(contact_list(user=manager))
        assert len(rows) == count
        assert all(row[3] for row in rows)

    def test_deleted_contacts_and_deleted_primary_companies_are_hidden(self, manager):
        make_contacts(manager, 2)
        first, second = contact_list(user=manager)
        contact_delete(actor=manager, contact=first)
        company_delete(actor=manager, company=second.primary_company)

        [row] = render_contacts(contact_list(user=manager))
        assert row[0] == second.full_name
        assert row[3] is None

    @pytest.mark.parametrize("search", ["иванов 1", "Иванов 1", "ИВАНОВ 1"])
    def test_search_by_name_ignores_case(self, manager, search):
        make_contacts(manager, 2)
        assert [c.last_name for c in contact_list(user=manager, search=search)] == ["Иванов 1"]

    @pytest.mark.parametrize("search", ["8 (912) 000-00-01", "+79120000001", "9120000001"])
    def test_search_by_phone_in_any_spelling(self, manager, search):
        make_contacts(manager, 3)
        assert [c.last_name for c in contact_list(user=manager, search=search)] == ["Иванов 1"]

    def test_search_by_email(self, manager):
        make_contacts(manager, 3)
        found = contact_list(user=manager, search="IVANOV2@example.ru")
        assert [contact.last_name for contact in found] == ["Иванов 2"]


class TestCompanyList:
    @pytest.mark.parametrize("count", [3, 30])
    def test_rendering_costs_the_same_queries_for_3_and_30_rows(
        self, manager, django_assert_num_queries, count
    ):
        for number in range(count):
            company_create(
                actor=manager,
                data={"title": f"Ромашка {number}"},
                communications=[{"kind": "phone", "value": f"+7495000{number:04d}"}],
            )
        with django_assert_num_queries(2):
            rows = [
                (company.title, str(company.responsible), list(company.communications.all()))
                for company in company_list(user=manager)
            ]
        assert len(rows) == count

    def test_search_by_title_and_inn(self, manager):
        romashka = CompanyFactory(title="ООО «Ромашка»", inn="7707083893", responsible=manager)
        CompanyFactory(title="ООО «Лютик»", responsible=manager)
        assert list(company_list(user=manager, search="ромашка")) == [romashka]
        assert list(company_list(user=manager, search="7707083893")) == [romashka]
        assert list(company_list(user=manager, search="770708")) == [romashka]

    def test_deleted_companies_are_hidden(self, manager):
        company = CompanyFactory(responsible=manager)
        company_delete(actor=manager, company=company)
        assert list(company_list(user=manager)) == []


class TestCardsByCommunication:
    def test_finds_contacts_and_companies_by_any_spelling(self, manager):
        contact = contact_create(
            actor=manager,
            data={"last_name": "Иванов"},
            communications=[{"kind": "phone", "value": "8 (912) 345-67-89"}],
        )
        company = company_create(
            actor=manager,
            data={"title": "Ромашка"},
            communications=[{"kind": "phone", "value": "+7 912 345 67 89"}],
        )
        contact_create(
            actor=manager,
            data={"last_name": "Петров"},
            communications=[{"kind": "phone", "value": "+7 912 345-67-88"}],
        )

        for spelling in ("89123456789", "+7(912)345-67-89", "9123456789"):
            assert set(cards_by_communication("phone", spelling)) == {contact, company}

    def test_deleted_cards_are_not_found(self, manager):
        contact = contact_create(
            actor=manager,
            data={"last_name": "Иванов"},
            communications=[{"kind": "email", "value": "ivanov@example.ru"}],
        )
        contact_delete(actor=manager, contact=contact)
        assert cards_by_communication("email", "Ivanov@Example.ru") == []

    def test_value_that_is_not_a_communication_finds_nothing(self, manager):
        assert cards_by_communication("phone", "не номер") == []
        assert cards_by_communication("fax", "123") == []
