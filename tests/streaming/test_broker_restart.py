"""A RabbitMQ restart does not stop streams for good: the streaming server's exclusive queue dies
with the broker, the server connects again (backing off up to STREAMING_BROKER_RETRY_MAX_SECONDS),
declares a new queue and binds again the keys its open connections need; a post after the
restart is delivered to a stream that was open before it (the client may have been reconnected
meanwhile: both are allowed, and then it resumes as docs/streaming.md says).

Marked `faults`: it stops the shared broker for a few seconds (scripts/services, as
tests/events/test_faults.py does), so it runs only where that is allowed.
"""

from __future__ import annotations

import time

import pytest

from tests.mastodon.clients import PASSWORD, client, make_user, registered_app
from tests.streaming import live as _live
from tests.streaming.live import Collector
from tests.support import service_stopped

live_stack, live_streaming = _live.live_stack, _live.live_streaming  # the fixtures, for this module

pytestmark = [
    pytest.mark.slow,
    pytest.mark.faults,
    pytest.mark.timeout(300),
    pytest.mark.django_db(transaction=True, databases=["default", "read"]),
]


def test_streams_resume_after_a_rabbitmq_restart(live_streaming) -> None:
    live = live_streaming
    for name in ("alice", "bob"):
        make_user(name)
    app = registered_app(live.url)
    alice, bob = client(live.url, app), client(live.url, app)
    alice.log_in(username="alice", password=PASSWORD, allow_http=True)
    bob.log_in(username="bob", password=PASSWORD, allow_http=True)
    bob_id = alice.account_lookup("bob").id
    alice.account_follow(bob_id)
    live.wait(lambda: alice.account_relationships([bob_id])[0].following, what="the follow projected")

    home, tag = Collector(), Collector()
    handles = [
        alice.stream_user(home, run_async=True, reconnect_async=True, reconnect_async_wait_sec=1),
        alice.stream_hashtag("restart", tag, run_async=True, reconnect_async=True, reconnect_async_wait_sec=1),
    ]
    try:
        # Both streams subscribed end to end (the client connects in its own thread): a probe arrives.
        _until_delivered(live, bob, home, tag, "before the restart")

        with service_stopped("rabbitmq"):
            pass  # stopped, then started again: every queue and connection of the broker is gone

        # The relay and the workers reconnect by themselves (test_faults); so must the streaming
        # server: posts made after the restart reach both streams. A push published on a
        # projector's connection that has not yet noticed the restart may be lost (publishing is
        # best effort: the read model is the truth), so posts are repeated every 2 s until one
        # arrives; then one more must arrive too.
        probes = _until_delivered(live, bob, home, tag, "after the restart")
        again = _until_delivered(live, bob, home, tag, "steady again", every=60)
        assert len(again) == 1, "once re-subscribed, every post is pushed"
        assert len(probes) <= 10, probes
        assert _healthy(live)
    finally:
        for handle in handles:
            handle.close()


def _until_delivered(live, bob, home: Collector, tag: Collector, text: str, every: float = 2.0) -> list[str]:
    posts: list[str] = []
    last = [-every]

    def delivered() -> bool:
        pushed = {s.id for s in home.of("update")} & {s.id for s in tag.of("update")}
        if pushed & set(posts):
            return True
        if time.monotonic() - last[0] >= every:
            last[0] = time.monotonic()
            posts.append(bob.status_post(f"{text} {len(posts)} #restart").id)
        return False

    live.wait(delivered, what=f"a post {text} on both streams", timeout=180)
    return posts


def _healthy(live) -> bool:
    import requests

    return requests.get(f"{live.streaming_url}/api/v1/streaming/health", timeout=5).text in ("OK", "success")
