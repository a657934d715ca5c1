"""Home-feed fan-out: chunking, the cap, removal, the hybrid merge and regeneration."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import transaction
from django.test import override_settings

from socialapp.events.projector import REGISTRY
from socialapp.read.common.sql import execute, fetchall, fetchone
from socialapp.read.feeds import jobs, maintenance, selectors
from socialapp.read.feeds.views import home_feed_regenerated
from tests.read.api_support import make_site
from tests.read.conftest import apply_all, reset, snapshot
from tests.read.factory import World

pytestmark = pytest.mark.django_db(databases=["default", "read"])


def stored_feed(reader: int) -> list[int]:
    return [
        r[0] for r in fetchall("SELECT post_id FROM feed_entry WHERE reader_id = %s ORDER BY post_id DESC", [reader])
    ]


def served_feed(reader: int, page: int = 7) -> list[int]:
    """Everything the feed view serves, page by page (hybrid merge included, an empty feed
    regenerated)."""
    out, before = [], None
    while True:
        rows = home_feed_regenerated(reader_id=reader, before=before, limit=page)
        out += [r[0] for r in rows]
        if len(rows) < page:
            return out
        before = rows[-1][0]


@pytest.fixture
def dispatched(monkeypatch):
    """Collect chunk jobs instead of sending Celery tasks; tests run them."""
    jobs: list[int] = []
    monkeypatch.setattr(type(REGISTRY["home_feed"]), "dispatch", staticmethod(jobs.extend))
    return jobs


def star_world(n_followers: int) -> tuple[World, int, list[int]]:
    w = World()
    star = w.register("star")
    fans = [w.register(f"fan{i}") for i in range(n_followers)]
    for f in fans:
        w.follow(f, star)
    return w, star, fans


@override_settings(FEED_FANOUT_CHUNK=3)
def test_large_fanout_is_split_into_chunk_jobs(
    clean_read_models, dispatched, django_capture_on_commit_callbacks
) -> None:
    w, star, fans = star_world(10)
    with django_capture_on_commit_callbacks(using="read", execute=True):
        apply_all(w.events)
        pid = w.post(star, "to all")
        apply_all(w.events[-1:])
    assert stored_feed(star) == [pid]  # the author's own feed at once
    assert len(dispatched) == 4  # 10 followers in chunks of 3: 3+3+3+1, last chunk open-ended
    assert all(stored_feed(f) == [] for f in fans)
    sizes = [jobs.run_fanout_job(job) for job in dispatched]
    assert sizes == [3, 3, 3, 1]
    assert all(stored_feed(f) == [pid] for f in fans)
    assert [jobs.run_fanout_job(job) for job in dispatched] == [0, 0, 0, 0]  # consumed: idempotent
    assert fetchone("SELECT count(*) FROM feed_fanout_job") == (0,)


@override_settings(FEED_FANOUT_CHUNK=3)
def test_chunk_after_delete_adds_nothing_and_late_follower_is_covered(
    clean_read_models, dispatched, django_capture_on_commit_callbacks
) -> None:
    w, star, fans = star_world(7)
    apply_all(w.events)
    with django_capture_on_commit_callbacks(using="read", execute=True):
        pid = w.post(star, "soon gone")
        apply_all(w.events[-1:])
    late = w.register("late")
    w.follow(late, star)
    apply_all(w.events[-2:])  # follows after the jobs were planned: open-ended last chunk covers it
    jobs.run_fanout_job(dispatched[-1])
    assert stored_feed(late) == [pid]
    w.delete(pid)
    apply_all(w.events[-1:])
    assert [jobs.run_fanout_job(j) for j in dispatched[:-1]] == [0, 0]
    assert all(stored_feed(f) == [] for f in [*fans, late, star])


def test_resend_stale_jobs_finds_lost_messages(clean_read_models, dispatched, settings) -> None:
    settings.FEED_FANOUT_CHUNK = 2
    w, star, _ = star_world(5)
    apply_all(w.events)
    w.post(star, "x")
    apply_all(w.events[-1:])  # no on_commit in this test transaction: the task messages are "lost"
    assert dispatched == []
    ids = [r[0] for r in fetchall("SELECT id FROM feed_fanout_job ORDER BY id")]
    assert len(ids) == 3
    with mock.patch("socialapp.read.feeds.jobs.send_fanout_tasks") as send:
        assert jobs.resend_stale_jobs(older_than_seconds=-1) == ids
        send.assert_called_once_with(ids)


@override_settings(FEED_MAX_ENTRIES=5)
def test_feeds_are_capped_and_trimmed(clean_read_models, monkeypatch) -> None:
    monkeypatch.setattr(jobs, "TRIM_EVERY", 1)  # trim on every insert: the cap is exact
    w, star, fans = star_world(3)
    other = w.register("other")
    for i in range(4):
        w.post(other, f"older {i}")
    w.follow(fans[0], other)  # merge of recent posts obeys the cap too
    posts = [w.post(star, f"p{i}") for i in range(8)]
    apply_all(w.events)
    assert stored_feed(fans[0]) == sorted(posts, reverse=True)[:5]
    assert stored_feed(star) == sorted(posts, reverse=True)[:5]
    assert fetchone("SELECT max(c) FROM (SELECT count(*) c FROM feed_entry GROUP BY reader_id) s") == (5,)


def test_follow_merges_unfollow_and_delete_and_deactivation_remove(clean_read_models) -> None:
    w = World()
    a, b, c = w.register("a"), w.register("b"), w.register("c")
    pb = [w.post(b, f"b{i}") for i in range(3)]
    pc = w.post(c, "c0")
    w.follow(a, b)
    w.follow(a, c)
    apply_all(w.events)
    assert stored_feed(a) == sorted([*pb, pc], reverse=True)  # follow merged the recent posts in
    w.follow(a, b, on=False)
    apply_all(w.events[-1:])
    assert stored_feed(a) == [pc]
    w.follow(a, b)
    w.delete(pb[1])
    apply_all(w.events[-2:])
    assert stored_feed(a) == sorted([pb[0], pb[2], pc], reverse=True)
    assert fetchone("SELECT count(*) FROM feed_entry WHERE post_id = %s", [pb[1]]) == (0,)
    w.deactivate(c)
    apply_all(w.events[-1:])
    assert stored_feed(a) == sorted([pb[0], pb[2]], reverse=True)
    assert stored_feed(c) == []


def test_hybrid_merge_serves_the_same_feed_as_full_fanout(clean_read_models) -> None:
    def build() -> World:
        w = World()
        celeb = w.register("celeb")
        users = [w.register(f"u{i}") for i in range(6)]
        for u in users:
            w.follow(u, celeb)
        w.follow(users[0], users[1])
        w.follow(users[1], users[0])
        for i in range(5):
            w.post(celeb, f"celeb {i}")
            w.post(users[i % 2], f"user {i}")
            w.post(users[0], f"own {i}")
        w.delete(max(p for p, post in w.posts.items() if post.author == celeb))
        w.follow(users[2], celeb, on=False)
        return w

    w = build()
    readers = list(w.users)
    with override_settings(FEED_CELEBRITY_THRESHOLD=100):
        apply_all(w.events)
        full = {r: served_feed(r) for r in readers}
    assert fetchone("SELECT bool_and(fanned_out) FROM feed_post") == (True,)
    reset()
    with override_settings(FEED_CELEBRITY_THRESHOLD=3):
        apply_all(w.events)
        hybrid = {r: served_feed(r) for r in readers}
    assert fetchone("SELECT count(*) FROM feed_post WHERE NOT fanned_out") == (5,)  # celeb's posts
    celeb_fans = [r for r in readers if r != 1 and (r, 1) in w.active_follows()]
    assert celeb_fans and all(
        fetchone("SELECT count(*) FROM feed_entry WHERE reader_id = %s AND author_id = 1", [r]) == (0,)
        for r in celeb_fans
    )
    assert hybrid == full
    assert all(full[r] == w.expected_feed(r, 1000) for r in readers)


def test_empty_or_evicted_feed_is_regenerated_on_read(clean_read_models) -> None:
    w = World()
    a, b = w.register("a"), w.register("b")
    w.follow(a, b)
    posts = [w.post(b, "b"), w.post(a, "own")]
    apply_all(w.events)
    before = snapshot()["feed_entry"]
    assert maintenance.evict([a]) == 2 and stored_feed(a) == []
    assert served_feed(a) == sorted(posts, reverse=True)  # regenerated by the read
    assert snapshot()["feed_entry"] == before


class RolledBack(Exception):
    """Leaves a read-only block (and undoes its SET TRANSACTION)."""


def test_the_feed_selector_never_writes_even_for_an_evicted_feed(clean_read_models) -> None:
    w = World()
    a, b = w.register("a"), w.register("b")
    w.follow(a, b)
    w.post(b, "b")
    apply_all(w.events)
    assert maintenance.evict([a]) == 1
    with pytest.raises(RolledBack), transaction.atomic(using="read"):
        execute("SET TRANSACTION READ ONLY")
        assert selectors.home_feed(reader_id=a, before=None, limit=20) == []  # a write would raise here
        raise RolledBack
    assert stored_feed(a) == []


def test_the_feed_view_serves_a_regenerated_feed_after_eviction(clean_read_models) -> None:
    site = make_site("ann", "bob", "new")
    w, i = site.world, site.ids
    w.follow(i["ann"], i["bob"])
    posts = sorted([w.post(i["bob"], "b"), w.post(i["ann"], "own")], reverse=True)
    site.apply()
    assert maintenance.evict([i["ann"]]) == 2
    r = site.client("ann").get("/api/v1/feed")
    assert r.status_code == 200 and [int(p["id"]) for p in r.json()["results"]] == posts
    assert stored_feed(i["ann"]) == posts
    rows = fetchone("SELECT count(*) FROM feed_author")
    assert site.client("new").get("/api/v1/feed").json()["results"] == []
    assert fetchone("SELECT count(*) FROM feed_author") == rows  # a read creates no projector rows


@override_settings(FEED_MAX_ENTRIES=5)
def test_amortised_trim_keeps_feeds_near_the_cap(clean_read_models) -> None:
    w, star, fans = star_world(20)
    for i in range(60):
        w.post(star, f"p{i}")
    apply_all(w.events)
    sizes = [r[0] for r in fetchall("SELECT count(*) FROM feed_entry GROUP BY reader_id")]
    assert len(sizes) == 21 and max(sizes) < 5 + 4 * jobs.TRIM_EVERY and min(sizes) >= 5
    for reader in [star, *fans]:  # whatever is kept is the newest
        assert stored_feed(reader) == sorted(w.posts, reverse=True)[: len(stored_feed(reader))]
