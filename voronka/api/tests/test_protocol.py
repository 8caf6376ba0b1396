"""Credentials, token scopes, idempotency keys, rate limits and the schema itself."""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from voronka.access.models import ApiToken, TokenKind, TokenScope
from voronka.access.services import api_token_create
from voronka.api.idempotency import purge_expired
from voronka.api.models import IDEMPOTENCY_TTL, IdempotencyKey
from voronka.api.tests.conftest import client_for, errors_of, stage
from voronka.sales.models import Lead
from voronka.sales.tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def test_no_credentials_is_401_json():
    response = APIClient().get("/api/v1/leads/")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer vrn_00000000_wrong", "Token nonsense", "Bearer"])
def test_a_bad_token_is_401(header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/leads/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_token_keyword_works_too(manager):
    _token, raw = api_token_create(actor=manager, user=manager, name="1C", scopes=[TokenScope.READ])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    assert client.get("/api/v1/leads/").status_code == 200


def test_revoked_token_and_webhook_token_are_refused(manager):
    token, raw = api_token_create(actor=manager, user=manager, name="Old", scopes=["read"])
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/leads/").status_code == 401
    _hook, raw = api_token_create(
        actor=manager,
        user=manager,
        name="Form",
        scopes=[TokenScope.INBOUND_LEAD],
        kind=TokenKind.WEBHOOK,
    )
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/leads/").status_code == 401


def test_scopes_narrow_the_token(manager, lead_pipeline):
    lead = LeadFactory(responsible=manager, stage=stage(lead_pipeline, "new"))
    reader = client_for(manager, scopes=[TokenScope.READ])
    assert reader.get("/api/v1/leads/").status_code == 200
    refused = reader.post("/api/v1/leads/", {"title": "x"}, format="json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    writer = client_for(manager, scopes=[TokenScope.WRITE])
    assert writer.get("/api/v1/leads/").status_code == 403
    assert writer.delete(f"/api/v1/leads/{lead.pk}/").status_code == 403
    deleter = client_for(manager, scopes=[TokenScope.DELETE])
    assert deleter.delete(f"/api/v1/leads/{lead.pk}/").status_code == 204


def test_session_writes_need_the_csrf_token(manager, lead_pipeline):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(manager)
    assert client.get("/api/v1/leads/").status_code == 200
    response = client.post("/api/v1/leads/", {"title": "x"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_a_repeated_post_with_the_same_key_creates_one_lead(api, lead_pipeline):
    body = {"title": "Заявка с сайта"}
    first = api.post("/api/v1/leads/", body, format="json", HTTP_IDEMPOTENCY_KEY="order-17")
    second = api.post("/api/v1/leads/", body, format="json", HTTP_IDEMPOTENCY_KEY="order-17")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Lead.objects.count() == 1
    other = api.post(
        "/api/v1/leads/", {"title": "Другая"}, format="json", HTTP_IDEMPOTENCY_KEY="order-17"
    )
    assert other.status_code == 422
    assert other.json()["code"] == "unprocessable"
    assert Lead.objects.count() == 1


def test_idempotency_keys_are_per_employee_and_expire(api, other_manager, lead_pipeline):
    body = {"title": "Заявка"}
    api.post("/api/v1/leads/", body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    client_for(other_manager).post("/api/v1/leads/", body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert Lead.objects.count() == 2
    IdempotencyKey.objects.update(created_at=timezone.now() - IDEMPOTENCY_TTL)
    api.post("/api/v1/leads/", body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert Lead.objects.count() == 3
    IdempotencyKey.objects.update(created_at=timezone.now() - IDEMPOTENCY_TTL)
    assert purge_expired() == 2


def test_a_failed_post_is_replayed_as_it_failed(api, lead_pipeline):
    body = {"title": "Заявка", "amount": "много"}
    first = api.post("/api/v1/leads/", body, format="json", HTTP_IDEMPOTENCY_KEY="bad")
    second = api.post("/api/v1/leads/", body, format="json", HTTP_IDEMPOTENCY_KEY="bad")
    assert first.status_code == second.status_code == 400
    assert errors_of(second) == errors_of(first)


def test_too_many_requests_answer_429_with_retry_after(settings, api):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api": "2/min"},
    }
    from django.core.cache import cache

    cache.clear()
    assert api.get("/api/v1/users/").status_code == 200
    assert api.get("/api/v1/users/").status_code == 200
    response = api.get("/api/v1/users/")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["code"] == "throttled"
    cache.clear()


def test_rate_is_unlimited_by_default(api):
    for _ in range(5):
        assert api.get("/api/v1/users/").status_code == 200


def test_schema_is_published(client):
    schema = client.get("/api/v1/schema/?format=json")
    assert schema.status_code == 200
    assert "/api/v1/deals/{id}/win/" in schema.json()["paths"]


def test_docs_page_lists_every_operation_for_employees(client, manager):
    assert client.get("/api/v1/docs/").status_code == 302
    client.force_login(manager)
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    content = page.content.decode()
    assert "/api/v1/leads/{id}/convert/" in content
    assert "Idempotency-Key" in content
    assert 'href="/accounts/tokens/"' in content


def test_the_schema_validates_without_warnings(tmp_path):
    from django.core.management import call_command

    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert "/api/v1/leads/{id}/move/" in target.read_text()
