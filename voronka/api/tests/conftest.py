"""An API client per actor, each with a personal token of every scope."""

import pytest
from rest_framework.test import APIClient

from voronka.access.models import TokenScope
from voronka.access.services import api_token_create

ALL_SCOPES = [TokenScope.READ, TokenScope.WRITE, TokenScope.DELETE]


def token_for(user, scopes=None) -> str:
    _token, raw = api_token_create(
        actor=user, user=user, name="Integration", scopes=list(scopes or ALL_SCOPES)
    )
    return raw


def client_for(user, scopes=None) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user, scopes)}")
    return client


@pytest.fixture
def api(manager) -> APIClient:
    """The manager's client (Manager role: own cards)."""
    return client_for(manager)


@pytest.fixture
def head_api(head) -> APIClient:
    return client_for(head)


@pytest.fixture
def admin_api(admin_user) -> APIClient:
    return client_for(admin_user)


@pytest.fixture
def lead_pipeline(db):
    from voronka.sales.models import PipelineEntity
    from voronka.sales.tests.factories import PipelineFactory

    return PipelineFactory.with_stages(entity=PipelineEntity.LEAD, is_default=True)


@pytest.fixture
def deal_pipeline(db):
    from voronka.sales.tests.factories import PipelineFactory

    return PipelineFactory.with_stages(is_default=True)


def stage(pipeline, code: str):
    return pipeline.stages.get(code=code)


def errors_of(response) -> dict:
    body = response.json()
    assert set(body) >= {"code", "detail"}, body
    return body.get("errors", {})
