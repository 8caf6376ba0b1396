import pytest
from django.urls import reverse

from voronka.contacts.models import Company, Contact, ContactCompany
from voronka.contacts.tests.factories import CompanyFactory, make_settlement_account
from voronka.timeline.models import EntryKind, TimelineEntry

pytestmark = pytest.mark.django_db

COMMUNICATIONS = "contacts-communication-card_type-card_id"


def management(prefix: str, total: int = 0, initial: int = 0) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def company_form(admin_user, **fields) -> dict:
    return {
        "company_type": "legal_entity",
        "title": "Сбербанк",
        "inn": "7707083893",
        "kpp": "773601001",
        "ogrn": "1027700132195",
        "responsible": str(admin_user.pk),
        "custom_fields": "{}",
        **management("addresses"),
        **management("bank_accounts"),
        **management(COMMUNICATIONS),
        **fields,
    }


def contact_form(admin_user, **fields) -> dict:
    return {
        "last_name": "Иванов",
        "first_name": "Пётр",
        "responsible": str(admin_user.pk),
        "custom_fields": "{}",
        **management(COMMUNICATIONS),
        **management("company_links"),
        **fields,
    }


def test_adding_a_company_goes_through_the_service(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:contacts_company_add"),
        company_form(
            admin_user,
            **management("bank_accounts", total=1),
            **{
                "bank_accounts-0-bic": "044525225",
                "bank_accounts-0-account_number": make_settlement_account("044525225", 1),
                "bank_accounts-0-correspondent_account": "30101810400000000225",
            },
            **management(COMMUNICATIONS, total=1),
            **{
                f"{COMMUNICATIONS}-0-kind": "phone",
                f"{COMMUNICATIONS}-0-value_type": "work",
                f"{COMMUNICATIONS}-0-value": "8 (495) 500-55-50",
            },
        ),
    )
    assert response.status_code == 302, response.context["errors"]
    company = Company.objects.get()
    assert company.communications.get().value_normalized == "+74955005550"
    assert company.bank_accounts.get().is_primary
    assert TimelineEntry.objects.filter(kind=EntryKind.CREATED, card_id=company.pk).exists()


def test_wrong_requisites_are_shown_on_the_form(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:contacts_company_add"),
        company_form(
            admin_user,
            inn="7707083894",
            **management("bank_accounts", total=1),
            **{
                "bank_accounts-0-bic": "044525225",
                "bank_accounts-0-account_number": "40702810938000000000",
            },
        ),
    )
    assert response.status_code == 200
    assert "wrong check digit" in response.content.decode()
    print(
        response.context["errors"],
        [f.errors for f in response.context["inline_admin_formsets"][1].formset.forms],
    )
    assert "wrong control key" in response.content.decode()
    assert Company.all_objects.count() == 0


def test_contact_links_edited_in_admin_keep_one_primary(client, admin_user):
    first, second = CompanyFactory(), CompanyFactory()
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:contacts_contact_add"),
        contact_form(
            admin_user,
            **management("company_links", total=1),
            **{"company_links-0-company": str(first.pk), "company_links-0-is_primary": "on"},
        ),
    )
    assert response.status_code == 302, response.context["errors"]
    contact = Contact.objects.get()
    link = contact.company_links.get()

    response = client.post(
        reverse("admin:contacts_contact_change", args=[contact.pk]),
        contact_form(
            admin_user,
            **management("company_links", total=2, initial=1),
            **{
                "company_links-0-id": str(link.pk),
                "company_links-0-contact": str(contact.pk),
                "company_links-0-company": str(first.pk),
                "company_links-1-contact": str(contact.pk),
                "company_links-1-company": str(second.pk),
                "company_links-1-is_primary": "on",
            },
        ),
    )
    assert response.status_code == 302, response.context["errors"]
    primary = ContactCompany.objects.get(contact=contact, is_primary=True)
    assert primary.company == second


def test_deleting_in_admin_moves_to_the_recycle_bin(client, admin_user):
    company = CompanyFactory()
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:contacts_company_delete", args=[company.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert Company.all_objects.get(pk=company.pk).is_deleted


def test_lists_render(client, admin_user):
    CompanyFactory()
    client.force_login(admin_user)
    for name in ("contact", "company", "contactcompany"):
        assert client.get(reverse(f"admin:contacts_{name}_changelist")).status_code == 200
    assert (
        client.get(reverse("admin:contacts_company_changelist"), {"q": "7707"}).status_code == 200
    )
