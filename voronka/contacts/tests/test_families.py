"""Families: address keys, suggestions, creating and joining a family, families of one."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from voronka.access.models import Action, Entity, Scope
from voronka.access.tests.factories import role_with
from voronka.contacts.addresses import address_key
from voronka.contacts.models import (
    ClientSettings,
    Company,
    CompanyType,
    Contact,
    ContactCompany,
)
from voronka.contacts.selectors.families import family_suggestions
from voronka.contacts.services import contact_create, contact_update
from voronka.contacts.services.families import (
    families_for_contacts_without_company,
    family_add,
    family_create,
    family_of_one,
    family_of_one_if_required,
    family_suggestion_dismiss,
    surname_plural,
)
from voronka.contacts.tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db

LENINA = "г. Москва, ул. Ленина, д. 5, кв. 3"


@pytest.mark.parametrize(
    "spelling",
    [
        "Москва, улица Ленина, дом 5, квартира 3",
        "101000, Россия, г.Москва, ул.Ленина, д.5, кв.3",
        "  г. МОСКВА,  ул. ЛЕНИНА,  д. 5,  кв. 3 ",
        "г Москва ул Ленина д 5 кв 3",
    ],
)
def test_spellings_of_one_flat_match(spelling):
    assert address_key(spelling) == address_key(LENINA) != ""


@pytest.mark.parametrize(
    "other",
    [
        "г. Москва, ул. Ленина, д. 5, кв. 4",
        "г. Москва, ул. Ленина, д. 53",
        "г. Москва, ул. Ленина, д. 5, корп. 3",
        "г. Тверь, ул. Ленина, д. 5, кв. 3",
    ],
)
def test_other_flats_do_not_match(other):
    assert address_key(other) != address_key(LENINA)


def test_yo_is_e():
    assert address_key("ул. Королёва, 1") == address_key("улица Королева, 1")


@pytest.mark.parametrize(
    ("surname", "plural"),
    [
        ("Иванов", "Ивановых"),
        ("Иванова", "Ивановых"),
        ("Сорокин", "Сорокиных"),
        ("Вяземская", "Вяземских"),
        ("Толстой", "Толстых"),
        ("Ким", "Ким"),
    ],
)
def test_surname_plural(surname, plural):
    assert surname_plural(surname) == plural


def test_address_key_follows_create_and_update(manager):
    contact = contact_create(actor=manager, data={"last_name": "Иванов", "address": LENINA})
    assert Contact.objects.get(pk=contact.pk).address_key == "москва ленина 5 кв 3"

    contact_update(actor=manager, contact=contact, data={"address": "Тверь, Советская 1"})
    assert Contact.objects.get(pk=contact.pk).address_key == "тверь советская 1"

    contact_update(actor=manager, contact=contact, data={"address": ""})
    assert Contact.objects.get(pk=contact.pk).address_key == ""


def resident(manager, last_name, address=LENINA, **kwargs):
    contact = contact_create(
        actor=manager, data={"last_name": last_name, "address": address, **kwargs}
    )
    return Contact.objects.get(pk=contact.pk)


def test_suggestion_groups_contacts_of_one_address(manager):
    ivan = resident(manager, "Иванов")
    maria = resident(manager, "Иванова", address="Москва, улица Ленина, дом 5, квартира 3")
    resident(manager, "Петров", address="Москва, улица Ленина, дом 5, квартира 4")

    page = family_suggestions(user=manager)

    assert [[c.pk for c in s.contacts] for s in page.suggestions] == [[ivan.pk, maria.pk]]
    assert page.suggestions[0].title == "Ивановых family"


def test_create_family_links_everyone_and_ends_the_suggestion(manager):
    ivan, maria = resident(manager, "Иванов"), resident(manager, "Иванова")

    family = family_create(actor=manager, contacts=[ivan, maria])

    assert family.company_type == CompanyType.FAMILY
    assert family.title == "Ивановых family"
    links = ContactCompany.objects.filter(company=family)
    assert {link.contact_id for link in links} == {ivan.pk, maria.pk}
    assert all(link.is_primary for link in links)
    assert family_suggestions(user=manager).suggestions == []


def test_a_new_resident_is_suggested_with_the_existing_family(manager):
    ivan, maria = resident(manager, "Иванов"), resident(manager, "Иванова")
    family = family_create(actor=manager, contacts=[ivan, maria], title="Семья Ивановых")
    son = resident(manager, "Иванов", first_name="Пётр")

    [suggestion] = family_suggestions(user=manager).suggestions

    assert [c.pk for c in suggestion.contacts] == [ivan.pk, son.pk, maria.pk] or set(
        c.pk for c in suggestion.contacts
    ) == {ivan.pk, maria.pk, son.pk}
    assert suggestion.families == [family]

    family_add(actor=manager, company=family, contacts=[son])
    assert family_suggestions(user=manager).suggestions == []


def test_only_families_can_be_joined(manager):
    firm = CompanyFactory(responsible=manager)
    with pytest.raises(ValidationError):
        family_add(actor=manager, company=firm, contacts=[resident(manager, "Иванов")])


def test_dismissed_suggestion_is_hidden(manager):
    ivan, maria = resident(manager, "Иванов"), resident(manager, "Иванова")

    family_suggestion_dismiss(actor=manager, key=ivan.address_key, contact_ids=[ivan.pk, maria.pk])

    assert family_suggestions(user=manager).suggestions == []


def test_suggestions_only_among_visible_contacts(manager, other_manager):
    resident(manager, "Иванов")
    resident(other_manager, "Иванова")

    assert family_suggestions(user=manager).suggestions == []


def test_suggestions_page_through_keys(manager):
    for house in range(5):
        for name in ("Иванов", "Иванова"):
            resident(manager, name, address=f"Москва, Ленина {house}")

    first = family_suggestions(user=manager, size=3)
    second = family_suggestions(user=manager, size=3, after=first.next_key)

    assert len(first.suggestions) == 3 and first.next_key
    assert len(second.suggestions) == 2 and second.next_key is None


def test_family_of_one(manager):
    contact = resident(manager, "Сорокина")

    family = family_of_one(actor=manager, contact=contact)

    assert family.title == "Сорокиных family"
    assert contact.primary_company == family


def test_family_of_one_needs_the_right_to_add_companies(manager):
    role_with(
        (Entity.CONTACT, Action.READ, Scope.OWN),
        (Entity.CONTACT, Action.ADD, Scope.OWN),
        (Entity.CONTACT, Action.UPDATE, Scope.OWN),
        (Entity.COMPANY, Action.READ, Scope.OWN),
        members=[manager],
    )
    contact = resident(manager, "Иванов")

    with pytest.raises(PermissionDenied):
        family_of_one(actor=manager, contact=contact)
    assert not Company.objects.exists()


def test_required_company_gives_a_family_of_one_only_when_on(manager):
    lonely = resident(manager, "Иванов")
    assert family_of_one_if_required(actor=manager, contact=lonely) is None

    settings = ClientSettings.load()
    settings.require_company = True
    settings.save()
    employed = resident(manager, "Петров")
    ContactCompany.objects.create(contact=employed, company=CompanyFactory(responsible=manager))

    assert family_of_one_if_required(actor=manager, contact=employed) is None
    family = family_of_one_if_required(actor=manager, contact=lonely)
    assert family is not None and family.company_type == CompanyType.FAMILY


def test_apply_to_existing_contacts_without_company(manager, admin_user):
    lonely = [resident(manager, "Иванов"), resident(manager, "Петрова")]
    employed = resident(manager, "Сидоров")
    ContactCompany.objects.create(contact=employed, company=CompanyFactory(responsible=manager))

    created, skipped = families_for_contacts_without_company(actor=admin_user)

    assert (created, skipped) == (2, 0)
    assert {c.primary_company.title for c in lonely} == {"Ивановых family", "Петровых family"}
    assert Company.objects.filter(company_type=CompanyType.FAMILY).count() == 2


# ---- Views ----------------------------------------------------------------------------------


def test_page_lists_suggestions_with_fixed_queries(client, manager, django_assert_max_num_queries):
    for house in range(4):
        resident(manager, "Иванов", address=f"Москва, Ленина {house}")
        resident(manager, "Иванова", address=f"Москва, Ленина {house}")
    client.force_login(manager)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("contacts:family_suggestions"))

    assert response.status_code == 200
    assert response.content.decode().count("Ивановых family") == 4


def test_create_view_makes_the_family(client, manager):
    ivan, maria = resident(manager, "Иванов"), resident(manager, "Иванова")
    client.force_login(manager)

    response = client.post(
        reverse("contacts:family_create"),
        {"key": ivan.address_key, "ids": [ivan.pk, maria.pk], "title": "Семья Ивановых"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    family = Company.objects.get(title="Семья Ивановых")
    assert family.contact_links.count() == 2


def test_create_view_answers_404_for_contacts_of_another_department(client, manager, other_manager):
    theirs = [resident(other_manager, "Иванов"), resident(other_manager, "Иванова")]
    client.force_login(manager)

    for name in ("contacts:family_create", "contacts:family_dismiss"):
        response = client.post(
            reverse(name),
            {"key": theirs[0].address_key, "ids": [c.pk for c in theirs]},
        )
        assert response.status_code == 404
    assert not Company.objects.exists()


def test_join_view_refuses_a_company_that_is_not_a_family(client, manager):
    ivan = resident(manager, "Иванов")
    firm = CompanyFactory(responsible=manager)
    client.force_login(manager)

    response = client.post(
        reverse("contacts:family_create"),
        {"key": ivan.address_key, "ids": [ivan.pk], "family": firm.pk},
    )

    assert response.status_code == 404


def test_dismiss_view_hides_the_suggestion(client, manager):
    ivan, maria = resident(manager, "Иванов"), resident(manager, "Иванова")
    client.force_login(manager)

    response = client.post(
        reverse("contacts:family_dismiss"),
        {"key": ivan.address_key, "ids": [ivan.pk, maria.pk]},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert family_suggestions(user=manager).suggestions == []


def test_head_sees_the_departments_suggestions(client, head, manager):
    role_with(
        (Entity.CONTACT, Action.READ, Scope.DEPARTMENT_TREE),
        (Entity.COMPANY, Action.READ, Scope.DEPARTMENT_TREE),
        members=[head],
    )
    resident(manager, "Иванов")
    resident(manager, "Иванова")

    assert len(family_suggestions(user=head).suggestions) == 1


def test_fill_address_keys_command(manager):
    import io

    from django.core.management import call_command

    from voronka.contacts.tests.factories import ContactFactory

    contact = ContactFactory(responsible=manager, address=LENINA)
    assert Contact.objects.get(pk=contact.pk).address_key == ""

    call_command("fill_address_keys", stdout=io.StringIO())

    assert Contact.objects.get(pk=contact.pk).address_key == address_key(LENINA)


def test_a_contact_created_without_a_company_gets_a_family_when_the_setting_requires_it(
    manager,
):
    role_with(
        (Entity.CONTACT, Action.READ, Scope.OWN),
        (Entity.CONTACT, Action.ADD, Scope.OWN),
        (Entity.CONTACT, Action.UPDATE, Scope.OWN),
        members=[manager],
    )
    settings = ClientSettings.load()
    settings.require_company = True
    settings.save()
    contact = resident(manager, "Иванов")

    family = contact.primary_company
    assert family.company_type == CompanyType.FAMILY
    assert family.responsible == manager
    assert family_of_one_if_required(actor=manager, contact=contact) is None


def test_family_of_one_keeps_the_contacts_responsible(admin_user, manager):
    contact = resident(manager, "Иванов")

    family = family_of_one(actor=admin_user, contact=contact)

    assert family.responsible == manager
