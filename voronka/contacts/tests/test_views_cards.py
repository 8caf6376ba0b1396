"""Contact and company cards: pages, sections edited in place, links, requisites editor,
creating and deleting — through the real services, with pinned query counts."""

import json

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from voronka.contacts.models import (
    AddressKind,
    BankAccount,
    Communication,
    CommunicationKind,
    Company,
    CompanyAddress,
    Contact,
    ContactCompany,
)
from voronka.contacts.services import company_delete, contact_delete
from voronka.contacts.tests.factories import (
    BankAccountFactory,
    CompanyFactory,
    ContactCompanyFactory,
    ContactFactory,
    PhoneFactory,
    make_inn,
    make_settlement_account,
)
from voronka.customization.models import CustomField, EntityType, FieldType
from voronka.sales.tests.factories import DealFactory, LeadFactory
from voronka.timeline.models import EntryKind, TimelineEntry

BIC = "044525225"
CORRESPONDENT = "30101810400000000225"


@pytest.fixture
def signed_in(client, manager):
    client.force_login(manager)
    return client


def htmx(client, method, url, data=None, **extra):
    caller = getattr(client, method)
    return caller(url, data or {}, HTTP_HX_REQUEST="true", **extra)


def history(card, field=None):
    entries = TimelineEntry.objects.filter(
        card_type=ContentType.objects.get_for_model(card),
        card_id=card.pk,
        kind=EntryKind.FIELD_CHANGED,
    )
    if field is None:
        return list(entries)
    return [entry for entry in entries if entry.payload.get("field") == field]


def triggers(response) -> dict:
    header = response.headers.get("HX-Trigger")
    return json.loads(header) if header else {}


def rows_data(prefix: str, rows: list[dict], version: int | None = None) -> dict:
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": str(len(rows))}
    for index, row in enumerate(rows):
        for key, value in row.items():
            if value is True:
                value = "on"
            if value is False:
                continue
            data[f"{prefix}-{index}-{key}"] = value
    if version is not None:
        data["version"] = str(version)
    return data


@pytest.fixture
def company(manager):
    return CompanyFactory(responsible=manager)


@pytest.fixture
def contact(manager):
    return ContactFactory(responsible=manager, last_name="Иванов", first_name="Пётр")


def contact_url(contact, name="contact_detail", **kwargs):
    return reverse(f"contacts:{name}", kwargs={"pk": contact.pk, **kwargs})


def company_url(company, name="company_detail", **kwargs):
    return reverse(f"contacts:{name}", kwargs={"pk": company.pk, **kwargs})


# --- Access ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "contact_detail",
        "contact_delete",
        "contact_section_main",
        "contact_section_communications",
        "contact_company_picker",
    ],
)
def test_anonymous_is_sent_to_sign_in_from_contact_pages(client, contact, name):
    response = client.get(contact_url(contact, name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize(
    "name",
    ["company_detail", "company_section_requisites", "company_section_addresses"],
)
def test_anonymous_is_sent_to_sign_in_from_company_pages(client, company, name):
    response = client.get(company_url(company, name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_anonymous_cannot_create(client, db):
    for name in ("contact_create", "company_create"):
        response = client.post(reverse(f"contacts:{name}"), {"last_name": "Петров"})
        assert response.status_code == 302
    assert not Contact.all_objects.exists()


@pytest.mark.parametrize(
    "name",
    [
        "contact_detail",
        "contact_delete",
        "contact_section_main",
        "contact_section_communications",
        "contact_section_companies",
        "contact_section_custom",
        "contact_company_picker",
    ],
)
def test_missing_or_deleted_contact_is_404(signed_in, contact, manager, name):
    assert signed_in.get(reverse(f"contacts:{name}", kwargs={"pk": 999999})).status_code == 404
    contact_delete(actor=manager, contact=contact)
    assert signed_in.get(contact_url(contact, name)).status_code == 404


@pytest.mark.parametrize(
    "name",
    [
        "company_detail",
        "company_delete",
        "company_section_main",
        "company_section_requisites",
        "company_section_addresses",
        "company_section_bank_accounts",
        "company_section_contacts",
        "company_contact_picker",
    ],
)
def test_missing_or_deleted_company_is_404(signed_in, company, manager, name):
    assert signed_in.get(reverse(f"contacts:{name}", kwargs={"pk": 999999})).status_code == 404
    company_delete(actor=manager, company=company)
    assert signed_in.get(company_url(company, name)).status_code == 404


def test_saving_a_section_of_a_deleted_card_is_404_and_changes_nothing(signed_in, contact, manager):
    contact_delete(actor=manager, contact=contact)
    response = htmx(
        signed_in,
        "post",
        contact_url(contact, "contact_section_main"),
        {"last_name": "Другой", "responsible": manager.pk},
    )
    assert response.status_code == 404
    contact.refresh_from_db()
    assert contact.last_name == "Иванов"


# --- Contact card ------------------------------------------------------------------------------


def test_contact_card_shows_sections_companies_deals_leads_and_timeline(
    signed_in, contact, company
):
    PhoneFactory(card=contact, value="+7 912 345-67-89", value_normalized="+79123456789")
    ContactCompanyFactory(contact=contact, company=company, is_primary=True, role="Закупки")
    manager = contact.responsible
    deal = DealFactory(title="Поставка станков", amount=125000, responsible=manager)
    deal.contacts.add(contact)
    lead = LeadFactory(title="Заявка с выставки", contact=contact, responsible=manager)
    deleted_deal = DealFactory(title="Удалённая сделка", responsible=manager)
    deleted_deal.contacts.add(contact)
    deleted_deal.deleted_at = deleted_deal.created_at
    deleted_deal.save(update_fields=["deleted_at"])

    response = signed_in.get(contact_url(contact))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Иванов Пётр" in html
    assert "+7 912 345-67-89" in html
    assert 'href="tel:+79123456789"' in html
    assert company.title in html and "Закупки" in html
    assert f'href="/deals/{deal.pk}/"' in html and "Поставка станков" in html
    assert "125,000.00" in html
    assert deal.stage.name in html
    assert f'href="/leads/{lead.pk}/"' in html
    assert "Удалённая сделка" not in html
    assert 'id="section-main"' in html and 'id="section-communications"' in html
    assert 'id="section-companies"' in html
    assert "tl-feed" in html  # the timeline panel
    assert contact_url(contact, "contact_delete") in html


def _contact_with(manager, size: int) -> Contact:
    contact = ContactFactory(responsible=manager)
    for number in range(size):
        PhoneFactory(card=contact)
        ContactCompanyFactory(
            contact=contact, company=CompanyFactory(responsible=manager), is_primary=number == 0
        )
        deal = DealFactory(responsible=manager)
        deal.contacts.add(contact)
        LeadFactory(contact=contact, responsible=manager)
    return contact


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_contact_card_costs_the_same_queries_with_many_companies_and_deals(
    signed_in, manager, django_assert_num_queries
):
    few = _contact_with(manager, 1)
    many = _contact_with(manager, 8)
    _count_queries(signed_in, contact_url(few))  # warm the content type cache

    baseline = _count_queries(signed_in, contact_url(few))
    with django_assert_num_queries(baseline):
        signed_in.get(contact_url(many))
    # session, user, the user's rights and field rules, contact, its phones, companies, leads,
    # deals, its won deals (client value), custom field definitions, open tasks, the timeline
    # entries and open activities, the merge controls' rights and undoable merges
    assert baseline == 16


def test_contact_main_section_edit_form_and_save(signed_in, contact, manager, other_manager):
    response = htmx(signed_in, "get", contact_url(contact, "contact_section_main") + "?edit=1")
    assert response.status_code == 200
    assert 'name="last_name"' in response.content.decode()
    assert f'name="version" value="{contact.version}"' in response.content.decode()

    response = htmx(
        signed_in,
        "post",
        contact_url(contact, "contact_section_main"),
        {
            "last_name": "Сидоров",
            "first_name": "Пётр",
            "position": "Главный инженер",
            "birthday": "1980-05-17",
            "responsible": other_manager.pk,
            "version": contact.version,
        },
    )

    assert response.status_code == 200
    assert "Сидоров" in response.content.decode()
    assert "voronka:card-changed" in triggers(response)
    contact.refresh_from_db()
    assert contact.last_name == "Сидоров"
    assert contact.birthday.isoformat() == "1980-05-17"
    assert contact.responsible == other_manager
    assert history(contact, "last_name")
    assert history(contact, "responsible")


def test_contact_main_section_without_names_is_422_and_nothing_changes(signed_in, contact, manager):
    response = htmx(
        signed_in,
        "post",
        contact_url(contact, "contact_section_main"),
        {"last_name": "", "first_name": "", "responsible": manager.pk, "position": "Новая"},
    )
    assert response.status_code == 422
    assert "Enter the contact&#x27;s first name or last name." in response.content.decode()
    contact.refresh_from_db()
    assert contact.last_name == "Иванов" and contact.position != "Новая"
    assert history(contact) == []


def test_contact_stale_version_is_409_and_nothing_changes(signed_in, contact, manager):
    opened = contact.version
    htmx(
        signed_in,
        "post",
        contact_url(contact, "contact_section_main"),
        {"last_name": "Первый", "responsible": manager.pk, "version": opened},
    )
    response = htmx(
        signed_in,
        "post",
        contact_url(contact, "contact_section_main"),
        {"last_name": "Второй", "responsible": manager.pk, "version": opened},
    )
    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    contact.refresh_from_db()
    assert contact.last_name == "Первый"


def test_contact_communications_saved_edited_and_removed(signed_in, contact):
    url = contact_url(contact, "contact_section_communications")
    rows = [
        {"kind": "phone", "value_type": "mobile", "value": "8 (912) 345-67-89"},
        {"kind": "email", "value_type": "work", "value": "Petr@Example.ru"},
        {"kind": "messenger", "value_type": "telegram", "value": "@petr"},
    ]
    response = htmx(signed_in, "post", url, rows_data("communications", rows, contact.version))
    assert response.status_code == 200
    saved = list(contact.communications.order_by("sort"))
    assert [(row.kind, row.value_normalized) for row in saved] == [
        ("phone", "+79123456789"),
        ("email", "petr@example.ru"),
        ("messenger", "petr"),
    ]
    assert history(contact, "communications")

    contact.refresh_from_db()
    response = htmx(signed_in, "post", url, rows_data("communications", rows[1:2], contact.version))
    assert response.status_code == 200
    assert [row.kind for row in contact.communications.all()] == ["email"]


def test_contact_bad_phone_is_422_naming_it_and_nothing_changes(signed_in, contact):
    PhoneFactory(card=contact, value="+7 912 000-00-01", value_normalized="+79120000001")
    rows = [{"kind": "phone", "value_type": "work", "value": "позвонить"}]
    response = htmx(
        signed_in,
        "post",
        contact_url(contact, "contact_section_communications"),
        rows_data("communications", rows),
    )
    assert response.status_code == 422
    assert "is not a phone number" in response.content.decode()
    assert [row.value_normalized for row in contact.communications.all()] == ["+79120000001"]


def test_communications_rows_added_and_removed_without_saving(signed_in, contact):
    url = contact_url(contact, "contact_section_communications")
    rows = [{"kind": "phone", "value_type": "work", "value": "+7 912 345-67-89"}]
    data = rows_data("communications", rows, version=contact.version)

    response = htmx(signed_in, "post", url, {**data, "row_action": "add:email"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="communications-TOTAL_FORMS" value="2"' in html
    assert 'value="+7 912 345-67-89"' in html
    assert f'name="version" value="{contact.version}"' in html

    response = htmx(signed_in, "post", url, {**data, "row_action": "remove:0"})
    assert response.status_code == 200
    assert 'name="communications-TOTAL_FORMS" value="0"' in response.content.decode()
    assert not contact.communications.exists()


def test_empty_communications_editor_opens_with_a_blank_phone_row(signed_in, contact):
    response = htmx(
        signed_in, "get", contact_url(contact, "contact_section_communications") + "?edit=1"
    )
    assert response.status_code == 200
    assert 'name="communications-TOTAL_FORMS" value="1"' in response.content.decode()


# --- Contact ↔ company links -----------------------------------------------------------------


def test_company_picker_finds_companies_not_yet_linked(signed_in, contact, manager):
    linked = CompanyFactory(title="Альфа-Линк", responsible=manager)
    ContactCompanyFactory(contact=contact, company=linked)
    found = CompanyFactory(title="Альфа-Строй", responsible=manager)
    CompanyFactory(title="Бета", responsible=manager)

    response = htmx(signed_in, "get", contact_url(contact, "contact_company_picker") + "?q=альфа")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Альфа-Строй" in html and f'"company": "{found.pk}"' in html
    assert "Альфа-Линк" not in html and "Бета" not in html


def test_linking_a_company_makes_the_first_one_primary_and_writes_history(
    signed_in, contact, company
):
    response = htmx(
        signed_in, "post", contact_url(contact, "contact_company_link"), {"company": company.pk}
    )
    assert response.status_code == 200
    assert company.title in response.content.decode()
    link = ContactCompany.objects.get(contact=contact, company=company)
    assert link.is_primary
    assert history(contact, "companies")
    assert history(company, "contacts")


def test_making_another_company_primary_and_unlinking(signed_in, contact, manager):
    first = CompanyFactory(responsible=manager)
    second = CompanyFactory(responsible=manager)
    ContactCompanyFactory(contact=contact, company=first, is_primary=True)
    ContactCompanyFactory(contact=contact, company=second, is_primary=False)

    response = htmx(
        signed_in,
        "post",
        contact_url(contact, "contact_company_link"),
        {"company": second.pk, "is_primary": "1"},
    )
    assert response.status_code == 200
    assert ContactCompany.objects.get(contact=contact, is_primary=True).company == second

    response = htmx(
        signed_in, "post", contact_url(contact, "contact_company_unlink", company_pk=second.pk)
    )
    assert response.status_code == 200
    assert list(contact.company_links.values_list("company_id", "is_primary")) == [(first.pk, True)]
    assert len(history(contact, "companies")) == 2


def test_linking_a_missing_or_deleted_company_is_404(signed_in, contact, company, manager):
    url = contact_url(contact, "contact_company_link")
    assert htmx(signed_in, "post", url, {"company": 999999}).status_code == 404
    assert htmx(signed_in, "post", url, {"company": "abc"}).status_code == 404
    company_delete(actor=manager, company=company)
    assert htmx(signed_in, "post", url, {"company": company.pk}).status_code == 404
    assert not ContactCompany.objects.exists()


def test_unlinking_a_company_that_is_not_linked_is_404(signed_in, contact, company):
    url = contact_url(contact, "contact_company_unlink", company_pk=company.pk)
    assert htmx(signed_in, "post", url).status_code == 404


# --- Deleting ----------------------------------------------------------------------------------


def test_contact_delete_asks_then_moves_to_the_recycle_bin(signed_in, contact):
    response = htmx(signed_in, "get", contact_url(contact, "contact_delete"))
    assert response.status_code == 200
    assert "recycle bin" in response.content.decode()
    assert Contact.objects.filter(pk=contact.pk).exists()

    response = htmx(signed_in, "post", contact_url(contact, "contact_delete"))
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == reverse("contacts:contact_list")
    assert Contact.all_objects.get(pk=contact.pk).is_deleted
    assert TimelineEntry.objects.filter(card_id=contact.pk, kind=EntryKind.DELETED).exists()
    assert signed_in.get(contact_url(contact)).status_code == 404


def test_company_delete_without_htmx_redirects_to_the_list(signed_in, company):
    response = signed_in.post(company_url(company, "company_delete"))
    assert response.status_code == 302
    assert response.url == reverse("contacts:company_list")
    assert Company.all_objects.get(pk=company.pk).is_deleted


# --- Creating ----------------------------------------------------------------------------------


def test_contact_create_page_and_dialog(signed_in):
    page = signed_in.get(reverse("contacts:contact_create"))
    assert page.status_code == 200
    assert "<html" in page.content.decode() and 'name="phone"' in page.content.decode()
    dialog = htmx(signed_in, "get", reverse("contacts:contact_create"))
    assert dialog.status_code == 200
    assert "<html" not in dialog.content.decode() and 'class="modal"' in dialog.content.decode()


def test_contact_create_opens_the_new_card(signed_in, manager):
    response = htmx(
        signed_in,
        "post",
        reverse("contacts:contact_create"),
        {
            "last_name": "Кузнецова",
            "first_name": "Анна",
            "phone": "8 912 111-22-33",
            "email": "anna@example.ru",
        },
    )
    contact = Contact.objects.get(last_name="Кузнецова")
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == contact_url(contact)
    assert contact.responsible == manager
    assert sorted(contact.communications.values_list("value_normalized", flat=True)) == [
        "+79121112233",
        "anna@example.ru",
    ]
    assert TimelineEntry.objects.filter(card_id=contact.pk, kind=EntryKind.CREATED).exists()


def test_contact_create_linked_to_a_company(signed_in, company):
    response = signed_in.post(
        reverse("contacts:contact_create") + f"?company={company.pk}", {"first_name": "Олег"}
    )
    contact = Contact.objects.get(first_name="Олег")
    assert response.status_code == 302 and response.url == contact_url(contact)
    link = ContactCompany.objects.get(contact=contact)
    assert link.company == company and link.is_primary


def test_contact_create_for_a_missing_company_is_404(signed_in):
    url = reverse("contacts:contact_create") + "?company=999999"
    assert signed_in.get(url).status_code == 404
    assert signed_in.post(url, {"first_name": "Олег"}).status_code == 404
    assert not Contact.objects.exists()


def test_contact_create_problems_are_422_naming_each_field(signed_in):
    response = htmx(
        signed_in,
        "post",
        reverse("contacts:contact_create"),
        {"last_name": "", "first_name": "", "email": "not-an-email"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "is not an e-mail address" in html
    assert not Contact.objects.exists()

    response = htmx(signed_in, "post", reverse("contacts:contact_create"), {"position": "CEO"})
    assert response.status_code == 422
    assert "Enter the contact&#x27;s first name or last name." in response.content.decode()
    assert not Contact.objects.exists()


def test_company_create_with_requisites_and_contacts(signed_in, manager):
    inn = make_inn(4242)
    response = signed_in.post(
        reverse("contacts:company_create"),
        {
            "title": "ООО «Север»",
            "company_type": "legal_entity",
            "inn": inn,
            "phone": "+7 495 123-45-67",
        },
    )
    company = Company.objects.get(title="ООО «Север»")
    assert response.status_code == 302 and response.url == company_url(company)
    assert company.inn == inn and company.responsible == manager
    assert company.communications.get().value_normalized == "+74951234567"


def test_company_create_with_a_bad_inn_is_422_under_the_inn(signed_in):
    response = htmx(
        signed_in,
        "post",
        reverse("contacts:company_create"),
        {"title": "ООО «Юг»", "company_type": "legal_entity", "inn": "7700000001"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "wrong check digit" in html
    assert 'data-field="inn"' in html.split("wrong check digit")[0].rsplit("<div class=", 1)[-1]
    assert not Company.objects.exists()


def test_company_create_without_a_title_is_422(signed_in):
    response = signed_in.post(reverse("contacts:company_create"), {"title": ""})
    assert response.status_code == 422
    assert "Enter the company&#x27;s title." in response.content.decode()
    assert not Company.objects.exists()


def test_create_asks_for_always_required_custom_fields(signed_in):
    CustomField.objects.create(
        entity=EntityType.CONTACT,
        code="inn_person",
        label="ИНН физлица",
        field_type=FieldType.STRING,
        required=True,
    )
    response = signed_in.post(reverse("contacts:contact_create"), {"first_name": "Олег"})
    assert response.status_code == 422
    assert "ИНН физлица: this field is required." in response.content.decode()

    response = signed_in.post(
        reverse("contacts:contact_create"),
        {"first_name": "Олег", "custom-inn_person": "500100732259"},
    )
    assert response.status_code == 302
    assert Contact.objects.get().custom_fields == {"inn_person": "500100732259"}


# --- Company card ------------------------------------------------------------------------------


def test_company_card_shows_requisites_addresses_accounts_contacts_deals(
    signed_in, company, manager
):
    CompanyAddress.objects.create(
        company=company, kind=AddressKind.LEGAL, postal_code="101000", city="Москва"
    )
    BankAccountFactory(company=company)
    person = ContactFactory(responsible=manager, position="Бухгалтер")
    PhoneFactory(card=person, value="+7 912 555-44-33", value_normalized="+79125554433")
    ContactCompanyFactory(contact=person, company=company)
    deal = DealFactory(company=company, title="Годовой контракт", responsible=manager)
    LeadFactory(company=company, title="Повторная заявка", responsible=manager)

    response = signed_in.get(company_url(company))

    assert response.status_code == 200
    html = response.content.decode()
    assert company.inn in html and company.kpp in html and company.ogrn in html
    assert "Legal address" in html and "101000" in html
    assert BIC in html and "primary" in html
    assert str(person) in html and "Бухгалтер" in html and "+7 912 555-44-33" in html
    assert f'href="/deals/{deal.pk}/"' in html and "Повторная заявка" in html
    for slug in ("main", "communications", "requisites", "addresses", "bank_accounts"):
        assert f'id="section-{slug}"' in html


def _company_with(manager, size: int) -> Company:
    company = CompanyFactory(responsible=manager)
    for number in range(size):
        PhoneFactory(card=company)
        CompanyAddress.objects.create(
            company=company, kind=AddressKind.ACTUAL, city=f"Город {number}"
        )
        BankAccountFactory(
            company=company,
            is_primary=number == 0,
            account_number=make_settlement_account(BIC, 100 + number),
        )
        person = ContactFactory(responsible=manager)
        PhoneFactory(card=person)
        ContactCompanyFactory(contact=person, company=company)
        DealFactory(company=company, responsible=manager)
        LeadFactory(company=company, responsible=manager)
    return company


def test_company_card_costs_the_same_queries_with_many_contacts_addresses_deals(
    signed_in, manager, django_assert_num_queries
):
    few = _company_with(manager, 1)
    many = _company_with(manager, 8)
    _count_queries(signed_in, company_url(few))

    baseline = _count_queries(signed_in, company_url(few))
    with django_assert_num_queries(baseline):
        signed_in.get(company_url(many))
    # session, user, the user's rights and field rules, company, its phones, addresses, bank
    # accounts, contacts and their phones, leads, deals, its won deals (client value), custom
    # field definitions, open tasks, the timeline entries and open activities, the merge
    # controls' rights and undoable merges
    assert baseline == 19


def test_requisites_saved_with_history(signed_in, company):
    inn = make_inn(777)
    response = htmx(
        signed_in,
        "post",
        company_url(company, "company_section_requisites"),
        {
            "full_name": "Общество с ограниченной ответственностью «Ромашка»",
            "short_name": "ООО «Ромашка»",
            "inn": f" {inn[:4]} {inn[4:]} ",
            "kpp": inn[:4] + "01001",
            "ogrn": company.ogrn,
            "director": "Петров П. П.",
            "version": company.version,
        },
    )
    assert response.status_code == 200
    company.refresh_from_db()
    assert company.inn == inn and company.director == "Петров П. П."
    assert history(company, "inn") and history(company, "director")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("inn", "7700000001", "wrong check digit"),
        ("inn", "77000", "The INN must have 10 digits."),
        ("kpp", "77-01", "The KPP must have 9 characters."),
        ("ogrn", "1027700000001", "wrong check digit"),
    ],
)
def test_bad_requisite_is_422_under_its_field_and_nothing_changes(
    signed_in, company, field, value, message
):
    before = {name: getattr(company, name) for name in ("inn", "kpp", "ogrn", "director")}
    data = {**before, "director": "Новый директор", field: value}
    response = htmx(signed_in, "post", company_url(company, "company_section_requisites"), data)
    assert response.status_code == 422
    html = response.content.decode()
    assert message in html
    field_block = html.split(f'data-field="{field}"', 1)[1].split('<div class="field', 1)[0]
    assert message in field_block
    company.refresh_from_db()
    assert {name: getattr(company, name) for name in before} == before
    assert history(company) == []


def test_company_main_section_saved_and_stale_version_is_409(signed_in, company, manager):
    url = company_url(company, "company_section_main")
    opened = company.version
    data = {
        "title": "ООО «Новое имя»",
        "company_type": "legal_entity",
        "industry": "Производство",
        "employees_count": "120",
        "responsible": manager.pk,
        "version": opened,
    }
    response = htmx(signed_in, "post", url, data)
    assert response.status_code == 200
    company.refresh_from_db()
    assert company.title == "ООО «Новое имя»" and company.employees_count == 120
    assert history(company, "title")

    response = htmx(signed_in, "post", url, {**data, "title": "ООО «Опоздавшее»"})
    assert response.status_code == 409
    company.refresh_from_db()
    assert company.title == "ООО «Новое имя»"


def test_several_addresses_saved_then_one_removed(signed_in, company):
    url = company_url(company, "company_section_addresses")
    rows = [
        {
            "kind": "legal",
            "postal_code": "101000",
            "city": "Москва",
            "street_address": "ул. Ленина, 1",
        },
        {
            "kind": "actual",
            "postal_code": "190000",
            "city": "Санкт-Петербург",
            "street_address": "Невский пр., 2",
        },
        {"kind": "postal", "city": "Казань", "street_address": "а/я 15"},
    ]
    response = htmx(signed_in, "post", url, rows_data("addresses", rows, company.version))
    assert response.status_code == 200
    assert sorted(company.addresses.values_list("kind", flat=True)) == ["actual", "legal", "postal"]
    assert "Санкт-Петербург" in response.content.decode()
    assert history(company, "addresses")

    company.refresh_from_db()
    response = htmx(signed_in, "post", url, rows_data("addresses", rows[:1], company.version))
    assert response.status_code == 200
    assert list(company.addresses.values_list("city", flat=True)) == ["Москва"]


def test_bad_postal_code_is_422_naming_the_address_and_nothing_changes(signed_in, company):
    CompanyAddress.objects.create(company=company, kind=AddressKind.LEGAL, city="Тула")
    rows = [
        {"kind": "legal", "city": "Тула"},
        {"kind": "actual", "postal_code": "12345", "city": "Москва"},
    ]
    response = htmx(
        signed_in,
        "post",
        company_url(company, "company_section_addresses"),
        rows_data("addresses", rows),
    )
    assert response.status_code == 422
    assert "Address 2: a Russian postal code has 6 digits." in response.content.decode()
    assert list(company.addresses.values_list("city", flat=True)) == ["Тула"]


def test_address_rows_added_and_removed_without_saving(signed_in, company):
    url = company_url(company, "company_section_addresses")
    rows = [{"kind": "legal", "city": "Тула"}]
    response = htmx(
        signed_in, "post", url, {**rows_data("addresses", rows), "row_action": "add:address"}
    )
    assert response.status_code == 200
    assert 'name="addresses-TOTAL_FORMS" value="2"' in response.content.decode()
    assert not company.addresses.exists()


def test_several_bank_accounts_saved_and_removed(signed_in, company):
    url = company_url(company, "company_section_bank_accounts")
    first = make_settlement_account(BIC, 11)
    second = make_settlement_account(BIC, 12)
    rows = [
        {
            "bank_name": "Сбербанк",
            "bic": BIC,
            "correspondent_account": CORRESPONDENT,
            "account_number": first,
        },
        {
            "bank_name": "Сбербанк",
            "bic": BIC,
            "correspondent_account": CORRESPONDENT,
            "account_number": second,
            "is_primary": True,
        },
    ]
    response = htmx(signed_in, "post", url, rows_data("bank_accounts", rows, company.version))
    assert response.status_code == 200
    assert list(company.bank_accounts.values_list("account_number", "is_primary")) == [
        (second, True),
        (first, False),
    ]
    assert history(company, "bank_accounts")

    company.refresh_from_db()
    response = htmx(signed_in, "post", url, rows_data("bank_accounts", [], company.version))
    assert response.status_code == 200
    assert not company.bank_accounts.exists()


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            {"bic": "04452522", "account_number": "40702810000000000001"},
            "The BIC must have 9 digits.",
        ),
        ({"bic": BIC, "account_number": "40702810000000000001"}, "does not match the BIC"),
        ({"bic": BIC, "account_number": "4070281"}, "The settlement account must have 20 digits."),
        (
            {
                "bic": BIC,
                "account_number": make_settlement_account(BIC, 5),
                "correspondent_account": "30101810400000000226",
            },
            "The correspondent account 30101810400000000226 does not match",
        ),
    ],
)
def test_bad_bank_account_is_422_naming_it_and_nothing_changes(signed_in, company, row, message):
    BankAccountFactory(company=company)
    response = htmx(
        signed_in,
        "post",
        company_url(company, "company_section_bank_accounts"),
        rows_data("bank_accounts", [row]),
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Bank account 1:" in html and message in html
    assert BankAccount.objects.filter(company=company).count() == 1
    assert history(company) == []


def test_company_contacts_picker_link_and_unlink(signed_in, company, manager):
    person = ContactFactory(responsible=manager, last_name="Орлова", first_name="Мария")
    ContactFactory(responsible=manager, last_name="Соколов")

    response = htmx(signed_in, "get", company_url(company, "company_contact_picker") + "?q=орл")
    assert response.status_code == 200
    assert "Орлова" in response.content.decode() and "Соколов" not in response.content.decode()

    response = htmx(
        signed_in, "post", company_url(company, "company_contact_link"), {"contact": person.pk}
    )
    assert response.status_code == 200
    assert "Орлова" in response.content.decode()
    assert ContactCompany.objects.filter(contact=person, company=company).exists()
    assert history(person, "companies")

    response = htmx(
        signed_in, "post", company_url(company, "company_contact_unlink", contact_pk=person.pk)
    )
    assert response.status_code == 200
    assert not ContactCompany.objects.filter(contact=person, company=company).exists()


def test_company_contact_link_of_a_missing_contact_is_404(signed_in, company):
    url = company_url(company, "company_contact_link")
    assert htmx(signed_in, "post", url, {"contact": 999999}).status_code == 404


# --- Custom fields -----------------------------------------------------------------------------


def test_custom_fields_section_shows_edits_and_validates(signed_in, company):
    CustomField.objects.create(
        entity=EntityType.COMPANY,
        code="segment",
        label="Сегмент",
        field_type=FieldType.LIST,
        options=[{"id": "a", "label": "Крупный"}, {"id": "b", "label": "Малый"}],
    )
    CustomField.objects.create(
        entity=EntityType.COMPANY, code="branches", label="Филиалов", field_type=FieldType.INTEGER
    )
    url = company_url(company, "company_section_custom")

    response = htmx(signed_in, "post", url, {"segment": "a", "branches": "3"})
    assert response.status_code == 200
    assert "Крупный" in response.content.decode()
    company.refresh_from_db()
    assert company.custom_fields == {"segment": "a", "branches": 3}
    assert history(company, "custom_fields.segment")

    response = htmx(signed_in, "post", url, {"segment": "a", "branches": "три"})
    assert response.status_code == 422
    assert "Филиалов: enter a whole number." in response.content.decode()
    company.refresh_from_db()
    assert company.custom_fields["branches"] == 3

    page = signed_in.get(company_url(company))
    assert "Сегмент" in page.content.decode() and "Крупный" in page.content.decode()


def test_communication_kinds_are_the_models(db):
    assert {"phone", "email", "web", "messenger"} == set(CommunicationKind.values)
    assert Communication._meta.get_field("value").max_length == 255


def test_a_refused_link_shows_the_section_again_with_the_reason(
    signed_in, contact, company, monkeypatch
):
    from django.core.exceptions import ValidationError

    from voronka.contacts.views import cards

    def refuse(**kwargs):
        raise ValidationError({"company": ["The company is in the recycle bin."]})

    monkeypatch.setattr(cards, "contact_link_company", refuse)
    response = htmx(
        signed_in, "post", contact_url(contact, "contact_company_link"), {"company": company.pk}
    )
    assert response.status_code == 422
    assert 'id="section-companies"' in response.content.decode()
    assert triggers(response)["voronka:toast"]["message"] == "The company is in the recycle bin."
    assert not ContactCompany.objects.exists()


def test_employee_custom_field_is_picked_by_typeahead_and_shown_by_name(
    signed_in, contact, other_manager
):
    CustomField.objects.create(
        entity=EntityType.CONTACT, code="curator", label="Куратор", field_type=FieldType.EMPLOYEE
    )
    url = contact_url(contact, "contact_section_custom")
    response = htmx(signed_in, "post", url, {"curator": other_manager.pk})
    assert response.status_code == 200
    contact.refresh_from_db()
    assert contact.custom_fields == {"curator": other_manager.pk}
    assert other_manager.get_full_name() in response.content.decode()

    form = htmx(signed_in, "get", url + "?edit=1").content.decode()
    assert "data-lookup" in form and other_manager.get_full_name() in form


def _count_post(client, url, data) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.post(url, data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200, response.content.decode()[:500]
    return len(captured.captured_queries)


def _addresses(size):
    return [{"kind": "actual", "postal_code": "101000", "city": f"Город {n}"} for n in range(size)]


def _accounts(size):
    return [
        {
            "bic": BIC,
            "correspondent_account": CORRESPONDENT,
            "account_number": make_settlement_account(BIC, 300 + n),
        }
        for n in range(size)
    ]


@pytest.mark.parametrize(
    ("section", "prefix", "rows"),
    [
        ("company_section_addresses", "addresses", _addresses),
        ("company_section_bank_accounts", "bank_accounts", _accounts),
        (
            "company_section_communications",
            "communications",
            # Each company its own phones: shared ones would be asked about as duplicates.
            lambda size: [
                {"kind": "phone", "value_type": "work", "value": f"+7 912 {size:03d}-00-{n:02d}"}
                for n in range(size)
            ],
        ),
    ],
)
def test_saving_a_list_costs_the_same_queries_for_few_and_many_rows(
    signed_in, manager, section, prefix, rows
):
    few, many = CompanyFactory(responsible=manager), CompanyFactory(responsible=manager)
    warm = CompanyFactory(responsible=manager)
    _count_post(signed_in, company_url(warm, section), rows_data(prefix, rows(1)))

    baseline = _count_post(signed_in, company_url(few, section), rows_data(prefix, rows(2)))
    assert _count_post(signed_in, company_url(many, section), rows_data(prefix, rows(9))) == (
        baseline
    )


def test_linking_costs_the_same_queries_with_many_links(signed_in, manager):
    few, many = _contact_with(manager, 1), _contact_with(manager, 8)
    target = [CompanyFactory(responsible=manager) for _ in range(3)]
    _count_post(signed_in, contact_url(few, "contact_company_link"), {"company": target[0].pk})

    baseline = _count_post(
        signed_in, contact_url(few, "contact_company_link"), {"company": target[1].pk}
    )
    assert (
        _count_post(signed_in, contact_url(many, "contact_company_link"), {"company": target[2].pk})
        == baseline
    )


def test_pickers_cost_fixed_queries(signed_in, manager, contact, company):
    for number in range(12):
        CompanyFactory(title=f"Альфа {number}", responsible=manager)
        ContactFactory(last_name=f"Альфин {number}", responsible=manager)
    signed_in.get(contact_url(contact, "contact_company_picker") + "?q=альф")
    signed_in.get(company_url(company, "company_contact_picker") + "?q=альф")
    with CaptureQueriesContext(connection) as captured:
        response = htmx(
            signed_in, "get", contact_url(contact, "contact_company_picker") + "?q=альф"
        )
    assert response.content.decode().count('class="lookup-item"') == 10
    # session, user, the user's rights, contact, its linked ids, companies, their phones
    assert len(captured.captured_queries) == 7
    with CaptureQueriesContext(connection) as captured:
        response = htmx(
            signed_in, "get", company_url(company, "company_contact_picker") + "?q=альф"
        )
    assert response.content.decode().count('class="lookup-item"') == 10
    # session, user, the user's rights, company, its linked ids, contacts, their phones and
    # primary companies
    assert len(captured.captured_queries) == 8


def test_a_card_shows_only_the_newest_related_deals(signed_in, company, manager, monkeypatch):
    from voronka.contacts.selectors import cards as card_selectors

    monkeypatch.setattr(card_selectors, "RELATED_LIMIT", 2)
    for number in range(3):
        DealFactory(company=company, title=f"Сделка {number}", responsible=manager)
    other = CompanyFactory(responsible=manager)
    DealFactory(company=other, title="Чужая сделка", responsible=manager)

    html = signed_in.get(company_url(company)).content.decode()

    assert "Сделка 2" in html and "Сделка 1" in html
    assert "Сделка 0" not in html and "Чужая сделка" not in html
    assert "The newest 2 deals are shown." in html
