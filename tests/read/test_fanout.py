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


@override_settings(FEED_FANOUT_CHUNK=3, FEED_FANOUT_CHUNK_MAX=3)
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


@override_settings(FEED_FANOUT_CHUNK=2, FEED_FANOUT_CHUNK_MAX=5)
def test_chunks_grow_from_a_small_first_one_up_to_the_largest(
    clean_read_models, dispatched, django_capture_on_commit_callbacks
) -> None:
    """The first chunk is small (its readers get the post soon), the next ones double up to
    FEED_FANOUT_CHUNK_MAX (fewer chunks for a large fan-out); every follower exactly once."""
    assert jobs.chunk_bounds() == ([2, 6], 6, 5)  # 2, then 4, then chunks of 5
    w, star, fans = star_world(17)
    with django_capture_on_commit_callbacks(using="read", execute=True):
        apply_all(w.events)
        pid = w.post(star, "to all")
        apply_all(w.events[-1:])
    assert [jobs.run_fanout_job(job) for job in dispatched] == [2, 4, 5, 5, 1]  # the last open-ended
    assert all(stored_feed(f) == [pid] for f in fans)


@override_settings(FEED_FANOUT_CHUNK=3, FEED_FANOUT_CHUNK_MAX=3)
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
    settings.FEED_FANOUT_CHUNK = settings.FEED_FANOUT_CHUNK_MAX = 2
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


@override_settings(FEED_MAX_ENTRIES=5, FEED_TRIM_CHECK_EVERY=1, FEED_TRIM_SLACK=0)
def test_feeds_are_capped_and_trimmed(clean_read_models) -> None:
    """Probed on every insert with no slack, the cap is exact."""
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
    r = site.client("ann").get("/api/socialapp/v1/feed")
    assert r.status_code == 200 and [int(p["id"]) for p in r.json()["results"]] == posts
    assert stored_feed(i["ann"]) == posts
    rows = fetchone("SELECT count(*) FROM feed_author")
    assert site.client("new").get("/api/socialapp/v1/feed").json()["results"] == []
    assert fetchone("SELECT count(*) FROM feed_author") == rows  # a read creates no projector rows


@override_settings(FEED_MAX_ENTRIES=5, FEED_TRIM_SLACK=3, FEED_TRIM_CHECK_EVERY=4)
def test_amortised_trim_keeps_feeds_near_the_cap(clean_read_models) -> None:
    w, star, fans = star_world(20)
    for i in range(60):
        w.post(star, f"p{i}")
    apply_all(w.events)
    sizes = [r[0] for r in fetchall("SELECT count(*) FROM feed_entry GROUP BY reader_id")]
    assert len(sizes) == 21 and max(sizes) <= 5 + 3 + 4 * 4 and min(sizes) >= 5
    for reader in [star, *fans]:  # whatever is kept is the newest
        assert stored_feed(reader) == sorted(w.posts, reverse=True)[: len(stored_feed(reader))]


@override_settings(FEED_MAX_ENTRIES=5, FEED_TRIM_SLACK=3, FEED_TRIM_CHECK_EVERY=1)
def test_a_feed_is_trimmed_to_the_cap_only_once_past_cap_plus_slack(clean_read_models) -> None:
    """Amortised trimming: probed on every insert here, a feed between the cap (5) and cap + slack
    (8) is left alone, one past cap + slack goes back to the cap; the page served is the newest."""
    w, star, (busy, quiet) = star_world(2)
    other = w.register("other")
    older = [w.post(other, f"older {i}") for i in range(4)]
    w.follow(busy, other)  # busy: 4 entries before the star posts, quiet: none
    posts = [w.post(star, f"p{i}") for i in range(4)]
    apply_all(w.events)
    newest = sorted([*older, *posts], reverse=True)
    assert stored_feed(busy) == newest  # 8 entries: past the cap, not past cap + slack: kept
    first_page = home_feed_regenerated(reader_id=busy, before=None, limit=5)
    assert [r[0] for r in first_page] == newest[:5]  # rows are (post_id, JSON text)
    last = w.post(star, "one too many")
    apply_all(w.events[-1:])
    assert stored_feed(busy) == [last, *newest][:5]  # 9 > 8: trimmed to the cap, the newest kept
    assert stored_feed(quiet) == [last, *posts[::-1]]  # 5 entries: untouched


@override_settings(
    FEED_MAX_ENTRIES=5, FEED_TRIM_SLACK=3, FEED_TRIM_CHECK_EVERY=1, FEED_FANOUT_CHUNK=1, FEED_FANOUT_CHUNK_MAX=1
)
def test_a_chunk_job_trims_past_cap_plus_slack_too(
    clean_read_models, dispatched, django_capture_on_commit_callbacks
) -> None:
    w, star, fans = star_world(2)
    apply_all(w.events)
    posts = []
    for i in range(9):
        with django_capture_on_commit_callbacks(using="read", execute=True):
            posts.append(w.post(star, f"p{i}"))
            apply_all(w.events[-1:])
        assert [jobs.run_fanout_job(job) for job in dispatched] == [1, 1, 0]  # chunks of 1, open-ended last
        dispatched.clear()
        if i == 7:
            assert [len(stored_feed(f)) for f in fans] == [8, 8]  # at cap + slack: not trimmed
    newest = sorted(posts, reverse=True)
    assert all(stored_feed(f) == newest[:5] for f in fans)  # the ninth entry crossed cap + slack


@override_settings(FEED_FANOUT_CHUNK=2, FEED_FANOUT_CHUNK_MAX=2)
def test_a_chunk_respects_an_unfollow_applied_before_it_runs(
    clean_read_models, dispatched, django_capture_on_commit_callbacks
) -> None:
    w, star, fans = star_world(5)
    apply_all(w.events)
    with django_capture_on_commit_callbacks(using="read", execute=True):
        pid = w.post(star, "chunked")
        apply_all(w.events[-1:])
    assert len(dispatched) == 3 and all(stored_feed(f) == [] for f in fans)
    w.follow(fans[1], star, on=False)  # in the first chunk's range, gone before the chunk runs
    apply_all(w.events[-1:])
    assert [jobs.run_fanout_job(job) for job in dispatched] == [1, 2, 1]
    assert stored_feed(fans[1]) == []
    assert all(stored_feed(f) == [pid] for f in fans if f != fans[1])


def test_a_batch_of_events_gives_the_feeds_one_at_a_time_gives(clean_read_models) -> None:
    """`handle` applies runs of posts and of follows set-based: the same rows as event by event."""
    w = World()
    users = [w.register(f"u{i}") for i in range(6)]
    for i, u in enumerate(users):
        w.follow(u, users[(i + 1) % 6])
        w.post(u, f"first {i}")
        w.follow(u, users[(i + 2) % 6])
    for i in range(3):
        w.post(users[i], f"second {i}")
    w.follow(users[0], users[1], on=False)
    w.follow(users[0], users[1])
    w.follow(users[2], users[3], on=False)
    w.delete(max(w.posts))
    w.post(users[4], "after the delete")
    apply_all(w.events)
    one_by_one = snapshot()
    reset()
    REGISTRY["profiles"].apply_batch(w.events)
    assert not [o for o in REGISTRY["home_feed"].apply_batch(w.events) if isinstance(o, Exception)]
    assert REGISTRY["posts"].apply_batch(w.events) and REGISTRY["notifications"].apply_batch(w.events)
    assert snapshot() == one_by_one
