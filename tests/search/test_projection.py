"""The search projector against the real Elasticsearch: effects, duplicates, re-ordering,
tombstones and counters (Zulip-style: applied in any order == applied in order == expected)."""

from __future__ import annotations

import random
import time

import pytest

from socialapp.read.search import indexes, sync
from socialapp.read.search.client import get_client
from socialapp.read.search.projector import SearchProjector

from . import factory as f
from .helpers import all_docs, reset_state, snapshot, visible_docs

pytestmark = pytest.mark.django_db(databases=["default", "read"])


def scenario() -> list:
    """Users, posts, an edit, a delete, likes and unlikes, comments (one deleted, one edited, one
    by the user deactivated last, one on the deleted post), a profile change, a deactivation."""
    return [
        f.registered(1, "alice", "Alice Crème"),
        f.registered(2, "bob", "Bob"),
        f.registered(3, "carol", "Carol"),
        f.post_created(101, 1, "alice", "Crème brûlée at the #Café with @bob", minutes=1),
        f.post_created(102, 2, "bob", "Hello #cafe world", minutes=2),
        f.post_created(103, 3, "carol", "Carol schreibt über #cafe", minutes=3, language="de", sensitive=True),
        f.post_edited(102, 2, "Hello #cafe #paris world", version=2),
        f.post_created(104, 1, "alice", "to be deleted #gone", minutes=4),
        f.post_deleted(104, 1, version=2),
        f.liked(101, 2, version=1),
        f.liked(101, 3, version=1),
        f.liked(102, 1, version=1),
        f.liked(102, 1, version=2, unlike=True),
        f.liked(102, 1, version=3),
        f.liked(103, 2, version=1),
        f.liked(103, 2, version=2, unlike=True),
        f.comment_created(501, 101, 2),
        f.comment_created(502, 101, 3),  # carol's: stops counting when she is deactivated
        f.comment_created(503, 102, 1),
        f.comment_deleted(503, 102, 1),
        f.comment_created(504, 102, 2),
        f.comment_edited(504, 102, "edited comment"),
        f.comment_created(505, 104, 2),  # on the post deleted later
        f.profile_updated(2, "Bobby Tables", version=2),
        f.deactivated(3, "carol", version=2),
    ]


EXPECTED_POSTS = {"101": 1, "102": 1}  # visible posts and their like counts (carol's like gone)
EXPECTED_COMMENTS = {"101": 1, "102": 1}  # carol's comment gone, 503 deleted


def check_expected(snap: dict) -> None:
    posts = snap["posts"]
    assert {k: v["like_count"] for k, v in posts.items()} == EXPECTED_POSTS
    assert {k: v["comment_count"] for k, v in posts.items()} == EXPECTED_COMMENTS
    assert {k: v["engagement"] for k, v in posts.items()} == {
        k: EXPECTED_POSTS[k] + 2 * EXPECTED_COMMENTS[k] for k in posts
    }
    assert posts["102"]["body"] == "Hello #cafe #paris world"
    assert posts["101"]["body_folded"].startswith("creme brulee")
    assert {k: v["username_folded"] for k, v in snap["users"].items()} == {"1": "alice", "2": "bob"}
    assert snap["users"]["2"]["display_name"] == "Bobby Tables"
    tags = {k: v["post_count"] for k, v in snap["hashtags"].items()}
    assert tags == {"cafe": 1, "café": 1, "paris": 1}, tags


def test_events_in_order_give_the_expected_documents(projector: SearchProjector) -> None:
    handled = set(projector.event_types())
    assert "comment.edited" not in handled  # nothing search holds changes with it
    for e in scenario():
        assert projector.apply(e) is (e.event_type in handled)
    check_expected(snapshot())


def test_duplicates_and_reordering_converge(projector: SearchProjector) -> None:
    events = [e for e in scenario() if e.event_type in projector.event_types()]
    for e in events:
        projector.apply(e)
    in_order = snapshot()
    check_expected(in_order)
    for seed in (1, 2, 3):
        reset_state()
        rng = random.Random(seed)
        shuffled = events + rng.sample(events, k=len(events) // 2)  # every event, some twice
        rng.shuffle(shuffled)
        outcomes = projector.apply_batch(shuffled)
        assert outcomes.count(True) == len(events)  # duplicates were skipped
        assert outcomes.count(False) == len(shuffled) - len(events)
        assert snapshot() == in_order, f"seed {seed}"


def test_older_edit_never_overwrites_newer(projector: SearchProjector) -> None:
    projector.apply(f.registered(1, "alice"))
    projector.apply(f.post_created(101, 1, "alice", "first"))
    projector.apply(f.post_edited(101, 1, "third", version=3))
    projector.apply(f.post_edited(101, 1, "second", version=2))
    assert visible_docs("posts")["101"]["body"] == "third"


def test_stale_document_write_is_refused_by_external_version(projector: SearchProjector) -> None:
    projector.apply(f.registered(1, "alice"))
    projector.apply(f.post_created(101, 1, "alice", "first"))
    stale = sync.read_docs("posts", keys=[101])
    projector.apply(f.post_edited(101, 1, "second", version=2))
    sync.bulk_write("posts", stale)  # a slow flusher pushing an old snapshot: 409, ignored
    assert visible_docs("posts")["101"]["body"] == "second"


def test_no_resurrection_after_gc_deletes(projector: SearchProjector) -> None:
    """A deleted post stays a tombstone with its version; past gc_deletes a late or replayed
    create and a stale flush still cannot bring it back."""
    es = get_client()
    es.indices.put_settings(index=indexes.write_alias("posts"), settings={"index.gc_deletes": "100ms"})
    projector.apply(f.registered(1, "alice"))
    created = f.post_created(101, 1, "alice", "secret #leak")
    projector.apply(created)
    stale = sync.read_docs("posts", keys=[101])
    projector.apply(f.post_deleted(101, 1, version=2))
    indexes.refresh("posts")
    time.sleep(0.5)  # not synchronisation: let the (shortened) gc_deletes window pass
    indexes.refresh("posts")
    # A replay of the create under a new delivery id, and an old snapshot pushed late.
    projector.apply(f.post_created(101, 1, "alice", "secret #leak"))
    sync.bulk_write("posts", stale)
    docs = all_docs("posts")
    assert docs["101"]["hidden"] is True and "body" not in docs["101"]
    assert visible_docs("posts") == {}
    assert visible_docs("hashtags") == {}


def test_deactivation_hides_user_posts_and_their_likes(projector: SearchProjector) -> None:
    projector.apply_batch(
        [
            f.registered(1, "alice"),
            f.registered(2, "bob"),
            f.post_created(101, 1, "alice", "alice #one"),
            f.post_created(102, 2, "bob", "bob #one"),
            f.liked(101, 2, version=1),
        ]
    )
    assert visible_docs("posts")["101"]["like_count"] == 1
    projector.apply(f.deactivated(2, "bob", version=2))
    assert set(visible_docs("posts")) == {"101"}
    assert visible_docs("posts")["101"]["like_count"] == 0
    assert set(visible_docs("users")) == {"1"}
    assert visible_docs("hashtags")["one"]["post_count"] == 1
    # A post of the deactivated user arriving late is hidden when indexed.
    projector.apply(f.post_created(103, 2, "bob", "late #one"))
    assert set(visible_docs("posts")) == {"101"}


def test_elasticsearch_refusal_keeps_rows_dirty_until_a_later_flush(projector: SearchProjector, monkeypatch) -> None:
    projector.apply(f.registered(1, "alice"))

    def down(*args, **kwargs):
        raise sync.SearchUnavailable("down")

    monkeypatch.setattr(sync, "bulk_write_many", down)
    with pytest.raises(sync.SearchUnavailable):
        projector.apply(f.post_created(101, 1, "alice", "kept"))
    monkeypatch.undo()
    assert sync.pending_count(["posts"]) == 1  # still pending: the next flush sends it
    redelivered = f.post_created(101, 1, "alice", "kept")
    projector.apply(redelivered)
    assert visible_docs("posts")["101"]["body"] == "kept"


def random_history(rng: random.Random) -> list:
    """A valid in-order history: 6 users, 25 posts on 5 tags, edits, deletes, likes flipping,
    comments created, edited and deleted, and two deactivations, so that counters move up and
    down through every path."""
    events = [f.registered(u, f"user{u}") for u in range(1, 7)]
    posts: dict[int, tuple[int, int]] = {}  # post -> (author, version)
    likes: dict[tuple[int, int], int] = {}  # (post, user) -> version
    comments: dict[int, tuple[int, int]] = {}  # live comment -> (post, author)
    tags = ["a", "b", "c", "d", "e"]
    for pid in range(200, 225):
        author = rng.randint(1, 6)
        body = " ".join(f"#{t}" for t in rng.sample(tags, k=rng.randint(0, 3)))
        events.append(f.post_created(pid, author, f"user{author}", f"post {body}", minutes=pid))
        posts[pid] = (author, 1)
    for _ in range(60):
        pid = rng.choice(list(posts))
        author, version = posts[pid]
        roll = rng.random()
        if roll < 0.2 and version > 0:  # a comment, sometimes deleted, sometimes edited
            cid, commenter = 900 + len(events), rng.randint(1, 6)
            events.append(f.comment_created(cid, pid, commenter))
            comments[cid] = (pid, commenter)
        elif roll < 0.3 and comments:
            cid = rng.choice(sorted(comments))
            cpid, commenter = comments[cid]
            if posts[cpid][1] > 0:  # the command side refuses to touch a deleted post's comments
                if rng.random() < 0.3:
                    events.append(f.comment_edited(cid, cpid, "edited"))
                else:
                    events.append(f.comment_deleted(cid, cpid, commenter, version=3))
                    del comments[cid]
        elif roll < 0.45 and version > 0:
            body = " ".join(f"#{t}" for t in rng.sample(tags, k=rng.randint(0, 3)))
            events.append(f.post_edited(pid, author, f"edited {body}", version=version + 1))
            posts[pid] = (author, version + 1)
        elif roll < 0.52 and version > 0:
            events.append(f.post_deleted(pid, author, version=version + 1))
            posts[pid] = (author, -1)  # no more edits
        else:
            user = rng.randint(1, 6)
            v = likes.get((pid, user), 0) + 1
            events.append(f.liked(pid, user, version=v, unlike=v % 2 == 0))
            likes[(pid, user)] = v
    events += [f.deactivated(u, f"user{u}", version=2) for u in rng.sample(range(1, 7), k=2)]
    return events


def recounted() -> tuple[dict, dict]:
    """The counters recomputed from scratch from the per-row state: what the deltas must equal."""
    from django.db import connections

    with connections["read"].cursor() as cursor:
        cursor.execute(
            "SELECT p.post_id, p.like_count, (SELECT count(*) FROM search_like l JOIN search_user u"
            " ON u.user_id = l.user_id WHERE l.post_id = p.post_id AND l.liked AND NOT u.deactivated)"
            " FROM search_post p"
        )
        likes = {pid: (held, expected) for pid, held, expected in cursor.fetchall()}
        cursor.execute(
            "SELECT p.post_id, p.comment_count, (SELECT count(*) FROM search_comment c LEFT JOIN search_user u"
            " ON u.user_id = c.author_id WHERE c.post_id = p.post_id AND c.created AND NOT c.deleted"
            " AND NOT coalesce(u.deactivated, false)) FROM search_post p"
        )
        comments = {pid: (held, expected) for pid, held, expected in cursor.fetchall()}
        cursor.execute(
            "SELECT h.tag, h.post_count, h.last_used_at, count(p.post_id), max(p.created_at) FROM search_hashtag h"
            " LEFT JOIN search_post p ON p.hashtags @> ARRAY[h.tag] AND NOT p.deleted AND NOT p.author_deactivated"
            " AND p.created_at IS NOT NULL GROUP BY h.tag"
        )
        tags = {tag: ((n, last), (m, mlast)) for tag, n, last, m, mlast in cursor.fetchall()}
    return likes, comments, tags


@pytest.mark.parametrize("seed", [11, 12, 13, 14])
def test_counter_deltas_equal_a_full_recount_in_any_order(projector: SearchProjector, seed: int) -> None:
    """Like, comment and tag counts move by deltas; whatever the order and duplication of
    deliveries they equal a recount from the per-row state, and the documents equal those of
    in-order delivery."""
    rng = random.Random(seed)
    events = random_history(rng)
    projector.apply_batch(events)
    in_order = snapshot()
    _likes, comments, _tags = recounted()
    assert any(held for held, _ in comments.values())  # the history does count comments
    assert {pid: held for pid, (held, _) in comments.items()} == {pid: want for pid, (_, want) in comments.items()}
    shuffled = events + rng.sample(events, k=len(events) // 3)
    rng.shuffle(shuffled)
    reset_state()
    for i in range(0, len(shuffled), 7):  # batches of odd sizes, as a worker hands them
        projector.apply_batch(shuffled[i : i + 7])
    likes, comments, tags = recounted()
    assert {pid: held for pid, (held, _) in likes.items()} == {pid: want for pid, (_, want) in likes.items()}
    assert {pid: held for pid, (held, _) in comments.items()} == {pid: want for pid, (_, want) in comments.items()}
    assert {t: held for t, (held, _) in tags.items()} == {t: want for t, (_, want) in tags.items()}
    assert snapshot() == in_order


def test_a_failing_event_in_a_batch_costs_only_itself(projector: SearchProjector) -> None:
    """The batch's single transaction fails on the bad event; the batch is applied again one event
    per transaction, so the others apply once and the bad one is reported, not applied."""
    good = [f.registered(1, "alice"), f.post_created(101, 1, "alice", "kept #ok")]
    bad = f.post_created(102, 1, "alice", "broken")
    del bad.payload["post_id"]  # a bug-shaped event: the handler raises KeyError
    outcomes = projector.apply_batch([good[0], bad, good[1]])
    assert outcomes[0] is True and outcomes[2] is True
    assert isinstance(outcomes[1], KeyError)
    assert set(visible_docs("posts")) == {"101"}
    assert visible_docs("hashtags")["ok"]["post_count"] == 1
    assert projector.apply_batch(good) == [False, False]  # applied exactly once
