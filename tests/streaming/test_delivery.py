"""What each stream delivers, in which shape: the same JSON the query endpoints answer for the
same id, once per connection, to the recipients only; and the WebSocket variant."""

from __future__ import annotations

import orjson
import pytest
from rest_framework.test import APIClient
from websockets.sync.client import connect

from devkit.processes import wait_for
from socialapp.events.consistency import read_token
from socialapp.read.push.messages import ROUTE_PUBLIC, Kind, route_hashtag, route_user
from tests.streaming.conftest import World, bound_keys, message, metric, push, to_users

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, databases=["default", "read"])]


def client(token: str | None = None) -> APIClient:
    c = APIClient()
    if token:
        c.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return c


def get(path: str, token: str | None = None):
    response = client(token).get(path)
    assert response.status_code == 200, (path, response.content)
    return response.json()


def test_status_events_have_the_query_endpoints_shapes(server, streams) -> None:
    w = World("alice", "bob")
    alice, bob = w.id("alice"), w.id("bob")
    w.world.follow(alice, bob)
    post = w.world.post(bob, "hello @alice #shapes")
    w.apply()
    m_user = streams(server.url + "/api/v1/streaming/user", token=w.token("alice"))
    m_public = streams(server.url + "/api/v1/streaming/public")
    ours_user = streams(server.url + "/api/socialapp/v1/stream", params={"stream": "user"}, token=w.token("alice"))
    ours_tag = streams(server.url + "/api/socialapp/v1/stream", params={"stream": "hashtag", "tag": "shapes"})

    sent = to_users(Kind.UPDATE, w.facts(post), alice)
    push(message(Kind.UPDATE, status=w.facts(post), position=sent.position), [ROUTE_PUBLIC, route_hashtag("shapes")])

    assert m_user.wait("update") and m_public.wait("update")
    assert m_user.data("update") == [get(f"/api/v1/statuses/{post}", w.token("alice"))]
    assert m_user.data("update")[0]["favourited"] is False
    assert m_public.data("update") == [get(f"/api/v1/statuses/{post}")]
    assert "favourited" not in m_public.data("update")[0]

    for stream in (ours_user, ours_tag):
        event = stream.wait("update")[0]
        assert event["id"] == str(post)
        body = orjson.loads(event["data"])
        assert body["post"] == get(f"/api/socialapp/v1/posts/{post}")
        assert read_token(body["consistency_token"]) == [(sent.position, "post.created")]

    # An edit: status.update with the edited status.
    w.world.edit(post, "hello again @alice #shapes")
    w.apply()
    to_users(Kind.STATUS_UPDATE, w.facts(post), alice, event_type="post.edited")
    m_user.wait("status.update")
    edited = get(f"/api/v1/statuses/{post}", w.token("alice"))
    assert m_user.data("status.update") == [edited]
    assert edited["edited_at"] is not None
    ours_user.wait("status.update")
    assert orjson.loads(ours_user.named("status.update")[0]["data"])["post"] == get(f"/api/socialapp/v1/posts/{post}")

    # A deletion: Mastodon's bare id; ours the post id with its token.
    w.world.delete(post)
    w.apply()
    deleted = to_users(Kind.DELETE, w.facts(post), alice, event_type="post.deleted")
    assert m_user.wait("delete")[0]["data"] == str(post)
    event = ours_user.wait("delete")[0]
    assert event["id"] == str(post)
    body = orjson.loads(event["data"])
    assert body["post_id"] == str(post)
    assert read_token(body["consistency_token"]) == [(deleted.position, "post.deleted")]


def test_notification_shapes(server, streams) -> None:
    w = World("alice", "bob")
    alice, bob = w.id("alice"), w.id("bob")
    post = w.world.post(alice, "like me")
    w.world.like(bob, post)
    w.apply()
    mastodon = streams(server.url + "/api/v1/streaming/user/notification", token=w.token("alice"))
    ours = streams(server.url + "/api/socialapp/v1/stream", params={"stream": "user"}, token=w.token("alice"))
    facts = w.latest_notification("alice")
    sent = push(
        message(Kind.NOTIFICATION, notification=facts, recipients=(alice,), event_type="post.liked"),
        [route_user(alice)],
    )
    mastodon.wait("notification")
    assert mastodon.data("notification") == [get(f"/api/v1/notifications/{facts.id}", w.token("alice"))]
    assert mastodon.data("notification")[0]["type"] == "favourite"
    event = ours.wait("notification")[0]
    assert event["id"] == str(facts.id)
    body = orjson.loads(event["data"])
    assert body["notification"] == get("/api/socialapp/v1/notifications", w.token("alice"))["results"][0]
    assert read_token(body["consistency_token"]) == [(sent.position, "post.liked")]


def test_same_key_twice_is_pushed_once(server, streams) -> None:
    w = World("alice", "bob")
    alice, bob = w.id("alice"), w.id("bob")
    w.world.follow(alice, bob)
    first, second = w.world.post(bob, "one"), w.world.post(bob, "two")
    w.apply()
    stream = streams(server.url + "/api/v1/streaming/user", token=w.token("alice"))
    to_users(Kind.UPDATE, w.facts(first), alice, key="effect-1")
    to_users(Kind.UPDATE, w.facts(first), alice, key="effect-1")  # a redelivery
    to_users(Kind.UPDATE, w.facts(first), alice, key="effect-1b")  # the same status again
    to_users(Kind.UPDATE, w.facts(second), alice, key="effect-2")
    stream.wait("update", 2)
    assert [s["id"] for s in stream.data("update")] == [str(first), str(second)]
    wait_for(lambda: metric(server, "socialapp_streaming_duplicates_suppressed_total") == 2, what="2 duplicates")


def test_user_messages_reach_their_recipients_only(server, streams) -> None:
    w = World("alice", "bob", "carol")
    alice, bob, carol = w.id("alice"), w.id("bob"), w.id("carol")
    post, marker = w.world.post(bob, "for alice"), w.world.post(bob, "for both")
    w.apply()
    a = streams(server.url + "/api/v1/streaming/user", token=w.token("alice"))
    c = streams(server.url + "/api/v1/streaming/user", token=w.token("carol"))
    # Routed to both users' keys, but only alice is a recipient.
    push(message(Kind.UPDATE, status=w.facts(post), recipients=(alice,)), [route_user(alice), route_user(carol)])
    # A notification names its recipient: carol's stream never gets alice's.
    like_post = w.world.post(alice, "mine")
    w.world.like(bob, like_post)
    w.apply()
    notification = w.latest_notification("alice")
    push(message(Kind.NOTIFICATION, notification=notification, recipients=(carol,)), [route_user(carol)])
    to_users(Kind.UPDATE, w.facts(marker), alice, carol)
    c.wait("update")
    a.wait("update", 2)
    assert [s["id"] for s in c.data("update")] == [str(marker)]
    assert c.named("notification") == []
    assert [s["id"] for s in a.data("update")] == [str(post), str(marker)]


def test_websocket_subscribe_and_unsubscribe(server) -> None:
    w = World("alice", "bob")
    bob = w.id("bob")
    tagged, public = w.world.post(bob, "a #wstag post"), w.world.post(bob, "plain")
    w.apply()
    url = server.url.replace("http://", "ws://") + "/api/v1/streaming"
    with connect(f"{url}?access_token={w.token('alice')}") as ws:
        ws.send(orjson.dumps({"type": "subscribe", "stream": "hashtag", "tag": "wstag"}).decode())
        ws.send(orjson.dumps({"type": "subscribe", "stream": "public"}).decode())
        ws.send(orjson.dumps({"type": "subscribe", "stream": "bogus"}).decode())
        assert orjson.loads(ws.recv(timeout=10)) == {"error": "Unknown stream type", "status": 404}
        wait_for(lambda: metric(server, "socialapp_streaming_connections", 'stream="public"') == 1, what="subscribed")
        push(message(Kind.UPDATE, status=w.facts(tagged)), [route_hashtag("wstag")])
        got = orjson.loads(ws.recv(timeout=10))
        assert got["stream"] == ["hashtag", "wstag"] and got["event"] == "update"
        assert isinstance(got["payload"], str)
        # The URLs are the host the socket was opened on (the client sent its own Host).
        status = orjson.loads(got["payload"].replace(server.url, "http://testserver"))
        assert status == get(f"/api/v1/statuses/{tagged}", w.token("alice"))
        ws.send(orjson.dumps({"type": "unsubscribe", "stream": "hashtag", "tag": "wstag"}).decode())
        wait_for(lambda: metric(server, "socialapp_streaming_connections", 'stream="hashtag"') == 0, what="unsub")
        push(message(Kind.UPDATE, status=w.facts(tagged)), [route_hashtag("wstag")])
        push(message(Kind.DELETE, status=w.facts(public), event_type="post.deleted"), [ROUTE_PUBLIC])
        got = orjson.loads(ws.recv(timeout=10))
        assert got == {"stream": ["public"], "event": "delete", "payload": str(public)}


def test_websocket_token_as_subprotocol_and_refusal(server) -> None:
    w = World("alice")
    url = server.url.replace("http://", "ws://") + "/api/v1/streaming?stream=user"
    with connect(url, subprotocols=[w.token("alice")]) as ws:  # type: ignore[list-item]
        assert ws.subprotocol == w.token("alice")
    with pytest.raises(Exception) as refused:
        connect(url)
    assert "401" in str(refused.value)


def test_followers_of_an_author_not_fanned_out_listen_to_the_author(start_server, streams) -> None:
    """Above FEED_CELEBRITY_THRESHOLD followers the home feed merges an author's posts at read
    time: a follower's user stream binds `author.<id>` and gets them from there."""
    from socialapp.read.push.messages import route_author

    server = start_server(FEED_CELEBRITY_THRESHOLD="1")
    w = World("alice", "bob", "carol", "dave")
    alice, bob, carol = w.id("alice"), w.id("bob"), w.id("carol")
    w.world.follow(alice, bob)
    w.world.follow(carol, bob)
    post = w.world.post(bob, "to the many", visibility="followers")
    w.apply()
    a = streams(server.url + "/api/v1/streaming/user", token=w.token("alice"))
    d = streams(server.url + "/api/v1/streaming/user", token=w.token("dave"))
    assert route_author(bob) in bound_keys()
    marker = w.world.post(alice, "marker")
    w.apply()
    push(message(Kind.UPDATE, status=w.facts(post)), [route_author(bob)])
    to_users(Kind.UPDATE, w.facts(marker), alice, w.id("dave"))
    a.wait("update", 2)
    d.wait("update")
    assert [s["id"] for s in a.data("update")] == [str(post), str(marker)]
    assert [s["id"] for s in d.data("update")] == [str(marker)]
    # alice unfollows: on the relations push her stream lets the author's key go.
    w.world.follow(alice, bob, on=False)
    w.apply()
    push(message(Kind.RELATIONS, recipients=(alice,), event_type="user.unfollowed"), [route_user(alice)])
    wait_for(lambda: route_author(bob) not in bound_keys(), what="the author's key unbound")
    assert carol  # carol follows too but has no stream here: nothing bound for her


def test_statuses_link_to_the_configured_web_origin(start_server, streams) -> None:
    """Served from their own origin (`make run`: streams on :8100, the API on :8000), the streams
    render the statuses' `uri` and `url` on STREAMING_WEB_URL, where clients open them."""
    server = start_server(STREAMING_WEB_URL="http://api.example.test:8000/")
    w = World("alice", "bob")
    post = w.world.post(w.id("bob"), "linked #origin")
    w.apply()
    public = streams(server.url + "/api/v1/streaming/public")
    push(message(Kind.UPDATE, status=w.facts(post)), [ROUTE_PUBLIC])
    status = public.data("update") if public.wait("update") else []
    assert status[0]["uri"].startswith("http://api.example.test:8000/"), status[0]["uri"]
    assert status[0]["url"].startswith("http://api.example.test:8000/"), status[0]["url"]
