"""Fan-out racing an unfollow (docs/read-models.md, "Fan-out by visibility"): a block (its
`user.unfollowed`) or the unfollow of a locked account committed while a post of the author is
being fanned out leaves no entry of that author in the former follower's feed, in both orders.

A chunk job runs after the post's transaction, without the author's `feed_author` lock that the
inline fan-out and the follow handlers share, so it locks the follow rows it reads FOR SHARE
(socialapp.read.feeds.jobs._RUN_JOB): the unfollow's row update waits for the chunk and then
deletes its entries, or commits first and the chunk, re-reading the row under its lock, skips it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from unittest import mock

import pytest
from django.db import connections, transaction

from socialapp.events.projector import REGISTRY
from socialapp.read.common.sql import fetchall
from socialapp.read.feeds.jobs import run_fanout_job
from tests.read.conftest import apply_all, reset, waiting_on_a_lock
from tests.read.factory import World

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, databases=["default", "read"])]

NAMES = ["home_feed", "relations"]


@contextmanager
def held_while_waiting(held: Callable[[], object], waiting: Callable[[], object]) -> Iterator[None]:
    """Run `held` in a read transaction kept open, `waiting` from another thread, and yield once
    that one waits on a row lock; on exit commit the first, let the second finish, and fail with
    what either raised."""
    from tests.support import wait_for

    done, release, errors = threading.Event(), threading.Event(), []

    def run(body: Callable[[], object]) -> None:
        try:
            body()
        except Exception as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    def hold() -> None:
        with transaction.atomic(using="read"):
            held()
            done.set()
            release.wait(30)

    first = threading.Thread(target=run, args=(hold,))
    second = threading.Thread(target=run, args=(waiting,))
    first.start()
    try:
        assert done.wait(30), errors
        second.start()
        wait_for(lambda: waiting_on_a_lock("transactionid"), timeout=10, what="the second one waiting on a row lock")
        yield
    finally:
        release.set()
        first.join()
        if second.ident is not None:
            second.join()
    assert not errors, errors


def _apply(events: list) -> Callable[[], None]:
    return lambda: apply_all(events, NAMES)


def _run_jobs(jobs: list[int]) -> Callable[[], None]:
    return lambda: [run_fanout_job(job) for job in jobs]


def _entries(reader: int, author: int) -> list[tuple]:
    return fetchall("SELECT post_id FROM feed_entry WHERE reader_id = %s AND author_id = %s", [reader, author])


def _posted_with_jobs(w: World, events: list) -> list[int]:
    """Apply the post's events, keeping the chunk jobs they plan instead of sending them."""
    sent: list[int] = []
    with mock.patch.object(type(REGISTRY["home_feed"]), "dispatch", staticmethod(sent.extend)):
        apply_all(events, NAMES)
    assert sent, "the post must be fanned out by chunk jobs"
    return sent


@pytest.mark.parametrize("chunk_first", [True, False])
def test_a_block_racing_a_chunk_of_the_blocked_authors_post_leaves_no_entry(settings, chunk_first: bool) -> None:
    settings.FEED_FANOUT_CHUNK = 1  # two followers: chunk jobs
    reset(NAMES)
    w = World()
    ann, bob, cat = w.register("ann"), w.register("bob"), w.register("cat")
    w.follow(bob, ann)
    w.follow(cat, ann)
    apply_all(w.events, NAMES)
    start = len(w.events)
    post = w.post(ann, "hello", "public")
    jobs = _posted_with_jobs(w, w.events[start:])
    start = len(w.events)
    w.block(bob, ann)  # user.blocked, then user.unfollowed (bob -> ann)
    block = w.events[start:]
    assert [e.event_type for e in block] == ["user.blocked", "user.unfollowed"]
    first, second = (_run_jobs(jobs), _apply(block)) if chunk_first else (_apply(block), _run_jobs(jobs))
    with held_while_waiting(first, second):
        pass
    assert _entries(bob, ann) == []
    assert _entries(cat, ann) == [(post,)]  # the other follower got it


@pytest.mark.parametrize("chunked", [True, False])
@pytest.mark.parametrize("fanout_first", [True, False])
def test_unfollowing_a_locked_account_racing_its_followers_only_post_leaves_no_entry(
    settings, chunked: bool, fanout_first: bool
) -> None:
    settings.FEED_FANOUT_CHUNK = 1 if chunked else 100
    reset(NAMES)
    w = World()
    ann, bob, cat = w.register("ann", locked=True), w.register("bob"), w.register("cat")
    for follower in (bob, cat):
        w.request_follow(follower, ann)
        w.approve(follower, ann)
    apply_all(w.events, NAMES)
    start = len(w.events)
    post = w.post(ann, "for my followers", "followers")
    created = w.events[start:]
    start = len(w.events)
    w.follow(bob, ann, on=False)
    unfollow = w.events[start:]
    if chunked:
        jobs = _posted_with_jobs(w, created)
        fanout = _run_jobs(jobs)
    else:
        fanout = _apply(created)  # inline: under the author's feed_author lock, which the unfollow takes too
    first, second = (fanout, _apply(unfollow)) if fanout_first else (_apply(unfollow), fanout)
    with held_while_waiting(first, second):
        pass
    assert _entries(bob, ann) == []
    assert _entries(cat, ann) == [(post,)]
