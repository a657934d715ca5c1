"""Zulip-style projection tests: applying the events to empty read models == rebuilding them
from the log == what the write model implies; and the same with every event delivered twice
and shuffled within its aggregate."""

from __future__ import annotations

import pytest

from socialapp.read.common.sql import fetchall, fetchone
from tests.read.conftest import apply_all, reset, snapshot
from tests.read.factory import World, shuffled_within_aggregates

pytestmark = pytest.mark.django_db(databases=["default", "read"])


def scenario() -> World:
    w = World()
    ann, bob, cat, dan, eve = (w.register(n) for n in ("ann", "bob", "cat", "dan", "eve"))
    w.follow(bob, ann)
    w.follow(cat, ann)
    w.follow(dan, ann)
    w.follow(ann, bob)
    w.follow(eve, bob)
    p1 = w.post(ann, "hello #Django #cqrs @bob")
    p2 = w.post(bob, "second #django")
    p3 = w.post(ann, "to be deleted #gone")
    w.like(bob, p1)
    w.like(cat, p1)
    w.like(cat, p1, on=False)
    w.like(cat, p1)
    w.like(eve, p2)
    c1 = w.comment(bob, p1, "nice @cat")
    w.comment(cat, p1, "agreed")
    c3 = w.comment(dan, p3, "on a doomed post")
    w.edit(p1, "hello again #Django #edited")
    w.edit_comment(c1, "very nice")
    w.update_profile(ann, "Ann A.", "bio of ann")
    w.delete(p3)
    w.comment(eve, p2, "eve was here")
    w.follow(dan, ann, on=False)
    w.follow(dan, bob)
    w.follow(cat, ann, on=False)
    w.follow(cat, ann)
    w.deactivate(eve)
    w.delete_comment(c3) if not w.posts[p3].deleted else None
    p4 = w.post(cat, "cat post mentioning @ann #django")
    w.like(ann, p4)
    w.comment(ann, p4, "thanks")
    return w


def check_against_write_model(w: World) -> None:
    profiles = {
        r[0]: r[1:]
        for r in fetchall(
            "SELECT user_id, username, display_name, follower_count, following_count, post_count, deactivated_at IS NULL"
            " FROM read_profile"
        )
    }
    follows = w.active_follows()
    visible = w.visible_posts()
    for uid, u in w.users.items():
        username, display, followers, following, posts, active = profiles[uid]
        assert (username, active) == (u.username, u.active)
        if not u.active:
            continue
        assert display == u.display_name
        assert followers == sum(1 for a, b in follows if b == uid), u.username
        assert following == sum(1 for a, b in follows if a == uid), u.username
        assert posts == sum(1 for p in visible.values() if p.author == uid)
    shown = fetchall(
        "SELECT post_id, body, like_count, comment_count, hashtags FROM read_post"
        " WHERE version > 0 AND NOT deleted AND NOT author_deactivated ORDER BY post_id"
    )
    expected = []
    for pid, p in sorted(visible.items()):
        likes = sum(1 for (lp, lu), (on, _) in w.likes.items() if lp == pid and on and w.live(lu))
        comments = sum(1 for c in w.comments.values() if c.post == pid and not c.deleted and w.live(c.author))
        expected.append((pid, p.body, likes, comments, p.hashtags))
    assert shown == expected
    tags = fetchall(
        "SELECT t.tag, t.post_id FROM read_post_tag t JOIN read_post p USING (post_id)"
        " WHERE NOT p.deleted AND NOT p.author_deactivated ORDER BY 1, 2"
    )
    assert tags == sorted((t, pid) for pid, p in visible.items() for t in p.hashtags)
    for uid, u in w.users.items():
        if u.active:
            feed = [
                r[0]
                for r in fetchall("SELECT post_id FROM feed_entry WHERE reader_id = %s ORDER BY post_id DESC", [uid])
            ]
            assert feed == w.expected_feed(uid, 1000), u.username
    # Notifications: nothing from or to a deactivated user, nothing about a deleted post.
    for recipient, actor, post_id in fetchall("SELECT recipient_id, actor_id, post_id FROM read_notification"):
        assert w.live(recipient) and w.live(actor) and recipient != actor
        assert post_id is None or post_id in visible


def test_apply_equals_rebuild_equals_write_model(clean_read_models) -> None:
    w = scenario()
    apply_all(w.events)
    first = snapshot()
    check_against_write_model(w)
    apply_all(w.events)  # every event again: all duplicates, nothing changes
    assert snapshot() == first
    reset()
    apply_all(w.events)  # rebuild from the log
    assert snapshot() == first


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_duplicated_and_shuffled_within_aggregates(clean_read_models, seed: int) -> None:
    w = scenario()
    apply_all(w.events)
    in_order = snapshot()
    reset()
    apply_all(shuffled_within_aggregates(w.events, seed=seed))
    check_against_write_model(w)
    shuffled = snapshot()
    for table in (
        "read_profile",
        "read_post",
        "read_comment",
        "read_like",
        "read_post_tag",
        "read_status_version",
        "feed_entry",
        "read_notification",
        "read_follow_edge",
        "feed_follow",
    ):
        assert shuffled[table] == in_order[table], table


def test_comment_after_post_deleted_resurrects_nothing(clean_read_models) -> None:
    w = World()
    ann, bob = w.register("ann"), w.register("bob")
    pid = w.post(ann, "short-lived")
    created_post = w.events[-1]
    w.comment(bob, pid, "hi @ann")
    comment = w.events[-1]
    w.delete(pid)
    deleted = w.events[-1]
    apply_all([w.events[0], w.events[1], deleted, comment, created_post])
    assert fetchone("SELECT deleted FROM read_post WHERE post_id = %s", [pid]) == (True,)
    assert fetchone("SELECT count(*) FROM read_notification") == (0,)
    assert fetchone("SELECT count(*) FROM feed_entry") == (0,)
    assert fetchone("SELECT count(*) FROM read_post_tag") == (0,)
    assert fetchone("SELECT post_count FROM read_profile WHERE user_id = %s", [ann]) == (0,)


def test_older_event_never_undoes_newer(clean_read_models) -> None:
    w = World()
    ann, bob = w.register("ann"), w.register("bob")
    w.follow(bob, ann)
    w.follow(bob, ann, on=False)
    w.follow(bob, ann)
    w.update_profile(ann, "Newest", "b")
    ev = w.events
    apply_all([ev[0], ev[1], ev[4], ev[5], ev[3], ev[2]])  # v3 follow, then stale v2 unfollow, v1 follow
    assert fetchone("SELECT follower_count FROM read_profile WHERE user_id = %s", [ann]) == (1,)
    assert fetchone("SELECT display_name FROM read_profile WHERE user_id = %s", [ann]) == ("Newest",)
