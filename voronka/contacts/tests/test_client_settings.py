"""The client settings page: administrators only, validated, audited."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from voronka.access.models import AuditEvent
from voronka.contacts.models import ClientSettings, Company, DuplicatePolicy
from voronka.contacts.services.client_settings import client_settings_update
from voronka.contacts.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

URL = "contacts:client_settings"


def form_data(**changes):
    data = {
        "require_company": "on",
        "merge_undo_days": "14",
        "ltv_a_share": "70",
        "ltv_b_share": "90",
        "lead_mode": "allow",
        "contact_mode": "block",
        "contact_rules": ["phone", "email"],
        "company_mode": "warn",
        "company_rules": ["phone", "email", "inn", "inn_kpp", "company_name"],
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_administrator_opens_and_saves(client, admin_user):
    client.force_login(admin_user)
    page = client.get(reverse(URL))
    assert page.status_code == 200
    assert 'name="contact_rules"' in page.content.decode()

    response = client.post(reverse(URL), form_data())

    assert response.status_code == 302
    settings = ClientSettings.load()
    assert settings.require_company is True
    assert (settings.merge_undo_days, settings.ltv_a_share, settings.ltv_b_share) == (14, 70, 90)
    policies = {p.entity: (p.mode, p.rules) for p in DuplicatePolicy.objects.all()}
    assert policies["contact"] == ("block", ["phone", "email"])
    # Every rule ticked is stored as "every rule".
    assert policies["company"] == ("warn", [])
    assert policies["lead"][0] == "allow"
    event = AuditEvent.objects.get(action="settings.clients")
    assert event.actor == admin_user
    assert event.details["ltv_a_share"] == [80, 70]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ltv_a_share": "95", "ltv_b_share": "90"}, "ltv_b_share"),
        ({"ltv_a_share": "80", "ltv_b_share": "80"}, "ltv_b_share"),
        ({"ltv_a_share": "0"}, "ltv_a_share"),
        ({"ltv_b_share": "101"}, "ltv_b_share"),
        ({"merge_undo_days": "0"}, "merge_undo_days"),
        ({"contact_rules": []}, "contact_rules"),
        ({"contact_mode": "sometimes"}, "contact_mode"),
    ],
)
def test_bad_values_are_shown_and_nothing_saved(client, admin_user, changes, field):
    client.force_login(admin_user)

    response = client.post(reverse(URL), form_data(**changes))

    assert response.status_code == 422
    assert field in response.context["form"].errors
    assert ClientSettings.load().ltv_a_share == 80
    assert not AuditEvent.objects.filter(action="settings.clients").exists()


@pytest.mark.parametrize("who", ["manager", "head"])
def test_others_get_403(client, request, who):
    user = request.getfixturevalue(who)
    client.force_login(user)

    assert client.get(reverse(URL)).status_code == 403
    assert client.post(reverse(URL), form_data()).status_code == 403
    assert client.post(reverse("contacts:families_apply")).status_code == 403
    assert ClientSettings.load().require_company is False


def test_service_refuses_without_the_right(manager):
    with pytest.raises(PermissionDenied):
        client_settings_update(actor=manager, values={"ltv_a_share": 50}, policies={})


def test_service_checks_the_shares(admin_user):
    with pytest.raises(ValidationError):
        client_settings_update(actor=admin_user, values={"ltv_a_share": 96}, policies={})
    assert ClientSettings.load().ltv_a_share == 80


def test_nothing_changed_is_not_audited(admin_user):
    client_settings_update(actor=admin_user, values={"ltv_a_share": 80}, policies={})

    assert not AuditEvent.objects.filter(action="settings.clients").exists()


def test_apply_button_gives_families_of_one(client, admin_user, manager):
    ContactFactory(responsible=manager, last_name="Иванов")
    client.force_login(admin_user)

    response = client.post(reverse("contacts:families_apply"))

    assert response.status_code == 302
    assert Company.objects.get().title == "Ивановых family"
    assert AuditEvent.objects.filter(action="contacts.families_of_one").exists()
