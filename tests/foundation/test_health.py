"""/healthz and /readyz against the real services, including one that is really stopped."""

import pytest
from django.test import Client

from tests.support import service_stopped, wait_for

pytestmark = pytest.mark.django_db(databases=["default", "read"])


def test_healthz_answers_while_the_process_lives():
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_200_when_every_dependency_is_up():
    response = Client().get("/readyz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"postgres_write", "postgres_read", "rabbitmq", "elasticsearch"}
    assert all(check["status"] == "up" for check in body["checks"].values())


@pytest.mark.slow
@pytest.mark.faults
def test_readyz_is_503_naming_elasticsearch_while_it_is_stopped():
    client = Client()
    with service_stopped("elasticsearch"):
        response = client.get("/readyz")
        body = response.json()
        assert response.status_code == 503
        assert body["status"] == "unavailable"
        assert body["checks"]["elasticsearch"]["status"] == "down"
        assert body["checks"]["elasticsearch"]["error"]
        assert body["checks"]["postgres_write"]["status"] == "up"
        assert body["checks"]["rabbitmq"]["status"] == "up"
    wait_for(lambda: client.get("/readyz").status_code == 200, timeout=60, what="readyz back to 200")
