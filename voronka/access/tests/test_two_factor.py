"""The TOTP second factor: enrolment, the code after the password, a role that requires it."""

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from voronka.access.models import AuditEvent
from voronka.access.tests.factories import RoleFactory
from voronka.staff.tests.factories import UserFactory

PASSWORD = "password-for-tests"


def code_for(device: TOTPDevice, shift: int = 0) -> str:
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=shift)
    return f"{code:06d}"


@pytest.fixture
def employee(db):
    return UserFactory(username="petrov")


def sign_in(client, username="petrov"):
    return client.post(reverse("login"), {"username": username, "password": PASSWORD})


def enrolled(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)


def test_without_second_factor_sign_in_goes_straight_in(client, employee):
    response = sign_in(client)
    assert response.status_code == 302
    assert client.get(reverse("sales:home")).status_code in (200, 302)
    assert "access_second_factor" not in client.session


def test_enrolled_employee_must_enter_a_code_after_the_password(client, employee, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # django-otp delays retries after a failure
    device = enrolled(employee)
    sign_in(client)
    page = client.get(reverse("contacts:contact_list"))
    assert page.status_code == 302
    assert page.url.startswith(reverse("access:two_factor_verify"))
    # htmx requests are sent to the code page too, not served.
    htmx = client.get(reverse("contacts:contact_list"), HTTP_HX_REQUEST="true")
    assert htmx.headers["HX-Redirect"] == reverse("access:two_factor_verify")

    form = client.get(page.url)
    assert form.status_code == 200
    assert "authenticator app" in form.content.decode()

    wrong = client.post(reverse("access:two_factor_verify"), {"code": "000000"})
    assert wrong.status_code == 422
    assert "The code is wrong" in wrong.content.decode()
    assert AuditEvent.objects.filter(action="auth.second_factor_failed").count() == 1

    right = client.post(
        reverse("access:two_factor_verify"),
        {"code": code_for(device), "next": reverse("contacts:contact_list")},
    )
    assert right.status_code == 302
    assert right.url == reverse("contacts:contact_list")
    assert client.get(reverse("contacts:contact_list")).status_code == 200
    assert AuditEvent.objects.filter(action="auth.second_factor", actor=employee).exists()


def test_verify_refuses_an_outside_next_address(client, employee):
    device = enrolled(employee)
    sign_in(client)
    response = client.post(
        reverse("access:two_factor_verify"),
        {"code": code_for(device), "next": "https://evil.example.com/"},
    )
    assert response.status_code == 302
    assert response.url == reverse("sales:home")


def test_role_requiring_second_factor_sends_to_enrolment(client, employee, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    RoleFactory(requires_two_factor=True).members.add(employee)
    sign_in(client)
    page = client.get(reverse("contacts:contact_list"))
    assert page.url.startswith(reverse("access:two_factor_enrol"))

    enrol = client.get(reverse("access:two_factor_enrol"))
    assert enrol.status_code == 200
    content = enrol.content.decode()
    assert "<svg" in content
    assert "Your role requires" in content
    device = TOTPDevice.objects.get(user=employee, confirmed=False)

    wrong = client.post(reverse("access:two_factor_enrol"), {"code": "12"})
    assert wrong.status_code == 422
    assert "Enter the 6 digits" in wrong.content.decode()
    assert not TOTPDevice.objects.filter(user=employee, confirmed=True).exists()

    right = client.post(reverse("access:two_factor_enrol"), {"code": code_for(device)})
    assert right.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("contacts:contact_list")).status_code == 200
    assert AuditEvent.objects.filter(action="two_factor.enrol", actor=employee).exists()

    # The next sign-in asks for a code.
    client.logout()
    sign_in(client)
    assert client.get(reverse("contacts:contact_list")).url.startswith(
        reverse("access:two_factor_verify")
    )


def test_required_second_factor_cannot_be_turned_off(client, employee):
    device = enrolled(employee)
    RoleFactory(requires_two_factor=True).members.add(employee)
    client.force_login(employee)
    settle(client)
    page = client.get(reverse("access:two_factor"))
    assert "cannot be turned off" in page.content.decode()
    response = client.post(reverse("access:two_factor"), {"code": code_for(device)})
    assert response.status_code == 422
    assert TOTPDevice.objects.filter(user=employee).exists()


def settle(client):
    """The session as after a successful code (the code itself is tested above)."""
    session = client.session
    session.pop("access_second_factor", None)
    session.save()


def test_optional_second_factor_is_turned_off_with_a_code(client, employee):
    device = enrolled(employee)
    client.force_login(employee)
    settle(client)
    response = client.post(reverse("access:two_factor"), {"code": code_for(device)})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=employee).exists()
    assert AuditEvent.objects.filter(action="two_factor.disable").exists()


def test_second_factor_pages_need_sign_in(client, db):
    response = client.get(reverse("access:two_factor"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_pages_cost_no_extra_queries_without_second_factor(
    client, employee, django_assert_num_queries
):
    client.force_login(employee)
    client.get(reverse("access:two_factor"))
    # The middleware reads the session only: session + user, the menu's rights, then the
    # page's own two reads.
    with django_assert_num_queries(5):
        client.get(reverse("access:two_factor"))
