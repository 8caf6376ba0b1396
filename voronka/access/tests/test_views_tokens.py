"""The employee's token page: issue (shown once), list, revoke; someone else's token is 404."""

from django.urls import reverse

from voronka.access.models import ApiToken, AuditEvent
from voronka.access.services import api_token_authenticate, api_token_create


def test_token_page_lists_own_tokens(client, manager, other_manager, django_assert_num_queries):
    for number in range(3):
        api_token_create(actor=manager, user=manager, name=f"Own {number}", scopes=["read"])
    api_token_create(actor=other_manager, user=other_manager, name="Foreign", scopes=["read"])
    client.force_login(manager)
    client.get(reverse("access:api_tokens"))
    with django_assert_num_queries(4):  # session, user, the menu's rights, tokens
        response = client.get(reverse("access:api_tokens"))
    content = response.content.decode()
    assert response.status_code == 200
    assert "Own 2" in content and "Foreign" not in content


def test_issued_token_is_shown_once_and_works(client, manager):
    client.force_login(manager)
    response = client.post(
        reverse("access:api_tokens"), {"name": "1С", "kind": "personal", "scopes": ["read"]}
    )
    assert response.status_code == 200
    token = ApiToken.objects.get(user=manager)
    content = response.content.decode()
    raw = content.split('<code class="token">')[1].split("</code>")[0]
    assert api_token_authenticate(raw) == manager
    assert raw not in client.get(reverse("access:api_tokens")).content.decode()
    assert token.token_hash not in content


def test_bad_token_form_is_refused_with_the_fields_message(client, manager):
    client.force_login(manager)
    response = client.post(reverse("access:api_tokens"), {"name": "", "kind": "personal"})
    assert response.status_code == 422
    assert "This field is required" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_revoke_own_token_and_foreign_is_404(client, manager, other_manager):
    token, raw = api_token_create(actor=manager, user=manager, name="CI", scopes=["read"])
    foreign, _raw = api_token_create(
        actor=other_manager, user=other_manager, name="X", scopes=["read"]
    )
    client.force_login(manager)
    response = client.post(reverse("access:api_token_revoke", args=[token.pk]))
    assert response.status_code == 302
    assert api_token_authenticate(raw) is None
    assert AuditEvent.objects.filter(action="api_token.revoke", actor=manager).exists()
    assert client.post(reverse("access:api_token_revoke", args=[foreign.pk])).status_code == 404
    assert client.post(reverse("access:api_token_revoke", args=[9999])).status_code == 404
    foreign.refresh_from_db()
    assert foreign.revoked_at is None


def test_token_page_needs_sign_in(client, db):
    response = client.get(reverse("access:api_tokens"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
