"""Contacts and companies (requisites, addresses, bank accounts, communications, links) and
tasks (create, change, statuses, deadline, comments, delete) through the API."""

import pytest

from voronka.api.tests.conftest import errors_of
from voronka.contacts.models import Company, Contact
from voronka.contacts.tests.factories import CompanyFactory, ContactFactory, make_settlement_account
from voronka.tasks.models import Task, TaskStatus
from voronka.tasks.tests.factories import TaskFactory

pytestmark = pytest.mark.django_db
BIC = "044525225"


def test_company_with_requisites_addresses_and_bank_accounts(api, manager):
    response = api.post(
        "/api/v1/companies/",
        {
            "title": "ООО Ромашка",
            "company_type": "legal_entity",
            "inn": "7707083893",
            "communications": [{"kind": "email", "value": "info@romashka.ru"}],
            "addresses": [{"kind": "legal", "city": "Москва", "street_address": "Тверская, 1"}],
            "bank_accounts": [
                {
                    "bank_name": "ПАО Сбербанк",
                    "bic": BIC,
                    "account_number": make_settlement_account(BIC, 1),
                    "correspondent_account": "30101810400000000225",
                }
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["inn"] == "7707083893"
    assert body["addresses"][0]["city"] == "Москва"
    assert body["bank_accounts"][0]["is_primary"] is True
    assert body["communications"][0]["value"] == "info@romashka.ru"
    assert Company.objects.get(pk=body["id"]).responsible == manager


def test_company_requisites_are_checked(api):
    response = api.post(
        "/api/v1/companies/",
        {"title": "ООО Ромашка", "company_type": "legal_entity", "inn": "7707083890"},
        format="json",
    )
    assert response.status_code == 400
    assert "inn" in errors_of(response)


def test_company_update_replaces_the_lists_given(api, manager):
    company = CompanyFactory(responsible=manager, created_by=manager)
    response = api.patch(
        f"/api/v1/companies/{company.pk}/",
        {"title": "Новое имя", "addresses": [{"kind": "actual", "city": "Казань"}]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["title"] == "Новое имя"
    assert [row["city"] for row in response.json()["addresses"]] == ["Казань"]


def test_contact_created_linked_and_unlinked(api, manager):
    company = CompanyFactory(responsible=manager, created_by=manager)
    response = api.post(
        "/api/v1/contacts/",
        {
            "last_name": "Смирнова",
            "first_name": "Анна",
            "communications": [{"kind": "phone", "value": "+7 912 111-22-33"}],
            "companies": [{"company": company.pk, "role": "бухгалтер"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    contact_id = response.json()["id"]
    assert response.json()["companies"] == [
        {"company": company.pk, "is_primary": True, "role": "бухгалтер"}
    ]
    unlinked = api.post(
        f"/api/v1/contacts/{contact_id}/unlink-company/", {"company": company.pk}, format="json"
    )
    assert unlinked.json()["companies"] == []
    linked = api.post(
        f"/api/v1/contacts/{contact_id}/link-company/",
        {"company": company.pk, "is_primary": True},
        format="json",
    )
    assert linked.json()["companies"][0]["company"] == company.pk


def test_contact_needs_a_name(api):
    response = api.post("/api/v1/contacts/", {"position": "Директор"}, format="json")
    assert response.status_code == 400
    assert "last_name" in errors_of(response)


def test_contact_filters_and_delete(api, manager):
    wanted = ContactFactory(responsible=manager, last_name="Кузнецов")
    ContactFactory(responsible=manager, last_name="Орлов")
    rows = api.get("/api/v1/contacts/", {"q": "Кузн"}).json()["results"]
    assert [row["id"] for row in rows] == [wanted.pk]
    assert api.delete(f"/api/v1/contacts/{wanted.pk}/").status_code == 204
    assert Contact.all_objects.get(pk=wanted.pk).is_deleted


def test_task_life(api, manager, other_manager):
    deal_less = api.post(
        "/api/v1/tasks/",
        {
            "title": "Подготовить КП",
            "co_executors": [other_manager.pk],
            "checklist": ["Цены", "Сроки"],
            "deadline": "2030-01-10T12:00:00+03:00",
        },
        format="json",
    )
    assert deal_less.status_code == 201, deal_less.json()
    task_id = deal_less.json()["id"]
    assert deal_less.json()["responsible"] == manager.pk
    assert deal_less.json()["co_executors"] == [other_manager.pk]
    changed = api.patch(f"/api/v1/tasks/{task_id}/", {"title": "КП до пятницы"}, format="json")
    assert changed.json()["title"] == "КП до пятницы"
    refused = api.patch(f"/api/v1/tasks/{task_id}/", {"deadline": None}, format="json")
    assert refused.status_code == 400
    moved = api.post(f"/api/v1/tasks/{task_id}/deadline/", {"deadline": None}, format="json")
    assert moved.status_code == 200 and moved.json()["deadline"] is None
    started = api.post(f"/api/v1/tasks/{task_id}/status/", {"action": "start"}, format="json")
    assert started.json()["status"] == TaskStatus.IN_PROGRESS
    done = api.post(
        f"/api/v1/tasks/{task_id}/status/",
        {"action": "complete", "result": "Отправил"},
        format="json",
    )
    assert done.json()["status"] == TaskStatus.DONE
    wrong = api.post(f"/api/v1/tasks/{task_id}/status/", {"action": "accept"}, format="json")
    assert wrong.status_code == 400
    comment = api.post(f"/api/v1/tasks/{task_id}/comments/", {"text": "Готово"}, format="json")
    assert comment.status_code == 201 and comment.json()["text"] == "Готово"
    assert api.delete(f"/api/v1/tasks/{task_id}/").status_code == 204
    assert not Task.objects.filter(pk=task_id).exists()


def test_task_on_a_card_and_filters(api, manager):
    contact = ContactFactory(responsible=manager)
    response = api.post(
        "/api/v1/tasks/",
        {"title": "Позвонить", "card_type": "contact", "card_id": contact.pk},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["card_type"], response.json()["card_id"]) == ("contact", contact.pk)
    half = api.post("/api/v1/tasks/", {"title": "x", "card_type": "contact"}, format="json")
    assert half.status_code == 400
    TaskFactory(responsible=manager, status=TaskStatus.DONE)
    rows = api.get("/api/v1/tasks/", {"status": "new"}).json()["results"]
    assert [row["id"] for row in rows] == [response.json()["id"]]


def test_a_deadline_before_1900_is_refused(api, manager):
    task = TaskFactory(responsible=manager)
    response = api.post(
        f"/api/v1/tasks/{task.pk}/deadline/", {"deadline": "0274-10-11T04:19:55Z"}, format="json"
    )
    assert response.status_code == 400
    assert "deadline" in errors_of(response)
