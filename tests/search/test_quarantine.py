"""One document Elasticsearch refuses must not stall the search queue: it is quarantined (its
event dead-lettered with the reason) and every other document is synced."""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest

from socialapp.events.deadletters import list_dead
from socialapp.events.projector import EventMessage, PermanentError
from socialapp.read.search import indexes, sync
from socialapp.read.search.projector import SearchProjector
from tests.events.helpers import append_messages
from tests.pipeline_support import running_pipeline
from tests.support import wait_for

from . import factory as f
from .helpers import visible_docs

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "read"])


@pytest.fixture
def numeric_author_index() -> Iterator[None]:
    """Posts indexes whose `author_username` is mapped as a number: Elasticsearch refuses (a
    document parsing error in that bulk item) every post whose author's name is not numeric."""
    original = indexes.MAPPINGS["posts"]
    strict = copy.deepcopy(original)
    strict["properties"]["author_username"] = {"type": "long"}
    indexes.MAPPINGS["posts"] = strict
    try:
        indexes.drop_all()
        indexes.ensure_indexes()
    finally:
        indexes.MAPPINGS["posts"] = original
    yield
    indexes.drop_all()
    indexes.ensure_indexes()


def batch() -> list[EventMessage]:
    return [
        f.registered(1, "1001"),
        f.registered(2, "poison"),
        f.post_created(201, 1, "1001", "fine #ok", minutes=1),
        f.post_created(202, 2, "poison", "refused #ok", minutes=2),
        f.post_created(203, 1, "1001", "also fine #ok", minutes=3),
    ]


def test_a_refused_document_fails_only_its_event_and_the_rest_is_synced(numeric_author_index):
    projector = SearchProjector()
    events = batch()
    outcomes = projector.apply_batch(events)
    assert [o is True for o in outcomes] == [True, True, True, False, True]
    refusal = outcomes[3]
    assert isinstance(refusal, PermanentError)
    assert "elasticsearch rejected posts document 202" in str(refusal)
    assert "parsing_exception" in str(refusal)
    assert set(visible_docs("posts")) == {"201", "203"}
    assert visible_docs("hashtags")["ok"]["post_count"] == 3  # the state counts it; only its doc is refused
    assert sync.pending_count(["posts"]) == 0  # quarantined: no longer pending
    # Not stalled: the next batch is applied and pushed although the refused row is still there.
    assert projector.apply_batch([f.post_created(204, 1, "1001", "after #ok", minutes=4)]) == [True]
    assert set(visible_docs("posts")) == {"201", "203", "204"}


def test_one_refused_document_in_a_full_batch_is_quarantined_alone(numeric_author_index):
    """A batch of 60 posts with one refused in the middle: that event alone is refused, every
    other document is written, nothing stays pending."""
    events = [f.registered(1, "1001"), f.registered(2, "poison")]
    events += [
        f.post_created(300 + i, 2 if i == 30 else 1, "poison" if i == 30 else "1001", f"p{i} #ok") for i in range(60)
    ]
    outcomes = SearchProjector().apply_batch(events)
    refused = [i for i, o in enumerate(outcomes) if o is not True]
    assert refused == [2 + 30]
    assert "elasticsearch rejected posts document 330" in str(outcomes[32])
    assert set(visible_docs("posts")) == {str(300 + i) for i in range(60) if i != 30}
    assert sync.pending_count() == 0


@pytest.mark.slow
def test_the_search_worker_dead_letters_the_refused_event_with_the_reason(numeric_author_index):
    with running_pipeline(["search"]) as pipeline:
        logged = append_messages(batch())
        pipeline.wait_applied(logged)
        dead = wait_for(lambda: list_dead("search"), timeout=60, what="the refused event dead-lettered")
        wait_for(lambda: set(visible_docs("posts")) == {"201", "203"}, timeout=30, what="the rest synced")
        more = append_messages([f.post_created(204, 1, "1001", "after #ok", minutes=4)])
        pipeline.wait_applied(more)
        wait_for(lambda: "204" in visible_docs("posts"), timeout=30, what="the queue still flowing")
        log = pipeline.workers["search"].log()
    assert [d.event_id for d in dead] == [str(logged[3].event_id)]
    assert dead[0].reason == "permanent"
    assert "elasticsearch rejected posts document 202" in dead[0].error
    assert "rejected by Elasticsearch, quarantined" in log
