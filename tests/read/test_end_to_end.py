"""End to end through the real pipeline: HTTP commands -> event log -> relay -> RabbitMQ ->
projector worker (and fan-out chunk tasks on the default queue) -> read models -> query API.
The consistency token makes the read right after the write see it."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.pipeline_support import start_relay, start_worker
from tests.support import celery_worker, child_env, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, databases=["default", "read"])]
MINE = ["profiles", "posts", "home_feed", "notifications"]


def client(token: str | None = None) -> APIClient:
    c = APIClient()
    if token:
        c.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return c


def register(name: str) -> str:
    r = client().post(
        "/api/socialapp/v1/auth/register",
        {"username": name, "email": f"{name}@example.org", "password": "correct-Horse-9"},
        format="json",
    )
    assert r.status_code == 201, r.content
    return r.json()["token"]


def ids(response) -> list[str]:
    return [item["id"] for item in response.json()["results"]]


def test_read_your_writes_and_chunked_fanout_end_to_end(settings) -> None:
    # The bound is what a client accepts; on a loaded 2-core CI machine the default 2 s can pass
    # before a freshly started worker catches up. The point here is that the *first* read sees it.
    settings.CONSISTENCY_WAIT_SECONDS = 30
    env = child_env(FEED_FANOUT_CHUNK="2")  # 3 followers: two chunk tasks on the default queue
    relay = start_relay(env=env)
    worker = start_worker(MINE, env=env)
    chunks = celery_worker(["celery"], name="fanout-chunks", extra=["-P", "solo"], env=env)
    try:
        tokens = {n: register(n) for n in ("ann", "bob", "cat", "dan")}
        follow_tokens = []
        for n in ("bob", "cat", "dan"):
            r = client(tokens[n]).put("/api/socialapp/v1/users/ann/follow")
            assert r.status_code in (200, 201, 204), r.content
            follow_tokens.append(r["X-Consistency-Token"])
        r = client(tokens["ann"]).post("/api/socialapp/v1/posts", {"body": "hello followers #e2e"}, format="json")
        assert r.status_code == 201, r.content
        post_id, token = r.json()["id"], r["X-Consistency-Token"]

        ann = client(tokens["ann"])
        read = ann.get(f"/api/socialapp/v1/posts/{post_id}", HTTP_X_CONSISTENCY_TOKEN=token)
        assert read.status_code == 200 and read["X-Consistency-Satisfied"] == "true", read.content
        feed = ann.get("/api/socialapp/v1/feed", HTTP_X_CONSISTENCY_TOKEN=token)
        assert feed["X-Consistency-Satisfied"] == "true" and ids(feed)[0] == post_id  # own post at once
        profile = ann.get("/api/socialapp/v1/me", HTTP_X_CONSISTENCY_TOKEN=follow_tokens[-1])
        assert profile["X-Consistency-Satisfied"] == "true"
        for n in ("bob", "cat", "dan"):  # followers: through the chunk tasks
            wait_for(lambda n=n: post_id in ids(client(tokens[n]).get("/api/socialapp/v1/feed")), timeout=60, what=n)
        notes = ann.get("/api/socialapp/v1/notifications", HTTP_X_CONSISTENCY_TOKEN=follow_tokens[-1]).json()
        assert sorted(x["actor"]["username"] for x in notes["results"]) == ["bob", "cat", "dan"]
        assert ann.get("/api/socialapp/v1/users/ann").json()["follower_count"] == 3
        lag = wait_for(lambda: ann.get("/api/socialapp/v1/feed")["X-Read-Lag"].replace("unknown", ""), timeout=20)
        assert float(lag) >= 0
    finally:
        for process in (chunks, worker, relay):
            process.stop()
