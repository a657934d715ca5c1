"""Unsynced documents live in `search_pending`, not in the state rows: a push deletes pending
rows and never writes the post row again; hashtag documents wait for a timer, within its bound."""

from __future__ import annotations

import time

import pytest
from django.db import connections
from elasticsearch import NotFoundError

from socialapp.read.search import indexes, sync
from socialapp.read.search.client import get_client
from socialapp.read.search.projector import SearchProjector
from tests.events.helpers import append_messages
from tests.pipeline_support import running_pipeline
from tests.support import wait_for

from . import factory as f
from .helpers import visible_docs

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "read"])


def _rows(sql: str, params: list | None = None) -> list[tuple]:
    with connections["read"].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def test_pending_empties_after_the_push_and_the_post_row_is_written_once(projector: SearchProjector) -> None:
    events = [f.registered(1, "alice")] + [
        f.post_created(100 + i, 1, "alice", f"post {i} #t", minutes=i) for i in range(5)
    ]
    assert projector.apply_batch(events) == [True] * len(events)
    assert sync.pending_count() == 0
    assert set(visible_docs("posts")) == {str(100 + i) for i in range(5)}
    # Each post row was written by the applying transaction only (the one that recorded the
    # events): neither a placeholder insert followed by an update nor a write to mark it synced.
    rows = _rows(
        "SELECT p.post_id, p.xmin::text, (SELECT a.xmin::text FROM projection_applied_event a"
        " WHERE a.projector = 'search' AND a.event_id = %s) FROM search_post p ORDER BY p.post_id",
        [events[1].event_id],
    )
    assert len(rows) == 5
    assert all(row_xmin == applied_xmin for _id, row_xmin, applied_xmin in rows), rows
    # Pushing again (listed by hand) still leaves the rows as they are.
    sync.mark_pending("posts")
    assert sync.flush() == 5
    assert _rows("SELECT post_id, xmin::text FROM search_post ORDER BY post_id") == [(i, x) for i, x, _a in rows]


def test_a_failed_push_stays_pending_and_the_next_push_sends_it(projector: SearchProjector, monkeypatch) -> None:
    projector.apply(f.registered(1, "alice"))

    def down(*args, **kwargs):
        raise sync.SearchUnavailable("down")

    monkeypatch.setattr(sync, "bulk_write_many", down)
    with pytest.raises(sync.SearchUnavailable):
        projector.apply(f.post_created(101, 1, "alice", "kept #x"))
    monkeypatch.undo()
    assert _rows("SELECT kind, key FROM search_pending ORDER BY kind") == [("hashtags", "x"), ("posts", "101")]
    assert projector.status() == {"pending posts": 1, "pending users": 0, "pending hashtags": 1}
    assert sync.flush() == 2
    assert sync.pending_count() == 0
    assert visible_docs("posts")["101"]["body"] == "kept #x"


def test_hashtag_documents_wait_for_the_timer_not_every_batch(projector: SearchProjector, settings) -> None:
    settings.SEARCH_HASHTAG_PUSH_SECONDS = 1.0
    projector.apply(f.registered(1, "alice"))
    sync._hashtags.pushed_at = time.monotonic()  # a push just happened
    projector.apply(f.post_created(101, 1, "alice", "first #tea"))
    assert "101" in visible_docs("posts")  # posts go with their batch
    assert visible_docs("hashtags") == {}  # the tag waits
    assert sync.push_waiting_hashtags() == 0  # the timer's tick: not due yet
    later = sync._hashtags.pushed_at + settings.SEARCH_HASHTAG_PUSH_SECONDS
    assert sync.push_hashtags_if_due(now=later) == 1  # due: pushed, at most the bound after the last push
    assert visible_docs("hashtags")["tea"]["post_count"] == 1
    assert sync.pending_count() == 0


@pytest.mark.slow
def test_the_search_worker_pushes_hashtags_within_the_bound_without_further_events(search_indexes) -> None:
    """With the real worker (its event-loop timer) and the default bound: a post's hashtag
    document arrives soon after its post document although no later event triggers a batch."""
    es = get_client()
    tag_index = indexes.write_alias("hashtags")

    def tag_doc() -> dict | None:
        try:
            return es.get(index=tag_index, id="brew")["_source"]  # realtime: no refresh needed
        except NotFoundError:
            return None

    with running_pipeline(["search"]) as pipeline:
        warm = append_messages([f.registered(1, "alice"), f.post_created(100, 1, "alice", "warm #warm")])
        pipeline.wait_applied(warm)
        wait_for(lambda: sync.pending_count() == 0, timeout=30, what="the warm-up pushed")
        logged = append_messages([f.post_created(101, 1, "alice", "brewing #brew", minutes=1)])
        pipeline.wait_applied(logged)
        applied = time.monotonic()
        doc = wait_for(tag_doc, timeout=30, interval=0.02, what="the hashtag document")
        waited = time.monotonic() - applied
    assert doc["post_count"] == 1
    # The bound (1 s) plus slack for a shared machine; a push only with the next batch would never come.
    assert waited < 1.0 + 1.5, waited


def test_the_push_skips_a_pending_row_another_transaction_holds_instead_of_waiting(projector: SearchProjector) -> None:
    """An applying batch's upsert may hold a pending row while a flush deletes acknowledged ones;
    waiting for it put the two in a lock cycle (a deadlock seen under load). The flush leaves the
    held row listed, and a later flush sends it again and clears it."""
    import psycopg

    assert projector.apply_batch([f.registered(1, "alice"), f.post_created(100, 1, "alice", "one")])
    projector.apply(f.post_created(101, 1, "alice", "two"))
    sync.mark_pending("posts")
    assert sync.pending_count() == 2
    holder = psycopg.connect(**connections["read"].get_connection_params())
    try:
        holder.execute("SELECT 1 FROM search_pending WHERE kind = 'posts' AND key = '100' FOR UPDATE")
        with connections["read"].cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")  # waiting would fail here, not hang the suite
        try:
            assert sync.flush(["posts"]) == 2  # both sent; only the free one is cleared
        finally:
            with connections["read"].cursor() as cursor:
                cursor.execute("RESET lock_timeout")
        assert _rows("SELECT kind, key FROM search_pending") == [("posts", "100")]
    finally:
        holder.rollback()
        holder.close()
    assert sync.flush(["posts"]) == 1
    assert sync.pending_count() == 0
