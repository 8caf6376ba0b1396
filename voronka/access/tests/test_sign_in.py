"""Sign-in hardening: lock-out after repeated failures, the audit of sign-ins, Argon2."""

import importlib
import os

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from voronka.access.models import AuditEvent
from voronka.staff.tests.factories import UserFactory

PASSWORD = "password-for-tests"


@pytest.fixture
def employee(db):
    return UserFactory(username="ivanov")


def sign_in(client, username, password):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR="203.0.113.7",
        HTTP_USER_AGENT="Firefox/130",
    )


def test_argon2_hashes_passwords_first():
    # The project's own settings module: the tests swap in a fast hasher at run time.
    configured = importlib.import_module(os.environ["DJANGO_SETTINGS_MODULE"])
    assert configured.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_sign_in_is_audited_with_address_and_browser(client, employee):
    response = sign_in(client, "ivanov", PASSWORD)
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="auth.login")
    assert event.actor == employee
    assert event.ip_address == "203.0.113.7"
    assert event.user_agent == "Firefox/130"


def test_failed_sign_in_is_audited_without_the_password(client, employee):
    response = sign_in(client, "ivanov", "wrong-password")
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.actor is None
    assert event.details == {"username": "ivanov"}
    assert "wrong-password" not in str(event.details)
    assert event.ip_address == "203.0.113.7"


def test_lock_out_after_the_failure_limit(client, employee, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _attempt in range(2):
        assert sign_in(client, "ivanov", "wrong").status_code == 200
    locked = sign_in(client, "ivanov", "wrong")
    assert locked.status_code == 429
    assert "Sign-in locked" in locked.content.decode()
    # Even the right password is refused while locked out.
    assert sign_in(client, "ivanov", PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session
    assert AccessAttempt.objects.get(username="ivanov").failures_since_start >= 3


def test_lock_out_counts_per_login_and_address(client, employee, settings):
    settings.AXES_FAILURE_LIMIT = 2
    sign_in(client, "ivanov", "wrong")
    sign_in(client, "ivanov", "wrong")
    other_address = client.post(
        reverse("login"),
        {"username": "ivanov", "password": PASSWORD},
        REMOTE_ADDR="198.51.100.1",
    )
    assert other_address.status_code == 302


def test_success_below_the_limit_resets_the_count(client, employee, settings):
    settings.AXES_FAILURE_LIMIT = 3
    sign_in(client, "ivanov", "wrong")
    sign_in(client, "ivanov", "wrong")
    assert sign_in(client, "ivanov", PASSWORD).status_code == 302
    client.logout()
    sign_in(client, "ivanov", "wrong")
    sign_in(client, "ivanov", "wrong")
    assert sign_in(client, "ivanov", PASSWORD).status_code == 302
