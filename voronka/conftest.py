"""Fixtures shared by every app's tests: the actors of a small sales department."""

import pytest
from django.utils import translation

from voronka.access.tests.factories import install_default_roles
from voronka.staff.tests.factories import DepartmentFactory, UserFactory


@pytest.fixture(autouse=True)
def _english_messages(settings):
    """Tests read messages in English unless a test asks for Russian itself
    (``translation.override("ru")`` or a request with ``Accept-Language: ru``)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Argon2 is slow on purpose; tests that create users don't need it to be."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def department(db):
    return DepartmentFactory(name="Отдел продаж")


@pytest.fixture
def head(department):
    user = UserFactory(
        username="head", position="Руководитель отдела продаж", department=department
    )
    department.head = user
    department.save(update_fields=["head"])
    return user


@pytest.fixture
def manager(department, head):
    return UserFactory(username="manager", department=department)


@pytest.fixture
def other_manager(department, head):
    return UserFactory(username="manager2", department=department)


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", is_staff=True, is_superuser=True, department=None)


@pytest.fixture(autouse=True)
def _default_roles_in_transactional_tests(request):
    """A transactional test starts from a flushed database, without the roles a data migration
    installs; put them back so an employee without a role has the Manager rights, as in any
    real installation."""
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or "live_server" in (
        request.fixturenames
    )
    if not (transactional or (marker and marker.kwargs.get("transaction"))):
        return
    request.getfixturevalue("transactional_db")
    install_default_roles()
