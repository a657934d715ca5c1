"""/healthz and /readyz against the real services, including one that is really stopped."""

from pathlib import Path

import pytest
from django.test import Client, override_settings

from socialapp.common import health
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
    assert set(body["checks"]) == {"postgres_write", "postgres_read", "rabbitmq", "elasticsearch", "cache"}
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
        assert body["checks"]["elasticsearch"] == {"status": "down"}  # no exception text
        assert body["checks"]["postgres_write"]["status"] == "up"
        assert body["checks"]["rabbitmq"]["status"] == "up"
    wait_for(lambda: client.get("/readyz").status_code == 200, timeout=60, what="readyz back to 200")


@pytest.fixture
def fresh_broker_check():
    health.check_rabbitmq.reset()
    yield health.check_rabbitmq
    health.check_rabbitmq.reset()


def test_readyz_names_a_down_dependency_without_its_exception_text(fresh_broker_check):
    # A real refused connection: nothing listens on port 1.
    with override_settings(
        CELERY_BROKER_URL="amqp://socialapp:s3cret-pw@127.0.0.1:1/socialapp", HEALTH_CHECK_TIMEOUT=1
    ):
        response = Client().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["rabbitmq"] == {"status": "down"}
    assert body["checks"]["postgres_write"]["status"] == "up"
    text = response.content.decode()
    for leak in ("127.0.0.1", "s3cret", "refused", "Error", "amqp"):
        assert leak not in text, leak


def test_readyz_reuses_one_broker_connection(fresh_broker_check):
    client, before = Client(), fresh_broker_check.connects
    with override_settings(READINESS_BROKER_CACHE_SECONDS=0):  # every probe really checks
        for _ in range(5):
            assert client.get("/readyz").status_code == 200
    assert fresh_broker_check.connects - before == 1


def test_readiness_reflects_what_the_process_needs(fresh_broker_check):
    broker_down = {"CELERY_BROKER_URL": "amqp://socialapp:socialapp@127.0.0.1:1/socialapp", "HEALTH_CHECK_TIMEOUT": 1}
    with override_settings(READINESS_CHECKS=["postgres_write"], **broker_down):
        response = Client().get("/readyz")  # a command-serving process: the broker is the relay's business
    assert response.status_code == 200 and set(response.json()["checks"]) == {"postgres_write"}
    with override_settings(READINESS_CHECKS=["postgres_read", "elasticsearch"], **broker_down):
        response = Client().get("/readyz")
    assert response.status_code == 200 and set(response.json()["checks"]) == {"postgres_read", "elasticsearch"}
    with override_settings(READINESS_CHECKS=["postgres_write", "rabbitmq"], **broker_down):
        assert Client().get("/readyz").status_code == 503


def test_the_shared_health_module_imports_no_side():
    source = Path(health.__file__).read_text()
    assert "socialapp.read" not in source and "socialapp.write" not in source


def test_an_unknown_readiness_check_fails_the_system_checks():
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    with (
        override_settings(READINESS_CHECKS=["postgres_write", "postgress_read"]),
        pytest.raises(SystemCheckError, match="postgress_read"),
    ):
        call_command("check")
    call_command("check")
