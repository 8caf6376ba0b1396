import pytest
from django.urls import reverse

from voronka.staff.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _menu_language(response) -> str:
    return response.content.decode().split('<html lang="', 1)[1].split('"', 1)[0]


def test_the_interface_is_russian_for_a_new_employee(client, manager, settings):
    settings.LANGUAGE_CODE = "ru"
    client.force_login(manager)

    response = client.get(reverse("sales:home"))

    assert _menu_language(response) == "ru"
    assert "Сделки" in response.content.decode()


def test_switching_language_is_kept_on_the_employee(client, manager):
    client.force_login(manager)

    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})

    assert response.status_code == 302
    manager.refresh_from_db()
    assert manager.language == "en"


def test_the_saved_language_wins_over_the_browser_on_another_device(client, settings):
    settings.LANGUAGE_CODE = "ru"
    employee = UserFactory(language="en")
    client.force_login(employee)

    response = client.get(reverse("sales:home"), headers={"accept-language": "ru"})

    assert _menu_language(response) == "en"
    assert "Deals" in response.content.decode()


def test_an_unknown_language_changes_nothing_and_is_not_an_error(client, manager):
    client.force_login(manager)

    response = client.post(reverse("set_language"), {"language": "xx", "next": "/"})

    assert response.status_code == 302
    manager.refresh_from_db()
    assert manager.language == ""


def test_the_sign_in_page_switches_language_for_a_visitor(client, settings):
    settings.LANGUAGE_CODE = "ru"

    client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    response = client.get(reverse("login"))

    assert _menu_language(response) == "en"
    assert "Sign in" in response.content.decode()


def test_menu_shows_the_employee_initials(client):
    employee = UserFactory(first_name="Анна", last_name="Петрова")
    client.force_login(employee)

    response = client.get(reverse("sales:home"))

    assert 'class="avatar"' in response.content.decode()
    assert "АП" in response.content.decode()


def test_password_change_needs_the_old_password(client):
    employee = UserFactory(password="old-secret-123")
    client.force_login(employee)
    url = reverse("password_change")

    assert client.get(url).status_code == 200
    wrong = client.post(
        url,
        {
            "old_password": "nope",
            "new_password1": "Zx9!long-pass",
            "new_password2": "Zx9!long-pass",
        },
    )
    assert wrong.status_code == 200
    assert "old password was entered incorrectly" in wrong.content.decode()

    right = client.post(
        url,
        {
            "old_password": "old-secret-123",
            "new_password1": "Zx9!long-pass",
            "new_password2": "Zx9!long-pass",
        },
    )
    assert right.status_code == 302
    employee.refresh_from_db()
    assert employee.check_password("Zx9!long-pass")
