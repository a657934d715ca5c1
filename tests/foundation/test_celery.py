"""A task goes through the real RabbitMQ to a real worker process and back (no eager mode)."""

import uuid

import pytest

from socialapp.celery import app
from tests.support import celery_worker, child_env


@pytest.mark.slow
def test_task_round_trip_through_rabbitmq_and_a_worker_process():
    worker = celery_worker(["celery"], name="ping", env=child_env(CELERY_RESULT_BACKEND="rpc://"))
    try:
        app.conf.result_backend = "rpc://"
        _forget_cached_backend()  # an earlier test's send may have cached the disabled backend
        token = uuid.uuid4().hex
        result = app.send_task("socialapp.ping", args=[token], queue="celery")
        reply = result.get(timeout=60)
        assert reply["pong"] == token
        assert int(reply["pid"]) != 0
        assert app.conf.task_always_eager is False
    finally:
        app.conf.result_backend = None
        _forget_cached_backend()
        worker.stop()


def _forget_cached_backend() -> None:
    """Celery caches `app.backend` per thread on first use; the next use must read the conf again."""
    vars(app._local).pop("backend", None)
