import httpx

from voronka.core.testing.server import server_fixture

server = server_fixture(settings_overrides={"DEBUG": False})


def test_server_process_answers_over_http(transactional_db, server):
    response = httpx.get(server.url + "/health/")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"
