"""A stream is admitted only while the streaming process consumes from the broker: its keys are
then bound before the response starts, which the resume protocol relies on (docs/streaming.md,
"Resume after a disconnect"). Without a broker, a stream waits STREAMING_BROKER_WAIT_SECONDS and
gets 503 (Mastodon's `{"error"}` on its routes, problem JSON on ours), and the health route
still answers (the process is alive; clients retry)."""

from __future__ import annotations

import socket

import pytest
import requests

from devkit.processes import child_env
from devkit.streaming import StreamingServer
from tests.read.api_support import make_site

pytestmark = [pytest.mark.django_db(transaction=True, databases=["default", "read"])]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the block ends: nothing listens there


def test_streams_wait_for_the_broker_then_answer_503() -> None:
    site = make_site("ann")
    site.apply()
    auth = {"Authorization": f"Bearer {site.tokens['ann']}"}
    env = child_env(
        CELERY_BROKER_URL=f"amqp://socialapp:socialapp@127.0.0.1:{_closed_port()}/nowhere",
        STREAMING_BROKER_WAIT_SECONDS="0.5",
    )
    server = StreamingServer(env=env, name="streaming-no-broker")
    # devkit's start() waits until the server consumes, which it never will here: start by hand.
    import sys

    from devkit.processes import ChildProcess, wait_for

    server.process = ChildProcess(
        [sys.executable, "-m", "uvicorn", "socialapp.streaming.asgi:application", "--host", "127.0.0.1",
         "--port", str(server.port), "--no-access-log"],
        env,
        server.name,
    )  # fmt: skip
    try:
        wait_for(server.healthy, timeout=60, what="the health route, broker or not")
        mastodon = requests.get(f"{server.url}/api/v1/streaming/user", headers=auth, timeout=10)
        assert mastodon.status_code == 503 and "broker" in mastodon.json()["error"]
        ours = requests.get(f"{server.url}/api/socialapp/v1/stream?stream=user", headers=auth, timeout=10)
        assert ours.status_code == 503 and ours.headers["Content-Type"].startswith("application/problem+json")
    finally:
        server.stop()
