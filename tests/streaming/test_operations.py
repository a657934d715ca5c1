"""Running the server: slow clients, revoked tokens, the connection limit, metrics, bindings that
follow connections, and a broker connection closed under it."""

from __future__ import annotations

import socket
from urllib.parse import quote, urlsplit

import pytest
import requests

from devkit.processes import wait_for
from socialapp.events.status import management_api
from socialapp.read.push.messages import ROUTE_PUBLIC, Kind, route_hashtag, route_user
from socialapp.streaming.broker import connection_name
from tests.streaming.conftest import World, bound_keys, message, metric, push, to_users

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, databases=["default", "read"])]


def test_a_client_that_does_not_read_is_dropped(start_server) -> None:
    server = start_server(STREAMING_CONNECTION_QUEUE="4", STREAMING_HEARTBEAT_SECONDS="30")
    w = World("alice", "bob")
    alice, bob = w.id("alice"), w.id("bob")
    post = w.world.post(bob, "x" * 400 + " #slow")
    w.apply()
    port = int(urlsplit(server.url).port or 0)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.sendall(
        f"GET /api/v1/streaming/user HTTP/1.1\r\nHost: testserver\r\nAuthorization: Bearer {w.token('alice')}\r\n\r\n".encode()
    )
    assert b" 200 " in sock.recv(64)
    wait_for(lambda: metric(server, "socialapp_streaming_connections", 'stream="user"') == 1, what="connected")
    facts = w.facts(post)
    sent = 0

    def dropped() -> bool:
        nonlocal sent
        for _ in range(200):  # edits of one status: rendered once, pushed as fast as published
            to_users(Kind.STATUS_UPDATE, facts, alice, position=1, event_type="post.edited")
            sent += 1
        return metric(server, "socialapp_streaming_dropped_slow_clients_total") == 1

    wait_for(dropped, timeout=60, interval=0.01, what="the slow client dropped")
    wait_for(lambda: metric(server, "socialapp_streaming_connections", 'stream="user"') == 0, what="forgotten")
    # The server closed the socket: reading what is buffered ends in EOF (or a reset).
    sock.settimeout(10)
    try:
        while sock.recv(65536):
            pass
    except ConnectionResetError:
        pass
    sock.close()
    # The server still serves others.
    assert requests.get(server.url + "/api/v1/streaming/health", timeout=5).text == "OK"
    assert sent < 20000


def test_a_revoked_token_ends_the_stream(server, streams) -> None:
    from socialapp.write.accounts.models import AuthToken
    from socialapp.write.accounts.services import sessions_end

    w = World("alice")
    stream = streams(server.url + "/api/v1/streaming/user", token=w.token("alice"))
    public = streams(server.url + "/api/v1/streaming/public", token=w.token("alice"))
    assert not stream.ended.is_set()
    sessions_end(AuthToken.objects.filter(user_id=w.id("alice")))
    # STREAMING_AUTH_RECHECK_SECONDS is 0.3 here.
    assert stream.ended.wait(10), "the stream outlived its token"
    assert public.ended.wait(10)
    assert (
        requests.get(
            server.url + "/api/v1/streaming/user", params={"access_token": w.token("alice")}, timeout=5
        ).status_code
        == 401
    )


def test_connection_limit(start_server, streams) -> None:
    server = start_server(STREAMING_MAX_CONNECTIONS="2")
    first = streams(server.url + "/api/v1/streaming/public")
    streams(server.url + "/api/v1/streaming/public")
    refused = requests.get(server.url + "/api/v1/streaming/public", timeout=5)
    assert refused.status_code == 503 and "error" in refused.json()
    ours = requests.get(server.url + "/api/socialapp/v1/stream", params={"stream": "public"}, timeout=5)
    assert ours.status_code == 503
    assert ours.headers["content-type"] == "application/problem+json"
    assert ours.json()["status"] == 503
    first.close()
    wait_for(
        lambda: requests.get(server.url + "/api/v1/streaming/public", stream=True, timeout=5).status_code == 200,
        what="a place freed",
    )


def test_our_api_errors_are_problems(server) -> None:
    url = server.url + "/api/socialapp/v1/stream"
    cases = [({}, 400), ({"stream": "bogus"}, 404), ({"stream": "hashtag"}, 400), ({"stream": "user"}, 401)]
    for params, status in cases:
        response = requests.get(url, params=params, timeout=5)
        assert response.status_code == status, params
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["status"] == status and body["type"].startswith("/problems/")
    assert requests.get(url, params={"stream": "user"}, timeout=5).headers["www-authenticate"] == "Bearer"


def test_metrics(server, streams) -> None:
    w = World("alice", "bob")
    alice, bob = w.id("alice"), w.id("bob")
    post = w.world.post(bob, "counted")
    w.apply()
    assert requests.get(server.url + "/metrics", timeout=5).status_code == 401
    user = streams(server.url + "/api/v1/streaming/user", token=w.token("alice"))
    streams(server.url + "/api/v1/streaming/public")
    streams(server.url + "/api/v1/streaming/public")
    assert metric(server, "socialapp_streaming_connections", 'stream="user"') == 1
    assert metric(server, "socialapp_streaming_connections", 'stream="public"') == 2
    to_users(Kind.UPDATE, w.facts(post), alice)
    to_users(Kind.DELETE, w.facts(post), alice, event_type="post.deleted")
    user.wait("delete")
    assert metric(server, "socialapp_streaming_messages_received_total") == 2
    assert metric(server, "socialapp_streaming_messages_pushed_total", 'event="update"') == 1
    assert metric(server, "socialapp_streaming_messages_pushed_total", 'event="delete"') == 1
    assert metric(server, "socialapp_streaming_push_latency_seconds_count") == 2
    assert metric(server, "socialapp_streaming_dropped_slow_clients_total") == 0
    user.close()
    wait_for(lambda: metric(server, "socialapp_streaming_connections", 'stream="user"') == 0, what="gauge down")


def test_bindings_follow_connections(server, streams) -> None:
    w = World("alice")
    alice_key, tag_key = route_user(w.id("alice")), route_hashtag("bound")
    assert bound_keys() == set()
    user = streams(server.url + "/api/v1/streaming/user", token=w.token("alice"))
    tag1 = streams(server.url + "/api/v1/streaming/hashtag", params={"tag": "bound"})
    tag2 = streams(server.url + "/api/v1/streaming/hashtag", params={"tag": "Bound"})
    assert bound_keys() == {alice_key, tag_key}
    tag1.close()
    user.close()
    wait_for(lambda: bound_keys() == {tag_key}, what="alice's key unbound, the tag kept")
    tag2.close()
    wait_for(lambda: bound_keys() == set(), what="everything unbound")


def test_the_server_reconnects_after_its_broker_connection_is_closed(server, streams) -> None:
    """Losing the broker connection loses its queue and whatever was published meanwhile, so the
    open streams are ended (a stream answered 200 must never have a silent gap: the client
    reconnects and resumes from the read model); the server connects again, and streams opened
    then are bound and delivered to."""
    w = World("alice", "bob")
    alice, bob = w.id("alice"), w.id("bob")
    before, after = w.world.post(bob, "before"), w.world.post(bob, "after")
    w.apply()
    stream = streams(server.url + "/api/v1/streaming/user", token=w.token("alice"))
    public = streams(server.url + "/api/v1/streaming/public")
    to_users(Kind.UPDATE, w.facts(before), alice)
    stream.wait("update")
    base, auth = management_api()
    name = connection_name().rsplit("-", 1)[0] + f"-{server.pid}"

    def ours() -> list[str]:
        response = requests.get(f"{base}/api/connections?columns=name,client_properties", auth=auth, timeout=10)
        return [c["name"] for c in response.json() if (c.get("client_properties") or {}).get("connection_name") == name]

    connections = wait_for(ours, timeout=30, what="the server's broker connection in the management API")
    for connection in connections:
        requests.delete(
            f"{base}/api/connections/{quote(connection, safe='')}",
            auth=auth,
            headers={"X-Reason": "test: close the streaming server's connection"},
            timeout=10,
        ).raise_for_status()
    wait_for(stream.ended.is_set, timeout=30, what="the open user stream ended with the broker connection")
    wait_for(public.ended.is_set, timeout=30, what="the open public stream ended with the broker connection")
    wait_for(lambda: metric(server, "socialapp_streaming_broker_reconnects_total") >= 1, timeout=30, what="reconnect")
    again = streams(server.url + "/api/v1/streaming/user", token=w.token("alice"))
    public_again = streams(server.url + "/api/v1/streaming/public")
    wait_for(lambda: {route_user(alice), ROUTE_PUBLIC} <= bound_keys(), what="keys bound again")
    to_users(Kind.UPDATE, w.facts(after), alice)
    push(message(Kind.UPDATE, status=w.facts(after)), [ROUTE_PUBLIC])
    again.wait("update")
    public_again.wait("update")
    assert [s["id"] for s in again.data("update")] == [str(after)]
    assert [s["id"] for s in stream.data("update")] == [str(before)]


def test_the_server_never_touches_the_write_database(start_server, streams) -> None:
    """With `default` pointing nowhere, authentication, relations and rendering still work: the
    server reads the read database and the session cache only."""
    server = start_server(DATABASE_URL="postgres://nobody:nothing@127.0.0.1:1/nowhere")
    w = World("alice", "bob")
    alice, bob = w.id("alice"), w.id("bob")
    w.world.follow(alice, bob)
    post = w.world.post(bob, "no default here")
    w.world.like(bob, w.world.post(alice, "mine"))
    w.apply()
    stream = streams(server.url + "/api/v1/streaming/user", token=w.token("alice"))
    to_users(Kind.UPDATE, w.facts(post), alice)
    push(
        message(Kind.NOTIFICATION, notification=w.latest_notification("alice"), recipients=(alice,)),
        [route_user(alice)],
    )
    stream.wait("update")
    stream.wait("notification")
