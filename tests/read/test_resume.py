"""The resume half of the streaming protocol: after a reconnect, `GET /api/socialapp/v1/feed?since=`
and `GET /api/socialapp/v1/notifications?since=` return what the client missed (docs/streaming.md,
"Resume after a disconnect"; socialapp.read.feeds.resume).

Ids here are real snowflakes (time-ordered, created now), because the feed's resume set is
defined by the time encoded in the `since` id: entries written to the feed after shortly before
that post was created belong to it, whatever their post's id."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import orjson
import pytest
from django.test import override_settings

from socialapp.common.ids import min_id_for
from socialapp.events.consistency import make_token
from socialapp.events.projector import REGISTRY
from socialapp.read.common.sql import execute, fetchall
from socialapp.read.feeds import jobs
from tests.read.api_support import Site, make_site
from tests.read.conftest import apply_all
from tests.read.factory import World

pytestmark = pytest.mark.django_db(databases=["default", "read"])

FEED = "/api/socialapp/v1/feed"
NOTIFICATIONS = "/api/socialapp/v1/notifications"


class TimedWorld(World):
    """A world whose ids are snowflakes of the real clock (the factory's are fixed small numbers)."""

    def _snowflake(self) -> int:
        return min_id_for(datetime.now(UTC)) + next(self._ids)


def timed_site(*names: str) -> Site:
    site = make_site(*names)
    timed = TimedWorld()
    timed.__dict__.update({k: v for k, v in site.world.__dict__.items() if k != "_ids"})
    site.world = timed
    return site


def written_long_ago(post_ids: list[int]) -> None:
    """These posts' feed rows were written an hour ago (delivered, and pushed, long before any
    disconnect of these tests)."""
    execute("UPDATE feed_entry SET added_at = added_at - interval '1 hour' WHERE post_id = ANY(%s)", [post_ids])
    execute("UPDATE feed_post SET added_at = added_at - interval '1 hour' WHERE post_id = ANY(%s)", [post_ids])


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [int(item["id"]) for item in response.json()["results"]]


def walk(client, url: str, params: dict) -> list[list[int]]:
    """Every page of a list, following `next` (which must keep the other parameters)."""
    pages, params = [], dict(params)
    while True:
        r = client.get(url, params)
        pages.append(ids(r))
        if r.json()["next"] is None:
            assert "Link" not in r
            return pages
        assert "since=" in r["Link"]
        params["cursor"] = r.json()["next"]


@pytest.fixture
def site(clean_read_models) -> Site:
    s = timed_site("ann", "bob", "cat")
    w, i = s.world, s.ids
    w.follow(i["ann"], i["bob"])
    w.follow(i["ann"], i["cat"])
    s.old = [w.post(i["bob"], f"old {n}") for n in range(3)]  # type: ignore[attr-defined]
    s.apply()
    written_long_ago(s.old)  # type: ignore[attr-defined]
    return s


def test_since_returns_only_the_newer_posts_newest_first(site) -> None:
    w, i = site.world, site.ids
    since = site.old[-1]
    new = [w.post(i["bob"] if n % 2 else i["cat"], f"new {n}") for n in range(4)]
    apply_all(w.events[-4:])
    ann = site.client("ann")
    assert ids(ann.get(FEED, {"since": since})) == new[::-1]  # not `since` itself, nothing older
    # new[0] was written to the feed after new[1] was created (one projector run applied both):
    # from the server's side it may have reached the client after new[1], so it is returned too
    # (the overlap; a client that holds it drops it by id). The old posts were written long before.
    assert ids(ann.get(FEED, {"since": new[1]})) == [new[3], new[2], new[0]]
    assert ids(ann.get(FEED, {"since": new[-1]})) == new[-2::-1]
    assert ids(ann.get(FEED)) == [*new[::-1], *site.old[::-1]]  # without since: the whole feed
    # Only the reader's own feed: bob follows nobody, so his resume holds his own new posts only.
    bob_new = [p for p in new if w.posts[p].author == i["bob"]]
    assert ids(site.client("bob").get(FEED, {"since": since})) == bob_new[::-1]


def test_since_pages_with_the_usual_cursor_and_stays_above_since(site) -> None:
    w, i = site.world, site.ids
    since = site.old[1]  # one old post is above it: part of the resume
    new = [w.post(i["cat"], f"new {n}") for n in range(7)]
    apply_all(w.events[-7:])
    pages = walk(site.client("ann"), FEED, {"since": since, "limit": 3})
    assert pages == [new[:3:-1], new[3:0:-1], [new[0], site.old[2]]]
    # A cursor of the resume is a cursor of the feed: the same list, the same scope.
    assert [p for page in pages for p in page] == [
        p for p in ids(site.client("ann").get(FEED, {"limit": 100})) if p > since
    ]


def test_a_post_fanned_out_late_is_in_the_resume_though_its_id_is_below_since(
    clean_read_models, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    """The out-of-order case: a star's post goes out in chunk jobs (more followers than
    FEED_FANOUT_CHUNK) that run after a newer post of a small account was fanned out inline and
    pushed. The client received the newer post, disconnected, and the chunk wrote the older post
    to its feed meanwhile: `post_id > since` would miss it for good; the resume returns it."""
    dispatched: list[int] = []
    monkeypatch.setattr(type(REGISTRY["home_feed"]), "dispatch", staticmethod(dispatched.extend))
    site = timed_site("ann", "star", "fan1", "fan2", "fan3", "pal")
    w, i = site.world, site.ids
    for fan in ("ann", "fan1", "fan2", "fan3"):
        w.follow(i[fan], i["star"])
    w.follow(i["ann"], i["pal"])
    with override_settings(FEED_FANOUT_CHUNK=2):
        site.apply()
        with django_capture_on_commit_callbacks(using="read", execute=True):
            older = w.post(i["star"], "to many, in chunks")
            apply_all(w.events[-1:])
        newer = w.post(i["pal"], "to one, inline")
        apply_all(w.events[-1:])
    assert older < newer and dispatched  # created first, delivered later
    ann = site.client("ann")
    assert ids(ann.get(FEED)) == [newer]  # what the stream had pushed when the client disconnected
    for job in dispatched:
        jobs.run_fanout_job(job)
    assert ids(ann.get(FEED)) == [newer, older]
    assert ids(ann.get(FEED, {"since": newer})) == [older]  # a post-id bound alone would return []
    # The overlap is bounded: a post written to the feed long before `newer` was created is not
    # returned again.
    written_long_ago([older])
    assert ids(ann.get(FEED, {"since": newer})) == []


def test_a_post_merged_at_read_time_and_projected_late_is_in_the_resume(clean_read_models) -> None:
    """The same for the hybrid half: a large account's post is not fanned out but merged at read
    time; if its projection lands after a newer post was pushed, the resume still returns it."""
    site = timed_site("ann", "star", "pal")
    w, i = site.world, site.ids
    w.follow(i["ann"], i["star"])
    w.follow(i["ann"], i["pal"])
    with override_settings(FEED_CELEBRITY_THRESHOLD=0):  # every author with a follower is "large"
        site.apply()
        older = w.post(i["star"], "merged at read time")
        late = w.events[-1]
        newer = w.post(i["pal"], "also merged")
        apply_all(w.events[-1:])
        ann = site.client("ann")
        assert ids(ann.get(FEED)) == [newer]
        apply_all([late])  # the older post's projection, late
        assert fetchall("SELECT fanned_out FROM feed_post WHERE post_id = %s", [older]) == [(False,)]
        assert ids(ann.get(FEED, {"since": newer})) == [older]
        written_long_ago([older])
        assert ids(ann.get(FEED, {"since": newer})) == []


@override_settings(CONSISTENCY_WAIT_SECONDS=0.3)
def test_the_resume_waits_for_the_last_events_token(site) -> None:
    w, i = site.world, site.ids
    since = site.old[-1]
    new = w.post(i["bob"], "in flight")
    event = w.events[-1]
    token = make_token([SimpleNamespace(position=event.position, event_type=event.event_type)])
    ann = site.client("ann")
    r = ann.get(FEED, {"since": since}, HTTP_X_CONSISTENCY_TOKEN=token)
    assert ids(r) == [] and r["X-Consistency-Satisfied"] == "false"  # bounded: answered with what it has
    apply_all([event])
    r = ann.get(FEED, {"since": since}, HTTP_X_CONSISTENCY_TOKEN=token)
    assert ids(r) == [new] and r["X-Consistency-Satisfied"] == "true"
    assert ann.get(FEED, {"since": since}, HTTP_X_CONSISTENCY_TOKEN="forged").status_code == 400


@pytest.mark.parametrize("url", [FEED, NOTIFICATIONS])
@pytest.mark.parametrize("bad", ["", "abc", "0", "-1", "1.5", " 7", "7 ", "+7", "0x10", "\uff17", "9" * 19, "1" * 40])
def test_a_bad_since_is_a_400_naming_the_parameter(site, url, bad) -> None:
    r = site.client("ann").get(url, {"since": bad})
    assert r.status_code == 400, (bad, r.content)
    assert r["Content-Type"].startswith("application/problem+json")
    assert list(r.json()["errors"]) == ["since"]


@pytest.mark.parametrize("url", [FEED, NOTIFICATIONS])
def test_since_needs_authentication_as_the_list_does(site, url) -> None:
    assert site.client().get(url, {"since": "1"}).status_code == 401


def test_notifications_since_returns_only_newer_ones_and_pages(clean_read_models) -> None:
    site = timed_site("ann", *[f"user{n}" for n in range(6)])
    w, i = site.world, site.ids
    post = w.post(i["ann"], "like me")
    for n in range(6):
        w.like(i[f"user{n}"], post)
    site.apply()
    ann = site.client("ann")
    everything = ids(ann.get(NOTIFICATIONS))
    assert len(everything) == 6 and everything == sorted(everything, reverse=True)
    since = everything[4]
    assert ids(ann.get(NOTIFICATIONS, {"since": since})) == everything[:4]
    assert walk(ann, NOTIFICATIONS, {"since": since, "limit": 3}) == [everything[:3], everything[3:4]]
    assert ids(ann.get(NOTIFICATIONS, {"since": everything[0]})) == []
    # One recipient's ids are given in commit order (read/notifications/models.py): a late
    # notification gets a higher id, so it is above every `since` the client could hold.
    w.like(i["user0"], post, on=False)
    w.follow(i["user0"], i["ann"])
    apply_all(w.events[-2:])
    assert [n["kind"] for n in ann.get(NOTIFICATIONS, {"since": everything[0]}).json()["results"]] == ["follow"]


def test_the_schema_documents_since() -> None:
    from socialapp.common.pagination import ID_PATTERN
    from tests.read.test_schema import generated_schema

    paths = generated_schema()["paths"]
    for url in (FEED, NOTIFICATIONS):
        (param,) = [p for p in paths[url]["get"]["parameters"] if p["name"] == "since"]
        # 1..2^63-1 without a leading zero: what the server accepts (API 2.0.0; was [0-9]{1,19})
        assert param["in"] == "query" and param["schema"]["pattern"] == ID_PATTERN


def test_mastodon_home_and_notifications_honour_since_id_and_min_id(site) -> None:
    """Mastodon's own resume (what its clients send after a stream reconnect): `since_id` (newest
    first, newer than the id) and `min_id` (the page just above it, oldest first in the selector,
    served newest first) on the home timeline and notifications, strictly by id, as Mastodon does
    (a Mastodon client inserts what it gets above what it holds; our own `since` adds the overlap)."""
    w, i = site.world, site.ids
    since = site.old[-1]
    new = [w.post(i["bob"], f"new {n}") for n in range(3)]
    for n in range(2):
        w.like(i["bob" if n else "cat"], site.old[0])
    w.like(i["ann"], new[0])
    apply_all(w.events[-6:])
    ann = site.client("ann")
    home = "/api/v1/timelines/home"
    assert [int(s["id"]) for s in ann.get(home, {"since_id": since}).json()] == new[::-1]
    assert [int(s["id"]) for s in ann.get(home, {"since_id": since, "limit": 2}).json()] == new[:0:-1]
    assert [int(s["id"]) for s in ann.get(home, {"min_id": since, "limit": 2}).json()] == new[1::-1]
    bob = site.client("bob")
    notes = [int(n["id"]) for n in bob.get("/api/v1/notifications").json()]
    assert len(notes) == 3  # ann's follow (the fixture's), then cat's and ann's likes
    assert [int(n["id"]) for n in bob.get("/api/v1/notifications", {"since_id": notes[2]}).json()] == notes[:2]
    assert [int(n["id"]) for n in bob.get("/api/v1/notifications", {"since_id": notes[2], "limit": 1}).json()] == [
        notes[0]
    ]
    assert [int(n["id"]) for n in bob.get("/api/v1/notifications", {"min_id": notes[2], "limit": 1}).json()] == [
        notes[1]
    ]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, databases=["default", "read"])
def test_a_client_that_reconnects_and_resumes_misses_nothing(monkeypatch) -> None:
    """The protocol end to end over a real streaming server (our SSE stream): the client holds the
    last update's id, the last notification's id and the last event's consistency token; it
    disconnects; meanwhile a chunked fan-out delivers an OLDER post to its feed, a newer post and
    a notification arrive; it reconnects and asks the feed and the notifications `since` what it
    holds, with the token. Stream + resume = the feed and the notifications, nothing missing."""
    from devkit.processes import child_env, wait_for
    from devkit.streaming import start_streaming_server
    from socialapp.read.push import publisher
    from tests.privacy.stream_world import PROJECTORS
    from tests.streaming.conftest import ENV, Stream

    dispatched: list[int] = []
    monkeypatch.setattr(type(REGISTRY["home_feed"]), "dispatch", staticmethod(dispatched.extend))
    site = timed_site("ann", "star", "fan1", "fan2", "fan3", "pal", "cat")
    w, i = site.world, site.ids
    for fan in ("ann", "fan1", "fan2", "fan3"):
        w.follow(i[fan], i["star"])
    w.follow(i["ann"], i["pal"])
    mine = w.post(i["ann"], "like this")

    def apply(events) -> None:
        apply_all(events, PROJECTORS)

    server = start_streaming_server(env=child_env(**ENV))
    try:
        with override_settings(FEED_FANOUT_CHUNK=2):
            apply(w.events)
            initial = ids(site.client("ann").get(FEED))  # what the client loaded before streaming
            url = server.url + "/api/socialapp/v1/stream"
            stream = Stream(url, token=site.tokens["ann"], params={"stream": "user"})
            older = w.post(i["star"], "to many, in chunks")  # ann's chunk waits
            apply(w.events[-1:])
            newer = w.post(i["pal"], "to one, inline")
            w.like(i["cat"], mine)
            apply(w.events[-2:])
            update = stream.wait("update")[-1]
            note = stream.wait("notification")[-1]
            assert int(update["id"]) == newer and dispatched
            held_post, held_note = int(update["id"]), int(note["id"])
            token = orjson.loads(note["data"])["consistency_token"]  # the last event received
            stream.close()  # the disconnect

            for job in dispatched:
                jobs.run_fanout_job(job)  # the older post reaches ann's feed now, pushed to no one
            newest = w.post(i["pal"], "while away")
            w.like(i["pal"], mine)
            apply(w.events[-2:])

            again = Stream(url, token=site.tokens["ann"], params={"stream": "user"})
            ann = site.client("ann")
            feed = ann.get(FEED, {"since": held_post}, HTTP_X_CONSISTENCY_TOKEN=token)
            assert feed["X-Consistency-Satisfied"] == "true"
            resumed_posts = ids(feed)
            resumed_notes = ids(ann.get(NOTIFICATIONS, {"since": held_note}, HTTP_X_CONSISTENCY_TOKEN=token))
            live = w.post(i["pal"], "after the reconnect")
            apply(w.events[-1:])
            wait_for(lambda: any(int(e["id"]) == live for e in again.named("update")), timeout=15, what="the live post")
            again.close()
    finally:
        server.stop()
        publisher.close()
    assert older < newer and older in resumed_posts  # a post-id bound alone would have skipped it
    assert initial == [mine]
    held = {*initial, held_post, *resumed_posts, live}  # loaded, streamed, resumed, streamed again
    assert held == set(ids(ann.get(FEED))) == {mine, older, newer, newest, live}
    assert {held_note, *resumed_notes} == set(ids(ann.get(NOTIFICATIONS))) and len(resumed_notes) == 1


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, databases=["default", "read"])
def test_a_feed_push_that_outruns_its_post_is_still_delivered() -> None:
    """Projectors are independent: `home_feed` may apply (and push) a `post.created` before
    `posts` has. The client must still receive the update once the post is there (the server
    retries the render for up to STREAMING_RENDER_WAIT_SECONDS and never caches a miss)."""
    from devkit.processes import child_env, wait_for
    from devkit.streaming import start_streaming_server
    from socialapp.read.push import publisher
    from tests.streaming.conftest import ENV, Stream, metric

    site = timed_site("ann", "bob")
    w, i = site.world, site.ids
    w.follow(i["ann"], i["bob"])
    server = start_streaming_server(env=child_env(**ENV))
    try:
        apply_all(w.events, ["profiles", "posts", "relations", "home_feed", "notifications"])
        stream = Stream(server.url + "/api/socialapp/v1/stream", token=site.tokens["ann"], params={"stream": "user"})
        received = metric(server, "socialapp_streaming_messages_received_total")
        post = w.post(i["bob"], "the feed pushes first")
        apply_all(w.events[-1:], ["home_feed"])
        wait_for(
            lambda: metric(server, "socialapp_streaming_messages_received_total") > received,
            timeout=15,
            what="the feed's push at the server",
        )
        apply_all(w.events[-1:], ["posts", "profiles", "relations", "notifications"])
        wait_for(lambda: any(int(e["id"]) == post for e in stream.named("update")), timeout=10, what="the update")
        stream.close()
    finally:
        server.stop()
        publisher.close()
