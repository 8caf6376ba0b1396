import csv
import io
import json
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from openpyxl import load_workbook

from voronka.access.models import Action, Entity, Scope
from voronka.access.tests.factories import role_with
from voronka.contacts.models import Company, Contact
from voronka.contacts.tests.factories import (
    CompanyFactory,
    ContactCompanyFactory,
    PhoneFactory,
)
from voronka.core.models import UserPreference
from voronka.customization.models import CustomField, EntityType, FieldType
from voronka.staff.tests.factories import UserFactory
from voronka.timeline.models import EntryKind, TimelineEntry

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
RESULTS = {"HX-Request": "true", "HX-Target": "list-results"}


def make_contacts(count, responsible, **values):
    contacts = Contact.objects.bulk_create(
        Contact(last_name=f"Иванов {n:03d}", first_name="Пётр", responsible=responsible, **values)
        for n in range(count)
    )
    for contact in contacts:
        PhoneFactory(card=contact)
        ContactCompanyFactory(contact=contact, company=CompanyFactory(responsible=responsible))
    return contacts


def next_link(html):
    [link] = re.findall(r'href="([^"]*after=[^"]*)"', html)
    return link.replace("&amp;", "&")


def history(card, kind):
    return TimelineEntry.objects.filter(
        card_type=ContentType.objects.get_for_model(card), card_id=card.pk, kind=kind
    )


def csv_rows(response):
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body.removeprefix("\ufeff")), delimiter=";"))


@pytest.fixture
def signed_in(client, manager):
    client.force_login(manager)
    return client


class TestContactListPage:
    def test_anonymous_visitor_is_sent_to_sign_in(self, client):
        for name in ("contact_list", "company_list", "contact_columns", "contact_bulk"):
            response = client.get(reverse(f"contacts:{name}"))
            assert response.status_code == 302
            assert response.url.startswith(reverse("login"))
        response = client.get(reverse("contacts:contact_export", args=["csv"]))
        assert response.status_code == 302

    def test_rows_show_name_company_phone_and_responsible_with_links(self, signed_in, manager):
        [contact] = make_contacts(1, manager, position="Главный инженер")

        response = signed_in.get(reverse("contacts:contact_list"))

        assert response.status_code == 200
        html = response.content.decode()
        assert "Иванов 000 Пётр" in html
        assert f'href="/contacts/{contact.pk}/"' in html
        assert contact.primary_company.title.replace("«", "&laquo;") in html or (
            contact.primary_company.title in html
        )
        assert "Главный инженер" in html
        assert "+7 912" in html
        assert manager.last_name in html
        assert 'href="/contacts/new/"' in html
        assert "1–1 of 1" in html

    def test_htmx_request_for_the_results_returns_only_them(self, signed_in, manager):
        make_contacts(2, manager)
        response = signed_in.get(reverse("contacts:contact_list"), headers=RESULTS)
        html = response.content.decode()
        assert html.lstrip().startswith('<div id="list-results"') or 'id="list-results"' in html
        assert "<html" not in html

    @pytest.mark.parametrize("count", [3, 60])
    def test_page_costs_the_same_queries_for_3_and_60_contacts(
        self, signed_in, manager, count, django_assert_num_queries
    ):
        make_contacts(count, manager)
        CustomField.objects.create(
            entity=EntityType.CONTACT, code="boss", label="Куратор", field_type=FieldType.EMPLOYEE
        )
        Contact.objects.update(custom_fields={"boss": manager.pk})
        UserPreference.objects.create(
            user=manager, key="list_columns:contacts", value=["name", "company", "cf_boss"]
        )
        # session, user, the user's rights and field rules, custom fields, preference, count,
        # rows, phones, companies, employees of the custom field, sources of the filter
        with django_assert_num_queries(12):
            response = signed_in.get(reverse("contacts:contact_list"))
        assert response.status_code == 200
        assert response.content.decode().count('name="ids"') == min(count, 50)

    def test_sorting_by_a_column_and_back(self, signed_in, manager):
        make_contacts(3, manager)
        url = reverse("contacts:contact_list")

        ascending = signed_in.get(url, {"sort": "name"}).content.decode()
        descending = signed_in.get(url, {"sort": "-name"}).content.decode()

        assert ascending.index("Иванов 000") < ascending.index("Иванов 002")
        assert descending.index("Иванов 002") < descending.index("Иванов 000")
        assert "?sort=-name" in ascending  # a click on the sorted head flips it

    @pytest.mark.parametrize(
        "params",
        [
            {"sort": "password"},
            {"sort": "-"},
            {"page": "abc"},
            {"after": "abc"},
            {"after": "eyJzIjoibmFtZSIsInYiOlt7fSwxXSwibiI6NTB9"},
            {"created_after": "вчера"},
            {"responsible": "x"},
            {"cf_nothing": "1"},
            {"q": "x" * 500},
        ],
    )
    def test_bad_sort_page_and_filter_values_never_fail(self, signed_in, manager, params):
        make_contacts(2, manager)
        response = signed_in.get(reverse("contacts:contact_list"), params)
        assert response.status_code == 200

    def test_a_bad_filter_is_shown_and_the_rest_applies(self, signed_in, manager):
        make_contacts(2, manager)
        response = signed_in.get(
            reverse("contacts:contact_list"), {"q": "Иванов 001", "created_after": "вчера"}
        )
        html = response.content.decode()
        assert "Enter a valid date." in html
        assert "Иванов 001" in html
        assert "Иванов 000" not in html

    def test_pages_of_fifty_follow_one_another(self, signed_in, manager):
        make_contacts(55, manager)
        url = reverse("contacts:contact_list")

        first = signed_in.get(url, {"q": "Иванов"}).content.decode()
        second = signed_in.get(next_link(first)).content.decode()

        assert "1–50 of 55" in first
        assert first.count('name="ids"') == 50
        assert "Иванов 049" in first and "Иванов 050" not in first
        assert "51–55 of 55" in second
        assert second.count('name="ids"') == 5
        assert "Иванов 050" in second and "Иванов 049" not in second
        assert "First page" in second
        assert "after=" not in second.split("First page")[0].split("list-tools")[1]

    def test_a_cursor_of_another_sort_starts_from_the_first_page(self, signed_in, manager):
        make_contacts(55, manager)
        url = reverse("contacts:contact_list")
        link = next_link(signed_in.get(url).content.decode())
        html = signed_in.get(link.replace("sort=", "x=") + "&sort=-name").content.decode()
        assert "1–50 of 55" in html
        assert "Иванов 054" in html

    def test_filters_narrow_the_rows(self, signed_in, manager, other_manager):
        role_with(
            (Entity.CONTACT, Action.READ, Scope.DEPARTMENT),
            (Entity.COMPANY, Action.READ, Scope.DEPARTMENT),
            members=[manager],
        )
        make_contacts(2, manager)
        [theirs] = make_contacts(1, other_manager)
        Contact.objects.filter(pk=theirs.pk).update(last_name="Сидоров")

        html = signed_in.get(
            reverse("contacts:contact_list"), {"responsible": other_manager.pk}
        ).content.decode()

        assert "Сидоров" in html
        assert "Иванов 000" not in html
        assert other_manager.last_name in html  # the chosen employee stays in the picker

    def test_count_is_capped(self, signed_in, manager, monkeypatch):
        monkeypatch.setattr("voronka.core.lists.COUNT_CAP", 3)
        monkeypatch.setattr("voronka.core.lists.capped_count.__defaults__", (3,))
        make_contacts(5, manager)
        html = signed_in.get(reverse("contacts:contact_list")).content.decode()
        assert "1–5 of 3+" in html


class TestColumnChooser:
    def test_dialog_lists_every_column_with_the_visible_ones_checked(self, signed_in):
        CustomField.objects.create(
            entity=EntityType.CONTACT, code="hobby", label="Хобби", field_type=FieldType.STRING
        )
        html = signed_in.get(reverse("contacts:contact_columns"), headers=HTMX).content.decode()
        assert 'value="name" checked disabled' in html
        assert 'value="position" checked' in html
        assert 'value="source"  >' in html
        assert "Хобби" in html

    def test_choice_is_kept_per_employee(self, client, signed_in, manager, other_manager):
        make_contacts(1, manager, position="Главный инженер")
        CustomField.objects.create(
            entity=EntityType.CONTACT, code="hobby", label="Хобби", field_type=FieldType.STRING
        )
        Contact.objects.update(custom_fields={"hobby": "Рыбалка"})

        response = signed_in.post(
            reverse("contacts:contact_columns"),
            {"columns": ["cf_hobby", "responsible", "unknown"]},
            headers=HTMX,
        )

        assert response.status_code == 200
        assert response.headers["HX-Refresh"] == "true"
        preference = UserPreference.objects.get(user=manager, key="list_columns:contacts")
        assert preference.value == ["cf_hobby", "responsible", "name"]
        html = signed_in.get(reverse("contacts:contact_list")).content.decode()
        assert "Рыбалка" in html
        assert "Главный инженер" not in html

        role_with((Entity.CONTACT, Action.READ, Scope.DEPARTMENT), members=[other_manager])
        client.force_login(other_manager)
        html = client.get(reverse("contacts:contact_list")).content.decode()
        assert "Главный инженер" in html
        assert "Рыбалка" not in html

    def test_reset_brings_the_default_columns_back(self, signed_in, manager):
        UserPreference.objects.create(user=manager, key="list_columns:contacts", value=["name"])
        response = signed_in.post(reverse("contacts:contact_columns"), {"reset": "1"})
        assert response.status_code == 302
        assert not UserPreference.objects.filter(user=manager).exists()


class TestBulkActions:
    def test_assign_dialog_asks_for_the_employee(self, signed_in, manager):
        contacts = make_contacts(2, manager)
        response = signed_in.get(
            reverse("contacts:contact_bulk"),
            {"action": "assign", "ids": [c.pk for c in contacts]},
            headers=HTMX,
        )
        html = response.content.decode()
        assert response.status_code == 200
        assert "2 cards selected." in html
        assert 'name="responsible"' in html
        assert reverse("contacts:responsible_options") in html

    def test_assign_changes_the_responsible_through_the_service(
        self, signed_in, manager, other_manager
    ):
        contacts = make_contacts(2, manager)

        response = signed_in.post(
            reverse("contacts:contact_bulk"),
            {"action": "assign", "ids": [c.pk for c in contacts], "responsible": other_manager.pk},
            headers=HTMX,
        )

        assert response.status_code == 200
        events = json.loads(response.headers["HX-Trigger"])
        assert events["voronka:toast"] == {"message": "Assigned: 2 cards.", "level": "success"}
        assert "voronka:modal-close" in events and "voronka:list-changed" in events
        for contact in contacts:
            contact.refresh_from_db()
            assert contact.responsible == other_manager
            assert contact.version == 2
            assert history(contact, EntryKind.FIELD_CHANGED).count() == 1

    def test_assign_without_an_active_employee_is_a_422_and_changes_nothing(
        self, signed_in, manager
    ):
        contacts = make_contacts(1, manager)
        gone = UserFactory(is_active=False)
        for value in ("", "abc", gone.pk):
            response = signed_in.post(
                reverse("contacts:contact_bulk"),
                {"action": "assign", "ids": [contacts[0].pk], "responsible": value},
                headers=HTMX,
            )
            assert response.status_code == 422
            assert "Choose an active employee." in response.content.decode()
        contacts[0].refresh_from_db()
        assert contacts[0].responsible == manager

    def test_nothing_selected_is_a_422(self, signed_in):
        response = signed_in.get(
            reverse("contacts:contact_bulk"), {"action": "delete"}, headers=HTMX
        )
        assert response.status_code == 422
        assert "Select at least one card in the list." in response.content.decode()

    def test_unknown_action_is_a_404(self, signed_in, manager):
        [contact] = make_contacts(1, manager)
        response = signed_in.get(
            reverse("contacts:contact_bulk"), {"action": "move", "ids": [contact.pk]}
        )
        assert response.status_code == 404
        response = signed_in.post(
            reverse("contacts:contact_bulk"), {"action": "drop", "ids": [contact.pk]}
        )
        assert response.status_code == 404

    def test_delete_asks_for_confirmation_first(self, signed_in, manager):
        contacts = make_contacts(2, manager)
        ids = [c.pk for c in contacts]

        dialog = signed_in.get(
            reverse("contacts:contact_bulk"), {"action": "delete", "ids": ids}, headers=HTMX
        )
        unconfirmed = signed_in.post(
            reverse("contacts:contact_bulk"), {"action": "delete", "ids": ids}, headers=HTMX
        )

        assert dialog.status_code == 200
        assert "recycle bin" in dialog.content.decode()
        assert 'name="confirmed" value="1"' in dialog.content.decode()
        assert unconfirmed.status_code == 422
        assert Contact.objects.count() == 2

    def test_delete_moves_to_the_recycle_bin_through_the_service(self, signed_in, manager):
        contacts = make_contacts(2, manager)

        response = signed_in.post(
            reverse("contacts:contact_bulk"),
            {"action": "delete", "ids": [c.pk for c in contacts], "confirmed": "1"},
            headers=HTMX,
        )

        assert response.status_code == 200
        assert Contact.objects.count() == 0
        assert Contact.all_objects.filter(deleted_by=manager).count() == 2
        assert history(contacts[0], EntryKind.DELETED).exists()

    def test_cards_gone_meanwhile_are_reported(self, signed_in, manager, other_manager):
        kept, gone = make_contacts(2, manager)
        Contact.objects.filter(pk=gone.pk).update(deleted_at="2026-01-01T00:00:00Z")

        response = signed_in.post(
            reverse("contacts:contact_bulk"),
            {"action": "assign", "ids": [kept.pk, gone.pk], "responsible": other_manager.pk},
            headers=HTMX,
        )

        assert response.status_code == 200
        html = response.content.decode()
        assert "Assigned: 1 card. Not done: 1." in html
        assert "1 more</strong>: not found: deleted, or you have no rights to it." in html
        events = json.loads(response.headers["HX-Trigger"])
        assert events["voronka:toast"]["level"] == "error"
        assert "voronka:modal-close" not in events
        kept.refresh_from_db()
        assert kept.responsible == other_manager


class TestCompanyList:
    def test_rows_sorting_and_bulk_assign(self, signed_in, manager, other_manager):
        first = CompanyFactory(title="Альфа", responsible=manager, inn="7707083893")
        CompanyFactory(title="Бета", responsible=manager)
        url = reverse("contacts:company_list")

        html = signed_in.get(url, {"sort": "-title"}).content.decode()
        assert html.index("Бета") < html.index("Альфа")
        assert "7707083893" in html
        assert f'href="/companies/{first.pk}/"' in html

        response = signed_in.post(
            reverse("contacts:company_bulk"),
            {"action": "assign", "ids": [first.pk], "responsible": other_manager.pk},
            headers=HTMX,
        )
        assert response.status_code == 200
        first.refresh_from_db()
        assert first.responsible == other_manager
        assert history(first, EntryKind.FIELD_CHANGED).exists()

    def test_bulk_delete(self, signed_in, manager):
        company = CompanyFactory(responsible=manager)
        response = signed_in.post(
            reverse("contacts:company_bulk"),
            {"action": "delete", "ids": [company.pk], "confirmed": "1"},
            headers=HTMX,
        )
        assert response.status_code == 200
        assert not Company.objects.exists()
        assert history(company, EntryKind.DELETED).exists()

    @pytest.mark.parametrize("count", [3, 60])
    def test_page_costs_the_same_queries(
        self, signed_in, manager, count, django_assert_num_queries
    ):
        for company in Company.objects.bulk_create(
            Company(title=f"Компания {n}", responsible=manager) for n in range(count)
        ):
            PhoneFactory(card=company)
        # session, user, the user's rights and field rules, custom fields, preference, count,
        # rows, phones, sources of the filter
        with django_assert_num_queries(10):
            response = signed_in.get(reverse("contacts:company_list"))
        assert response.status_code == 200

    def test_filter_by_type_and_search(self, signed_in, manager):
        CompanyFactory(title="ООО «Ромашка»", responsible=manager)
        html = signed_in.get(
            reverse("contacts:company_list"), {"q": "лютик", "company_type": "legal_entity"}
        ).content.decode()
        assert "Ромашка" not in html
        assert "No cards match the filter." in html


class TestExport:
    def test_csv_has_the_visible_columns_and_every_page(self, signed_in, manager):
        make_contacts(55, manager)

        response = signed_in.get(reverse("contacts:contact_export", args=["csv"]))

        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert 'filename="contacts-' in response["Content-Disposition"]
        rows = csv_rows(response)
        assert rows[0] == [
            "Name",
            "Company",
            "Position",
            "Phones",
            "E-mails",
            "Responsible",
            "LTV",
            "Last interaction",
            "Created",
        ]
        assert len(rows) == 56
        assert rows[1][0] == "Иванов 000 Пётр"
        assert rows[1][3].startswith("+7 912")
        assert rows[1][5] == manager.get_full_name()

    def test_export_respects_the_filter_and_the_sort(self, signed_in, manager):
        make_contacts(3, manager)
        response = signed_in.get(
            reverse("contacts:contact_export", args=["csv"]), {"q": "Иванов 00", "sort": "-name"}
        )
        rows = csv_rows(response)
        assert [row[0] for row in rows[1:]] == [
            "Иванов 002 Пётр",
            "Иванов 001 Пётр",
            "Иванов 000 Пётр",
        ]
        response = signed_in.get(
            reverse("contacts:contact_export", args=["csv"]), {"q": "Иванов 001"}
        )
        assert [row[0] for row in csv_rows(response)[1:]] == ["Иванов 001 Пётр"]

    def test_xlsx_opens_with_the_same_rows(self, signed_in, manager):
        make_contacts(2, manager)
        UserPreference.objects.create(
            user=manager, key="list_columns:contacts", value=["name", "created"]
        )

        response = signed_in.get(reverse("contacts:contact_export", args=["xlsx"]))

        assert response.status_code == 200
        assert response["Content-Type"].startswith(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0] == ("Name", "Created")
        assert [row[0] for row in rows[1:]] == ["Иванов 000 Пётр", "Иванов 001 Пётр"]
        assert rows[1][1].year >= 2026

    @pytest.mark.parametrize("count", [3, 30])
    def test_export_costs_the_same_queries(
        self, signed_in, manager, count, django_assert_num_queries
    ):
        make_contacts(count, manager)
        # session, user, the user's rights and field rules, custom fields, preference, the
        # count and the event for the audit log, rows, phones, companies
        with django_assert_num_queries(11):
            response = signed_in.get(reverse("contacts:contact_export", args=["csv"]))
            rows = csv_rows(response)
        assert len(rows) == count + 1

    def test_unknown_format_is_a_404(self, signed_in):
        response = signed_in.get(reverse("contacts:contact_export", args=["pdf"]))
        assert response.status_code == 404


def test_responsible_options_find_active_employees_by_name(signed_in, manager):
    UserFactory(last_name="Смирнова", first_name="Анна")
    UserFactory(last_name="Смирнов", first_name="Олег", is_active=False)

    html = signed_in.get(
        reverse("contacts:responsible_options"), {"term": "смирн"}, headers=HTMX
    ).content.decode()

    assert "Смирнова Анна" in html or "Анна Смирнова" in html
    assert "Олег" not in html
    assert "Anyone" not in html
    blank = signed_in.get(reverse("contacts:responsible_options"), {"blank": "1"})
    assert "Anyone" in blank.content.decode()
