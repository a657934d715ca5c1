"""The Mastodon SSE endpoints byte for byte, read by Mastodon.py's own parser, and their errors."""

from __future__ import annotations

import threading

import pytest
import requests
from mastodon.streaming import StreamListener

from socialapp.read.push.messages import ROUTE_PUBLIC, Kind, route_hashtag
from tests.streaming.conftest import HOST, World, message, push, to_users

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, databases=["default", "read"])]


def test_health(server) -> None:
    response = requests.get(server.url + "/api/v1/streaming/health", timeout=5)
    assert (response.status_code, response.text) == (200, "OK")
    assert response.headers["content-type"].startswith("text/plain")


def test_exact_framing_and_headers(server, streams) -> None:
    w = World("alice", "bob")
    post = w.world.post(w.id("bob"), "hello #framing")
    w.apply()
    stream = streams(server.url + "/api/v1/streaming/public")
    assert stream.status == 200
    headers = stream.response.headers
    assert headers["content-type"] == "text/event-stream"
    assert headers["cache-control"] == "no-store"
    assert headers["x-accel-buffering"] == "no"
    assert "content-encoding" not in headers
    push(message(Kind.UPDATE, status=w.facts(post)), [ROUTE_PUBLIC])
    push(message(Kind.DELETE, status=w.facts(post), event_type="post.deleted"), [ROUTE_PUBLIC])
    stream.wait("delete")
    stream.wait("update")
    raw = bytes(stream.raw)
    assert raw.startswith(b":)\n")
    assert b"\r" not in raw
    update = stream.named("update")[0]
    framed = f"event: update\ndata: {update['data']}\n\n".encode()
    assert framed in raw
    assert f"event: delete\ndata: {post}\n\n".encode() in raw
    # Heartbeats while idle, as bare comment lines.
    stream.comments.clear()
    from devkit.processes import wait_for

    wait_for(lambda: ":thump" in stream.comments, timeout=5, what="a heartbeat")
    assert b":thump\n" in bytes(stream.raw)


class Recorder(StreamListener):
    def __init__(self) -> None:
        self.updates: list = []
        self.deletes: list = []
        self.notifications: list = []
        self.status_updates: list = []
        self.heartbeats = 0

    def on_update(self, status) -> None:
        self.updates.append(status)

    def on_delete(self, status_id) -> None:
        self.deletes.append(status_id)

    def on_notification(self, notification) -> None:
        self.notifications.append(notification)

    def on_status_update(self, status) -> None:
        self.status_updates.append(status)

    def handle_heartbeat(self) -> None:
        self.heartbeats += 1


def test_mastodon_py_parses_our_user_stream(server) -> None:
    """Mastodon.py's StreamListener.handle_stream over a real HTTP response: every event kind
    arrives as the typed object, without a malformed-event error."""
    from devkit.processes import wait_for

    w = World("alice", "bob")
    w.world.follow(w.id("alice"), w.id("bob"))
    post = w.world.post(w.id("bob"), "hi alice")
    w.world.like(w.id("bob"), w.world.post(w.id("alice"), "mine"))
    w.apply()
    response = requests.get(
        server.url + "/api/v1/streaming/user",
        headers={"Authorization": f"Bearer {w.token('alice')}", "Host": HOST},
        stream=True,
        timeout=(5, 30),
    )
    recorder = Recorder()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            recorder.handle_stream(response)
        except BaseException as exc:
            errors.append(exc)

    threading.Thread(target=run, daemon=True).start()
    wait_for(lambda: recorder.heartbeats >= 1, timeout=10, what="the opening comment")
    alice = w.id("alice")
    to_users(Kind.UPDATE, w.facts(post), alice)
    to_users(Kind.STATUS_UPDATE, w.facts(post), alice, event_type="post.edited")
    push(
        message(Kind.NOTIFICATION, notification=w.latest_notification("alice"), recipients=(alice,)), [f"user.{alice}"]
    )
    to_users(Kind.DELETE, w.facts(post), alice, event_type="post.deleted")
    wait_for(lambda: recorder.deletes, timeout=15, what="the delete")
    response.close()
    assert not [e for e in errors if "Malformed" in type(e).__name__], errors
    assert [str(s.id) for s in recorder.updates] == [str(post)]
    assert [str(s.id) for s in recorder.status_updates] == [str(post)]
    assert recorder.notifications[0].type == "favourite"
    assert recorder.notifications[0].account.username == "bob"
    assert [str(d) for d in recorder.deletes] == [str(post)]


ERRORS = [
    ("/api/v1/streaming/list?list=1", 404),
    ("/api/v1/streaming/direct", 404),
    ("/api/v1/streaming/nonsense", 404),
    ("/api/v1/streaming?stream=nonsense", 404),
    ("/api/v1/streaming?stream=list", 404),
    ("/api/v1/streaming/hashtag", 400),
    ("/api/v1/streaming?stream=hashtag", 400),
    ("/api/v1/streaming", 400),
]


def test_mastodon_errors(server) -> None:
    for path, status in ERRORS:
        response = requests.get(server.url + path, timeout=5)
        assert response.status_code == status, path
        assert isinstance(response.json()["error"], str), path


def test_authentication(server, streams) -> None:
    w = World("alice")
    assert requests.get(server.url + "/api/v1/streaming/user", timeout=5).status_code == 401
    bad = requests.get(server.url + "/api/v1/streaming/user", headers={"Authorization": "Bearer nope"}, timeout=5)
    assert bad.status_code == 401 and bad.json() == {"error": "Invalid access token"}
    # A bad token is refused on a public stream too, as Mastodon's server does.
    assert requests.get(server.url + "/api/v1/streaming/public?access_token=nope", timeout=5).status_code == 401
    # Anonymous public and hashtag streams are allowed, as the public and tag timelines are.
    assert streams(server.url + "/api/v1/streaming/public").status == 200
    assert streams(server.url + "/api/v1/streaming/hashtag", params={"tag": "x"}).status == 200
    # The token as the access_token parameter, and the ?stream= form.
    stream = streams(server.url + "/api/v1/streaming", params={"stream": "user", "access_token": w.token("alice")})
    assert stream.status == 200


def test_scopes(server, streams) -> None:
    from django.contrib.auth import get_user_model

    from socialapp.write.accounts.services import token_issue

    w = World("alice")
    user = get_user_model().objects.get(pk=w.id("alice"))
    notifications_only = token_issue(user=user, scope="read:notifications")
    assert (
        requests.get(
            server.url + "/api/v1/streaming/user", params={"access_token": notifications_only}, timeout=5
        ).status_code
        == 401
    )
    assert streams(server.url + "/api/v1/streaming/user/notification", token=notifications_only).status == 200
    write_only = token_issue(user=user, scope="write")
    assert (
        requests.get(
            server.url + "/api/v1/streaming/public", params={"access_token": write_only}, timeout=5
        ).status_code
        == 401
    )


def test_hashtag_stream_by_folded_tag(server, streams) -> None:
    w = World("bob")
    post = w.world.post(w.id("bob"), "a #Tagged post")
    w.apply()
    stream = streams(server.url + "/api/v1/streaming/hashtag", params={"tag": "#TAGGED"})
    push(message(Kind.UPDATE, status=w.facts(post)), [route_hashtag("tagged")])
    stream.wait("update")
    assert [s["id"] for s in stream.data("update")] == [str(post)]
