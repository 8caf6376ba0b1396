import datetime

import pytest
from django.utils import timezone

from voronka.core.models import Heartbeat
from voronka.core.tasks import worker_heartbeat

pytestmark = pytest.mark.django_db


def test_health_answers_without_sign_in_and_reports_a_silent_worker(client):
    response = client.get("/health/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "worker": {"alive": False, "last_beat": None}}


def test_worker_heartbeat_task_makes_the_worker_alive(client):
    worker_heartbeat()

    worker = client.get("/health/").json()["worker"]
    assert worker["alive"] is True
    assert worker["last_beat"] is not None


def test_a_heartbeat_older_than_three_minutes_is_stale(client):
    Heartbeat.objects.create(name="worker", beat_at=timezone.now() - datetime.timedelta(minutes=4))

    assert client.get("/health/").json()["worker"]["alive"] is False


def test_pages_other_than_health_require_sign_in(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_the_stylesheet_every_page_links_is_found_by_collectstatic():
    from django.contrib.staticfiles import finders

    assert finders.find("css/voronka.css") is not None
