"""Pagination stays stable while another connection keeps committing new posts, and X-Read-Lag
measures what it says (age of the oldest unapplied event)."""

from __future__ import annotations

import threading

import pytest
from django.db import connections, transaction

from socialapp.events.log import append_event, log_events
from socialapp.events.projector import REGISTRY
from socialapp.read.common import lag
from socialapp.read.common.sql import fetchall
from socialapp.read.feeds import maintenance
from tests.read.api_support import make_site
from tests.read.conftest import apply_all, reset, second_apply_waiting, waiting_on_a_lock
from tests.read.factory import World

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, databases=["default", "read"])]


def test_pages_neither_repeat_nor_skip_while_posts_are_committed_concurrently() -> None:
    reset()
    site = make_site("ann", "bob")
    w, i = site.world, site.ids
    w.follow(i["bob"], i["ann"])
    for n in range(30):
        w.post(i["ann"], f"old {n}")
    site.apply()
    before = [str(p) for p in w.expected_feed(i["bob"], 1000)]
    stop = threading.Event()
    written: list[int] = []

    def writer() -> None:
        extra = World()  # an independent id space for the new posts
        extra.users = w.users
        extra._ids = iter(range(10**6, 10**7))  # type: ignore[assignment]
        extra._position = iter(range(10**6, 10**7))  # type: ignore[assignment]
        while not stop.is_set() and len(written) < 200:
            written.append(extra.post(i["ann"], "new"))
            apply_all(extra.events[-1:])
        connections.close_all()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        bob, seen, cursor = site.client("bob"), [], None
        while True:
            r = bob.get("/api/socialapp/v1/feed", {"limit": 7, **({"cursor": cursor} if cursor else {})})
            assert r.status_code == 200
            page = [x["id"] for x in r.json()["results"]]
            seen += page
            cursor = r.json()["next"]
            if not cursor:
                break
    finally:
        stop.set()
        thread.join()
    assert written, "the writer must have committed posts while paging"
    old = [x for x in seen if x in before]
    assert old == before and len(seen) == len(set(seen))  # every old post once, in order


def test_read_lag_is_the_age_of_the_oldest_unapplied_event() -> None:
    reset()
    assert lag.measure(["posts"]) == 0.0
    with transaction.atomic():
        append_event(
            event_type="post.deleted",
            aggregate_type="post",
            aggregate_id="77",
            aggregate_version=2,
            payload={"post_id": 77, "author_id": 1, "deleted_at": "2026-01-01T00:00:00+00:00", "deleted_by": 1},
        )
    assert lag.measure(["posts"]) > 0  # in the log, not applied by `posts`
    for batch in log_events(("post.deleted",)):
        for event in batch:
            REGISTRY["posts"].apply(event)
    assert lag.measure(["posts"]) == 0.0
    assert lag.measure(["posts", "home_feed"]) > 0  # home_feed has not applied it yet


def test_racing_events_of_one_like_serialise_on_its_row() -> None:
    """A like and its unlike applied at once by two workers, before the like row exists: the
    second waits for the first's row and sees it active, so the count ends where the log says."""
    reset(["posts"])
    w = World()
    ann, bob = w.register("ann"), w.register("bob")
    post = w.post(ann, "hello")
    w.like(bob, post)
    w.like(bob, post, on=False)
    *setup, like, unlike = w.events
    apply_all(setup, ["posts"])
    with second_apply_waiting(REGISTRY["posts"], like, unlike, "transactionid"):
        pass  # the unlike waits for the like's row
    assert fetchall("SELECT active, version FROM read_like WHERE post_id = %s", [post]) == [(False, 2)]
    assert fetchall("SELECT like_count FROM read_post WHERE post_id = %s", [post]) == [(0,)]


@pytest.mark.parametrize("delete_first", [False, True])
def test_an_edit_racing_its_posts_deletion_leaves_no_version(delete_first: bool) -> None:
    """An edit (which writes a version) and the post's deletion (which erases them) applied at
    once: whichever commits second waits on the post row and sees the other's work."""
    reset(["posts"])
    w = World()
    ann = w.register("ann")
    post = w.post(ann, "v1")
    w.edit(post, "v2")
    w.delete(post)
    *setup, edit, delete = w.events
    apply_all(setup, ["posts"])
    held, waiting = (delete, edit) if delete_first else (edit, delete)
    with second_apply_waiting(REGISTRY["posts"], held, waiting, "transactionid"):
        pass
    assert fetchall("SELECT count(*) FROM read_status_version") == [(0,)]
    assert fetchall("SELECT body, deleted FROM read_post WHERE post_id = %s", [post]) == [("", True)]


def test_regenerating_a_feed_waits_for_an_unfollow_in_flight() -> None:
    """Regeneration takes the reader's lock that the projector's follow handlers take: it never
    reads a follow an uncommitted unfollow has just ended and re-adds the followee's posts."""
    from tests.support import wait_for

    reset()
    w = World()
    ann, bob = w.register("ann"), w.register("bob")
    w.follow(ann, bob)
    w.post(bob, "b")
    own = w.post(ann, "own")
    apply_all(w.events)
    maintenance.evict([ann])
    w.follow(ann, bob, on=False)
    applied, release, results, errors = threading.Event(), threading.Event(), [], []

    def unfollow() -> None:
        try:
            with transaction.atomic(using="read"):
                REGISTRY["home_feed"].apply(w.events[-1])
                applied.set()
                release.wait(30)
        except Exception as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    def regenerate() -> None:
        try:
            results.append(maintenance.regenerate_if_empty(ann))
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    first, second = threading.Thread(target=unfollow), threading.Thread(target=regenerate)
    first.start()
    try:
        assert applied.wait(30), errors
        second.start()
        wait_for(lambda: waiting_on_a_lock("transactionid"), timeout=10, what="regeneration waiting on the unfollow")
    finally:
        release.set()
        first.join()
        if second.ident is not None:
            second.join()
    assert not errors and results == [True], (errors, results)
    assert [r[0] for r in fetchall("SELECT post_id FROM feed_entry WHERE reader_id = %s", [ann])] == [own]
