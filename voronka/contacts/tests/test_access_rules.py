"""Access rights of contacts and companies beyond the matrix: services refusing writes, hidden
fields (the Operator role sees no bank accounts), links, bulk actions, the roles shipped with
Voronka."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from voronka.access.models import Action, AuditEvent, Entity, FieldRule, Role, Scope
from voronka.access.predicates import forget_rights
from voronka.access.tests.factories import role_with
from voronka.contacts.models import BankAccount, Company, Contact, ContactCompany
from voronka.contacts.services import (
    company_create,
    company_delete,
    company_restore,
    company_update,
    contact_create,
    contact_delete,
    contact_link_company,
    contact_restore,
    contact_unlink_company,
    contact_update,
)
from voronka.contacts.tests.factories import (
    BankAccountFactory,
    CompanyFactory,
    ContactCompanyFactory,
    ContactFactory,
    make_settlement_account,
)
from voronka.sales.tests.factories import DealFactory, LeadFactory
from voronka.staff.tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
BIC = "044525225"


@pytest.fixture
def stranger(db):
    return UserFactory(username="stranger", department=DepartmentFactory(name="Закупки"))


def system_role(code: str, *members) -> Role:
    role = Role.objects.get(code=code)
    role.members.add(*members)
    return role


# --- services ----------------------------------------------------------------------------------


class TestServicesRefuseWithoutRights:
    def test_update_of_someone_elses_contact_is_refused_and_changes_nothing(
        self, manager, stranger
    ):
        contact = ContactFactory(responsible=stranger, created_by=stranger, last_name="Чужой")
        with pytest.raises(PermissionDenied):
            contact_update(actor=manager, contact=contact, data={"last_name": "Мой"})
        contact.refresh_from_db()
        assert contact.last_name == "Чужой"

    def test_update_of_someone_elses_company_is_refused(self, manager, stranger):
        company = CompanyFactory(responsible=stranger, created_by=stranger, title="Чужая")
        with pytest.raises(PermissionDenied):
            company_update(actor=manager, company=company, data={"title": "Моя"})
        company.refresh_from_db()
        assert company.title == "Чужая"

    def test_delete_and_restore_need_the_delete_right(self, manager, stranger):
        contact = ContactFactory(responsible=stranger, created_by=stranger)
        company = CompanyFactory(responsible=stranger, created_by=stranger)
        with pytest.raises(PermissionDenied):
            contact_delete(actor=manager, contact=contact)
        with pytest.raises(PermissionDenied):
            company_delete(actor=manager, company=company)
        contact_delete(actor=None, contact=contact)
        company_delete(actor=None, company=company)
        with pytest.raises(PermissionDenied):
            contact_restore(actor=manager, contact=Contact.all_objects.get(pk=contact.pk))
        with pytest.raises(PermissionDenied):
            company_restore(actor=manager, company=Company.all_objects.get(pk=company.pk))
        assert Contact.all_objects.get(pk=contact.pk).is_deleted

    def test_create_needs_the_add_right(self, manager):
        role_with((Entity.CONTACT, Action.READ, Scope.ALL), members=[manager])
        with pytest.raises(PermissionDenied):
            contact_create(actor=manager, data={"last_name": "Новый"})
        with pytest.raises(PermissionDenied):
            company_create(actor=manager, data={"title": "Новая"})
        assert not Contact.objects.exists() and not Company.objects.exists()

    def test_a_new_contact_cannot_be_linked_to_a_hidden_company(self, manager, stranger):
        hidden = CompanyFactory(responsible=stranger, created_by=stranger)
        with pytest.raises(PermissionDenied):
            contact_create(
                actor=manager, data={"last_name": "Новый"}, company_links=[{"company": hidden}]
            )
        assert not Contact.objects.exists()

    def test_linking_needs_to_see_both_and_change_one(self, manager, stranger):
        own = ContactFactory(responsible=manager)
        hidden = CompanyFactory(responsible=stranger, created_by=stranger)
        with pytest.raises(PermissionDenied):
            contact_link_company(actor=manager, contact=own, company=hidden)
        # Seeing the company (but not changing it) is enough to link one's own contact.
        linker = role_with(
            (Entity.CONTACT, Action.READ, Scope.OWN),
            (Entity.CONTACT, Action.UPDATE, Scope.OWN),
            (Entity.COMPANY, Action.READ, Scope.ALL),
            members=[manager],
        )
        forget_rights(manager)
        contact_link_company(actor=manager, contact=own, company=hidden)
        assert ContactCompany.objects.filter(contact=own, company=hidden).exists()
        # Someone else's contact and company: seen, but neither may be changed.
        theirs = ContactFactory(responsible=stranger, created_by=stranger)
        ContactCompanyFactory(contact=theirs, company=hidden)
        role_with(
            (Entity.CONTACT, Action.READ, Scope.ALL),
            (Entity.COMPANY, Action.READ, Scope.ALL),
            members=[manager],
        )
        linker.delete()
        forget_rights(manager)
        with pytest.raises(PermissionDenied):
            contact_unlink_company(actor=manager, contact=theirs, company=hidden)
        assert ContactCompany.objects.filter(contact=theirs, company=hidden).exists()

    def test_the_system_is_not_checked(self, stranger):
        contact = ContactFactory(responsible=stranger)
        contact_update(actor=None, contact=contact, data={"position": "CEO"})
        contact.refresh_from_db()
        assert contact.position == "CEO"


# --- the Operator role: bank accounts hidden ----------------------------------------------------


@pytest.fixture
def operator(department):
    user = UserFactory(username="operator", department=department)
    system_role("operator", user)
    return user


@pytest.fixture
def company_with_account(manager):
    company = CompanyFactory(responsible=manager, title="ООО «Счёт»")
    BankAccountFactory(company=company, account_number=make_settlement_account(BIC, 77))
    return company


def test_operator_sees_the_company_card_without_bank_accounts(
    client, operator, company_with_account
):
    account = company_with_account.bank_accounts.get()
    client.force_login(operator)
    html = client.get(reverse("contacts:company_detail", args=[company_with_account.pk]))
    assert html.status_code == 200
    text = html.content.decode()
    assert "ООО «Счёт»" in text or "ООО &laquo;Счёт&raquo;" in text
    assert 'id="section-bank_accounts"' not in text
    assert account.account_number not in text and BIC not in text
    assert 'id="section-requisites"' in text  # the rest of the card is there


def test_operator_cannot_open_or_save_the_bank_accounts_section(
    client, operator, company_with_account
):
    url = reverse("contacts:company_section_bank_accounts", args=[company_with_account.pk])
    client.force_login(operator)
    assert client.get(url, headers=HTMX).status_code == 404
    assert client.get(url + "?edit=1", headers=HTMX).status_code == 404
    data = {
        "bank_accounts-TOTAL_FORMS": "1",
        "bank_accounts-INITIAL_FORMS": "1",
        "bank_accounts-0-bic": BIC,
        "bank_accounts-0-account_number": make_settlement_account(BIC, 99),
    }
    assert client.post(url, data, headers=HTMX).status_code == 403
    assert client.post(url, {**data, "row_action": "add:account"}, headers=HTMX).status_code == 403
    assert list(BankAccount.objects.values_list("account_number", flat=True)) == [
        make_settlement_account(BIC, 77)
    ]


def test_service_refuses_bank_account_changes_of_the_operator(operator, company_with_account):
    rows = [{"bic": BIC, "account_number": make_settlement_account(BIC, 99)}]
    with pytest.raises(PermissionDenied):
        company_update(actor=operator, company=company_with_account, data={}, bank_accounts=rows)
    with pytest.raises(PermissionDenied):
        company_create(actor=operator, data={"title": "Новая"}, bank_accounts=rows)
    assert list(BankAccount.objects.values_list("account_number", flat=True)) == [
        make_settlement_account(BIC, 77)
    ]
    # Everything else stays open to the operator.
    company_update(actor=operator, company=company_with_account, data={"industry": "Торговля"})
    company_with_account.refresh_from_db()
    assert company_with_account.industry == "Торговля"


def test_bank_account_history_is_left_out_of_the_operators_feed(
    client, manager, operator, company_with_account
):
    rows = [{"bic": BIC, "account_number": make_settlement_account(BIC, 55)}]
    company_update(actor=manager, company=company_with_account, data={}, bank_accounts=rows)
    client.force_login(operator)
    html = client.get(reverse("contacts:company_detail", args=[company_with_account.pk]))
    assert make_settlement_account(BIC, 55) not in html.content.decode()
    client.force_login(manager)
    html = client.get(reverse("contacts:company_detail", args=[company_with_account.pk]))
    assert make_settlement_account(BIC, 55) in html.content.decode()


def test_operator_sees_no_amounts_of_related_deals(client, operator, manager):
    company = CompanyFactory(responsible=operator)
    DealFactory(company=company, responsible=operator, amount=987654, title="Сделка оператора")
    client.force_login(operator)
    html = client.get(reverse("contacts:company_detail", args=[company.pk])).content.decode()
    assert "Сделка оператора" in html
    assert "987" not in html


# --- read-only views --------------------------------------------------------------------------


def test_read_only_role_sees_cards_without_edit_delete_or_new(client, manager, stranger):
    reader = UserFactory(username="reader")
    system_role("read-only", reader)
    contact = ContactFactory(responsible=stranger)
    company = CompanyFactory(responsible=stranger)
    client.force_login(reader)
    for url in (
        reverse("contacts:contact_detail", args=[contact.pk]),
        reverse("contacts:company_detail", args=[company.pk]),
    ):
        html = client.get(url).content.decode()
        assert "section-edit" not in html
        assert "/delete/" not in html
        assert "tl-composer" not in html
        assert "lookup picker" not in html
    listed = client.get(reverse("contacts:contact_list")).content.decode()
    assert f"/contacts/{contact.pk}/" in listed
    assert 'href="/contacts/new/"' not in listed
    assert "?action=delete" not in listed and "?action=assign" not in listed
    assert "/contacts/export/" not in listed
    assert 'name="ids"' not in listed  # nothing to select without a bulk action
    assert client.get(reverse("contacts:contact_create")).status_code == 403
    delete = reverse("contacts:contact_delete", args=[contact.pk])
    assert client.get(delete, headers=HTMX).status_code == 403
    assert client.post(delete, headers=HTMX).status_code == 403
    assert Contact.objects.filter(pk=contact.pk).exists()
    export = client.get(reverse("contacts:contact_export", args=["csv"]))
    assert export.status_code == 403


def test_picker_and_link_of_a_card_seen_but_not_changeable_are_403(client, stranger):
    reader = UserFactory(username="reader")
    system_role("read-only", reader)
    contact = ContactFactory(responsible=stranger)
    company = CompanyFactory(responsible=stranger)
    client.force_login(reader)
    picker = reverse("contacts:contact_company_picker", args=[contact.pk])
    assert client.get(picker, {"q": "ООО"}, headers=HTMX).status_code == 403
    link = reverse("contacts:contact_company_link", args=[contact.pk])
    assert client.post(link, {"company": company.pk}, headers=HTMX).status_code == 403
    assert not ContactCompany.objects.exists()


# --- heads and bulk actions ---------------------------------------------------------------------


def test_head_with_the_head_role_sees_the_departments_cards(client, head, manager, stranger):
    system_role("head", head)
    ours = ContactFactory(responsible=manager, last_name="Нашенский")
    theirs = ContactFactory(responsible=stranger, last_name="Чужаков")
    client.force_login(head)
    html = client.get(reverse("contacts:contact_list")).content.decode()
    assert "Нашенский" in html and "Чужаков" not in html
    assert client.get(reverse("contacts:contact_detail", args=[ours.pk])).status_code == 200
    assert client.get(reverse("contacts:contact_detail", args=[theirs.pk])).status_code == 404


def test_bulk_actions_leave_out_cards_without_rights_and_report_them(
    client, manager, other_manager, stranger
):
    role_with(
        (Entity.CONTACT, Action.READ, Scope.ALL),
        (Entity.CONTACT, Action.UPDATE, Scope.OWN),
        (Entity.CONTACT, Action.DELETE, Scope.OWN),
        members=[manager],
    )
    own = ContactFactory(responsible=manager, last_name="Свой")
    theirs = ContactFactory(responsible=stranger, created_by=stranger, last_name="Чужой")
    client.force_login(manager)
    url = reverse("contacts:contact_bulk")

    response = client.post(
        url,
        {"action": "assign", "ids": [own.pk, theirs.pk], "responsible": other_manager.pk},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert "you have no rights to it." in response.content.decode()
    theirs.refresh_from_db()
    assert theirs.responsible == stranger
    own.refresh_from_db()
    assert own.responsible == other_manager
    own.responsible = manager
    own.save(update_fields=["responsible"])

    response = client.post(
        url,
        {"action": "delete", "ids": [own.pk, theirs.pk, 10**6], "confirmed": "1"},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert "2 more</strong>: not found: deleted, or you have no rights to it." in (
        response.content.decode()
    )
    assert Contact.objects.filter(pk=theirs.pk).exists()


def test_bulk_action_refused_by_the_service_is_reported_not_a_500(client, manager, stranger):
    """A card open for the action whose change touches a read-only field: the service refuses
    it with PermissionDenied and the report names the card."""
    role = role_with(
        (Entity.CONTACT, Action.READ, Scope.OWN),
        (Entity.CONTACT, Action.UPDATE, Scope.OWN),
        members=[manager],
    )
    FieldRule.objects.create(
        role=role, entity=Entity.CONTACT, field="responsible", access="read_only"
    )
    own = ContactFactory(responsible=manager, last_name="Свой")
    client.force_login(manager)
    response = client.post(
        reverse("contacts:contact_bulk"),
        {"action": "assign", "ids": [own.pk], "responsible": stranger.pk},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert "no rights to change it." in response.content.decode()
    own.refresh_from_db()
    assert own.responsible == manager


def test_bulk_action_without_the_right_at_all_is_403(client, manager):
    role_with((Entity.COMPANY, Action.READ, Scope.ALL), members=[manager])
    company = CompanyFactory(responsible=manager)
    client.force_login(manager)
    response = client.post(
        reverse("contacts:company_bulk"),
        {"action": "delete", "ids": [company.pk], "confirmed": "1"},
        headers=HTMX,
    )
    assert response.status_code == 403
    assert Company.objects.filter(pk=company.pk).exists()


def test_export_is_written_to_the_audit_log(client, manager):
    ContactFactory(responsible=manager)
    ContactFactory(responsible=manager)
    client.force_login(manager)
    response = client.get(reverse("contacts:contact_export", args=["csv"]), {"q": "а"})
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="export")
    assert event.actor == manager
    assert event.object_type == "contacts.contact"
    assert event.details["format"] == "csv"
    assert event.details["filters"] == "q=%D0%B0"
    assert isinstance(event.details["rows"], int)


def test_export_rows_are_those_also_open_for_export(client, manager, stranger):
    role_with(
        (Entity.COMPANY, Action.READ, Scope.ALL),
        (Entity.COMPANY, Action.EXPORT, Scope.OWN),
        members=[manager],
    )
    CompanyFactory(responsible=manager, title="Своя компания")
    CompanyFactory(responsible=stranger, created_by=stranger, title="Чужая компания")
    client.force_login(manager)
    listed = client.get(reverse("contacts:company_list")).content.decode()
    assert "Своя компания" in listed and "Чужая компания" in listed
    body = b"".join(
        client.get(reverse("contacts:company_export", args=["csv"])).streaming_content
    ).decode()
    assert "Своя компания" in body and "Чужая компания" not in body
    assert AuditEvent.objects.get(action="export").details["rows"] == 1


def test_related_leads_and_deals_follow_their_own_rules(client, manager, stranger):
    company = CompanyFactory(responsible=manager)
    DealFactory(company=company, responsible=manager, title="Своя сделка")
    DealFactory(company=company, responsible=stranger, created_by=stranger, title="Чужая сделка")
    LeadFactory(company=company, responsible=stranger, created_by=stranger, title="Чужой лид")
    client.force_login(manager)
    html = client.get(reverse("contacts:company_detail", args=[company.pk])).content.decode()
    assert "Своя сделка" in html
    assert "Чужая сделка" not in html and "Чужой лид" not in html


def test_create_form_follows_field_rules(client, manager):
    role = role_with(
        (Entity.COMPANY, Action.READ, Scope.OWN),
        (Entity.COMPANY, Action.ADD, Scope.OWN),
        members=[manager],
    )
    FieldRule.objects.create(role=role, entity=Entity.COMPANY, field="inn", access="hidden")
    FieldRule.objects.create(
        role=role, entity=Entity.COMPANY, field="responsible", access="read_only"
    )
    client.force_login(manager)
    html = client.get(reverse("contacts:company_create")).content.decode()
    assert 'name="inn"' not in html
    assert 'name="responsible"' in html  # shown, but a posted value is ignored

    response = client.post(
        reverse("contacts:company_create"),
        {"title": "ООО «Новая»", "inn": "7707083893", "responsible": 10**6},
    )
    assert response.status_code == 302
    company = Company.objects.get()
    assert company.inn == "" and company.responsible == manager
