"""The streaming API through the real Mastodon.py 2.3.3, live (tests/streaming/live.py: the app,
the pipeline and the streaming server as `make run` starts it). The client finds the streaming
server through the instance document (`urls.streaming_api`), as it finds Mastodon's, and parses
every event with its own strict SSE parser (or its WebSocket transport): a framing mistake of
ours would raise there, and the event would never reach the collector.

- `stream_user`: `update` for a post of a followed account made through the API, `status.update`
  for its edit, `delete` for its deletion, `notification` for a follow, a like and a mention.
- `stream_hashtag`: `update` for a public tagged post, nothing for an unlisted or followers-only one.
- `stream_healthy()`; the WebSocket transport (`stream_open_websocket` + subscriptions).
"""

from __future__ import annotations

import pytest
from mastodon.errors import MastodonNotFoundError

from tests.mastodon.clients import PASSWORD, client, make_user, registered_app
from tests.streaming.live import Collector, probe_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, databases=["default", "read"])]

RECONNECT = {"reconnect_async": True, "reconnect_async_wait_sec": 1}


def _clients(live, *names: str):
    for name in names:
        make_user(name)
    app = registered_app(live.url)
    apis = []
    for name in names:
        api = client(live.url, app)
        api.log_in(username=name, password=PASSWORD, allow_http=True)
        apis.append(api)
    return apis


def _projected_me(live, api):
    """The caller's own account once the profiles projector has it: a login right after the
    registration may read the query side before the registration is projected (404)."""

    def attempt():
        try:
            return api.me()
        except MastodonNotFoundError:
            return None

    return live.wait(attempt, what="the account projected")


def _follow(live, follower, followee) -> None:
    """Follow through the API and wait until the read side knows (the home feed fans out from the
    relations read model: a post before that would not be in the follower's feed)."""
    target = follower.account_lookup(_projected_me(live, followee).username)
    follower.account_follow(target.id)
    live.wait(lambda: follower.account_relationships([target.id])[0].following, what="the follow projected")


def test_stream_user_gets_updates_edits_deletes_and_notifications(live_streaming) -> None:
    live = live_streaming
    alice, bob, cat = _clients(live, "alice", "bob", "cat")
    instance = alice.instance_v1()
    assert instance["urls"]["streaming_api"] == live.advertised  # found as Mastodon's own
    assert alice.stream_healthy() is True
    _follow(live, alice, bob)

    events = Collector()
    handle = alice.stream_user(events, run_async=True, **RECONNECT)
    try:
        live.wait(handle.is_receiving, what="the user stream open")
        probe_until(
            live,
            lambda n: bob.status_post(f"probe {n}", visibility="public"),
            lambda: events.of("update"),
            what="the user stream subscribed (a probe pushed)",
        )

        # update: bob's post through the API reaches alice's home feed, and her stream.
        post = bob.status_post("hello followers", visibility="public")
        pushed = live.wait(lambda: [s for s in events.of("update") if s.id == post.id], what="the update")
        assert pushed[0].content and pushed[0].account.username == "bob" and pushed[0].visibility == "public"

        # status.update: the edit, with its new text.
        bob.status_update(post.id, "hello followers, edited")
        edited = live.wait(lambda: [s for s in events.of("status.update") if s.id == post.id], what="the status.update")
        assert "edited" in edited[-1].content and edited[-1].edited_at is not None

        # notifications: a follow, a like and a mention, each through the API.
        mine = alice.status_post("mine to like", visibility="public")
        cat.account_follow(cat.account_lookup("alice").id)
        bob.status_favourite(mine.id)
        mention = bob.status_post("@alice look", visibility="public")

        def kinds() -> set[str]:
            return {n.type for n in events.of("notification")}

        live.wait(lambda: {"follow", "favourite", "mention"} <= kinds(), what="follow, favourite and mention")
        by_type = {n.type: n for n in events.of("notification")}
        assert by_type["follow"].account.username == "cat"
        assert by_type["favourite"].status.id == mine.id and by_type["favourite"].account.username == "bob"
        assert by_type["mention"].status.id == mention.id

        # delete: the id, as a string (Mastodon.py casts it to its id type).
        bob.status_delete(post.id)
        live.wait(lambda: str(post.id) in [str(d) for d in events.of("delete")], what="the delete")
        assert not events.aborts, events.aborts
    finally:
        handle.close()


def test_stream_hashtag_gets_public_tagged_posts_only(live_streaming) -> None:
    live = live_streaming
    (alice, bob) = _clients(live, "alice", "bob")
    events = Collector()
    handle = alice.stream_hashtag("Cats", events, run_async=True, **RECONNECT)
    try:
        live.wait(handle.is_receiving, what="the hashtag stream open")
        probe_until(
            live,
            lambda n: bob.status_post(f"probe {n} #cats", visibility="public"),
            lambda: events.of("update"),
            what="a #cats probe on the hashtag stream",
        )
        hidden = [
            bob.status_post("quiet #cats", visibility="unlisted").id,
            bob.status_post("friends only #cats", visibility="private").id,
        ]
        public = bob.status_post("loud #cats", visibility="public")
        other = bob.status_post("loud #dogs", visibility="public")
        live.wait(lambda: public.id in [s.id for s in events.of("update")], what="the public #cats post")
        # Each was pushed (or not) by the same projector in order, before the public one.
        received = [s.id for s in events.of("update")]
        assert not set(received) & {*hidden, other.id}, received
        assert all("cats" in {t.name.lower() for t in s.tags} for s in events.of("update"))
    finally:
        handle.close()


def test_websocket_transport_carries_the_user_and_hashtag_streams(live_streaming) -> None:
    """Mastodon.py's WebSocket transport (websocket-client): one connection to
    ws://<streaming_api>/api/v1/streaming, two subscriptions, events tagged by stream."""
    live = live_streaming
    alice, bob = _clients(live, "alice", "bob")
    _follow(live, alice, bob)
    user_events, tag_events = Collector(), Collector()
    socket = alice.stream_open_websocket(**RECONNECT)
    try:
        alice.stream_user(user_events, websocket_handle=socket)
        alice.stream_hashtag("ws", tag_events, websocket_handle=socket)
        live.wait(socket.is_receiving, what="the WebSocket open")
        posts = probe_until(
            live,
            lambda n: bob.status_post(f"over the socket {n} #ws", visibility="public").id,
            lambda: user_events.of("update") and tag_events.of("update"),
            what="a #ws post on both subscriptions",
        )
        assert {s.id for s in user_events.of("update")} <= set(posts)
        bob.status_delete(posts[0])
        live.wait(
            lambda: str(posts[0]) in [str(d) for d in user_events.of("delete")], what="the delete over the socket"
        )
    finally:
        socket.close()
