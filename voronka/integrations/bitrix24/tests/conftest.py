import asyncio

import pytest

from voronka.access.models import TokenKind
from voronka.access.services import api_token_create
from voronka.customization.models import Source

ALL_SCOPES = ["crm", "user", "department", "task", "telephony"]


def make_webhook(user, scopes=None) -> str:
    """The path prefix ``/rest/<id>/<code>/`` of a new inbound webhook of ``user``."""
    _token, raw = api_token_create(
        actor=user,
        user=user,
        name="Bitrix24",
        scopes=scopes or ALL_SCOPES,
        kind=TokenKind.WEBHOOK,
    )
    return f"/rest/{user.pk}/{raw}/"


@pytest.fixture
def sources(db):
    return [
        Source.objects.create(code="web", name="Website", sort=10),
        Source.objects.create(code="call", name="Call", sort=20),
    ]


@pytest.fixture(autouse=True)
def _fresh_event_loop():
    """bitrix24-rest closes the event loop it ran on; fast_bitrix24 reuses the current one.
    Each test starts with an open loop of its own."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield
    loop.close()
    asyncio.set_event_loop(None)
