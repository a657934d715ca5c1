"""Overlapped pushes: the worker applies a batch while the previous batch's bulk push runs on the
pusher thread, and settles a batch's messages only once its push returned (docs/search.md,
"Overlapped pushes"). Refusals still reach the event that made the refused document, a failed
push leaves its documents pending for the synchronous retry, and nothing is lost."""

from __future__ import annotations

from concurrent.futures import Future

import pytest

from socialapp.events.deadletters import list_dead
from socialapp.events.projector import PermanentError
from socialapp.read.search import pusher, sync
from socialapp.read.search.projector import OverlappedPush, SearchProjector
from tests.events.helpers import append_messages
from tests.pipeline_support import running_pipeline
from tests.support import wait_for

from . import factory as f
from .helpers import visible_docs
from .test_quarantine import batch, numeric_author_index  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "read"])


@pytest.fixture(autouse=True)
def _pusher_stopped():
    yield
    pusher.shutdown()  # its thread's connection must not outlive the test database
    SearchProjector._carried = []


def test_the_state_commits_at_once_and_the_push_follows(projector: SearchProjector) -> None:
    events = [f.registered(1, "alice")] + [f.post_created(100 + i, 1, "alice", f"p{i} #t") for i in range(5)]
    outcomes, push = projector.apply_batch_overlapped(events)
    assert outcomes == [True] * len(events)
    assert push.result() == {}
    assert sync.pending_count() == 0
    assert set(visible_docs("posts")) == {str(100 + i) for i in range(5)}
    assert visible_docs("hashtags")["t"]["post_count"] == 5
    # Duplicates: nothing applied, the push still runs (and finds nothing pending).
    outcomes, push = projector.apply_batch_overlapped(events)
    assert outcomes == [False] * len(events)
    assert push.result() == {}


def test_a_refused_document_names_its_event(numeric_author_index) -> None:  # noqa: F811
    events = batch()
    outcomes, push = SearchProjector().apply_batch_overlapped(events)
    assert outcomes == [True] * len(events)  # the state took them all
    refused = push.result()
    assert list(refused) == [events[3].event_id]
    assert isinstance(refused[events[3].event_id], PermanentError)
    assert "elasticsearch rejected posts document 202" in str(refused[events[3].event_id])
    assert set(visible_docs("posts")) == {"201", "203"}
    assert sync.pending_count(["posts"]) == 0


def test_a_refusal_of_the_next_batch_reaches_that_batch(projector: SearchProjector) -> None:
    """A push sends what is pending when it starts, documents of the batch applied after it
    included: a refusal its own batch does not explain goes to the next result, then no further."""
    first = [f.post_created(101, 1, "alice", "mine")]
    second = [f.post_created(202, 2, "bob", "refused")]
    third = [f.post_created(303, 3, "carol", "later")]
    refusal = sync.Rejected("posts", "202", "mapper_parsing_exception: no")
    done: Future = Future()
    done.set_result([refusal])
    assert OverlappedPush(projector, first, done).result() == {}
    empty: Future = Future()
    empty.set_result([])
    refused = OverlappedPush(projector, second, empty).result()
    assert list(refused) == [second[0].event_id]
    stale: Future = Future()
    stale.set_result([refusal])
    assert OverlappedPush(projector, first, stale).result() == {}
    assert OverlappedPush(projector, third, empty).result() == {}
    assert OverlappedPush(projector, second, empty).result() == {}  # carried once, not forever


def test_a_failed_push_raises_and_leaves_the_documents_pending(projector: SearchProjector, monkeypatch) -> None:
    def down(*args, **kwargs):
        raise sync.SearchUnavailable("down")

    monkeypatch.setattr(sync, "bulk_write_many", down)
    events = [f.registered(1, "alice"), f.post_created(101, 1, "alice", "kept #x")]
    outcomes, push = projector.apply_batch_overlapped(events)
    assert outcomes == [True, True]
    with pytest.raises(sync.SearchUnavailable):
        push.result()
    monkeypatch.undo()
    assert sync.pending_count() == 3
    # The worker's fallback: the batch again, synchronously (duplicates for the state, then the push).
    assert projector.apply_batch(events) == [False, False]
    assert sync.pending_count() == 0
    assert visible_docs("posts")["101"]["body"] == "kept #x"


@pytest.mark.slow
def test_the_search_worker_overlaps_pushes_and_loses_nothing(search_indexes) -> None:
    """Enough events for several full batches through the real worker: every document arrives,
    nothing stays pending, nothing is dead-lettered."""
    events = [f.registered(u, f"user{u}") for u in range(1, 6)]
    events += [f.post_created(1000 + i, 1 + i % 5, f"user{1 + i % 5}", f"post {i} #tag{i % 7}") for i in range(700)]
    with running_pipeline(["search"]) as pipeline:
        logged = append_messages(events)
        pipeline.wait_applied(logged)
        wait_for(lambda: sync.pending_count() == 0, timeout=60, what="every document pushed")
    assert len(visible_docs("posts")) == 700
    assert list_dead("search") == []
