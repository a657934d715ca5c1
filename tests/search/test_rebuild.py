"""`search rebuild`: a fresh index from the search state, alias swapped atomically, no live
update lost across the swap (writes between copy and swap, and a concurrent stream)."""

from __future__ import annotations

import threading

import pytest
from django.core.management import call_command
from django.db import connections

from socialapp.read.search import indexes
from socialapp.read.search.client import get_client
from socialapp.read.search.projector import SearchProjector

from . import factory as f
from .helpers import snapshot, visible_docs


@pytest.mark.django_db(databases=["default", "read"])
def test_writes_between_copy_and_swap_reach_the_new_index(projector: SearchProjector) -> None:
    projector.apply_batch(
        [f.registered(1, "alice"), *[f.post_created(100 + i, 1, "alice", f"post {i}") for i in range(5)]]
    )
    old = indexes.ensure_index("posts")

    def live_writes(new_index: str) -> None:
        projector.apply(f.post_created(200, 1, "alice", "written during the rebuild"))
        projector.apply(f.post_edited(100, 1, "edited during the rebuild", version=2))
        projector.apply(f.post_deleted(101, 1, version=2))

    from socialapp.read.search.rebuild import rebuild_index

    new = rebuild_index("posts", progress=False, after_copy=live_writes)
    assert new != old
    assert sorted(get_client().indices.get_alias(name=indexes.read_alias("posts"))) == [new]
    assert sorted(get_client().indices.get_alias(name=indexes.write_alias("posts"))) == [new]
    assert not get_client().indices.exists(index=old)
    docs = visible_docs("posts")
    assert sorted(docs) == ["100", "102", "103", "104", "200"]
    assert docs["100"]["body"] == "edited during the rebuild"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, databases=["default", "read"])
def test_rebuild_during_a_stream_of_writes_loses_nothing(search_indexes: None) -> None:
    projector = SearchProjector()
    projector.apply_batch(
        [f.registered(1, "alice"), *[f.post_created(1000 + i, 1, "alice", f"seed {i} #seed") for i in range(300)]]
    )
    stop = threading.Event()
    written: list[int] = []

    def stream() -> None:
        try:
            i = 0
            while not stop.is_set() or i < 20:
                projector.apply(f.post_created(5000 + i, 1, "alice", f"live {i} #live", minutes=i))
                projector.apply(f.liked(1000 + i % 300, 2, version=1 + i // 300))
                written.append(5000 + i)
                i += 1
        finally:
            connections.close_all()

    thread = threading.Thread(target=stream)
    thread.start()
    try:
        call_command("search", "rebuild", "posts", "hashtags")
        call_command("search", "rebuild", "users")
    finally:
        stop.set()
        thread.join(timeout=60)
    state = snapshot()
    expected_posts = {str(1000 + i) for i in range(300)} | {str(p) for p in written}
    assert set(state["posts"]) == expected_posts
    assert state["hashtags"]["live"]["post_count"] == len(written)
    assert state["hashtags"]["seed"]["post_count"] == 300
    # The rebuilt index equals a from-scratch push of the same state.
    likes = {k: v["like_count"] for k, v in state["posts"].items()}
    assert sum(likes.values()) == min(len(written), 300)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, databases=["default", "read"])
def test_rebuild_from_the_log_repairs_corrupted_state(search_indexes: None) -> None:

    from socialapp.read.search.models import SearchPost
    from socialapp.read.search.projector import SearchProjector as P
    from tests.read.conftest import logged

    from .test_projection import check_expected, scenario

    events = scenario()
    logged(events)  # in the log, as the commands appended them
    P().apply_batch(events)  # what live workers did (with other delivery ids)
    SearchPost.objects.using("read").filter(pk=101).update(body="corrupted", doc_version=10**12)
    P().apply(f.registered(99, "ghost"))  # a user the log knows nothing of
    from socialapp.read.search.sync import flush, mark_pending

    mark_pending("posts", [101])
    flush()
    assert visible_docs("posts")["101"]["body"] == "corrupted"
    call_command("search", "rebuild", "--from-log")
    check_expected(snapshot())
    report = P().check()
    assert report.ok, report


def test_command_init_is_idempotent_and_rejects_unknown_kinds(search_indexes: None) -> None:
    from io import StringIO

    from django.core.management.base import CommandError

    before = {k: indexes.ensure_index(k) for k in indexes.KINDS}
    out = StringIO()
    call_command("search", "init", stdout=out)
    assert {k: indexes.ensure_index(k) for k in indexes.KINDS} == before
    assert "outdated" not in out.getvalue()
    with pytest.raises(CommandError):
        call_command("search", "rebuild", "bogus")
