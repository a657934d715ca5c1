"""Per-post visibility and locked accounts in the projections (docs/read-models.md): the posts
projector's visibility and audience columns, the home feed's fan-out by visibility, the
profiles' `locked`; applying twice, shuffled within aggregates or rebuilding gives the same rows,
and what the world implies."""

from __future__ import annotations

import pytest

from socialapp.read.common.sql import fetchall
from tests.read.conftest import MINE, SNAPSHOT_ORDER, apply_all, reset, state_columns
from tests.read.factory import World, shuffled_within_aggregates

pytestmark = pytest.mark.django_db(databases=["default", "read"])

NAMES = (*MINE, "relations")
ORDER = {
    **SNAPSHOT_ORDER,
    "read_block": "blocker_id, blocked_id",
    "read_mute": "muter_id, muted_id",
    "read_follow_request": "follower_id, followee_id",
    "read_relation_follow": "follower_id, followee_id",
}


def snapshot() -> dict[str, list[tuple]]:
    return {t: fetchall(f"SELECT {state_columns(t)} FROM {t} ORDER BY {o}") for t, o in ORDER.items()}


def clean() -> None:
    reset(NAMES)


def vis_world() -> World:
    """Every visibility, old events without one, audiences that change by edits, a locked account
    with approved, rejected and withdrawn requests, blocks (with their unfollows), mutes,
    deletions and a deactivation."""
    w = World()
    ann = w.register("ann", locked=True)
    bob, cat, dan, eve, fay = (w.register(n) for n in ("bob", "cat", "dan", "eve", "fay"))
    old = w.register("old")  # an event from before issue 15: no `locked`
    w.request_follow(bob, ann)
    w.approve(bob, ann)
    w.request_follow(cat, ann)
    w.end_request(cat, ann, "follow.request_rejected")
    w.request_follow(dan, ann)
    w.end_request(dan, ann, "follow.request_withdrawn")
    w.request_follow(fay, ann)  # still pending
    w.follow(dan, bob)
    w.follow(eve, bob)
    w.follow(fay, bob)
    w.follow(ann, bob)
    w.follow(old, ann)  # followed before ann locked the account: stays a follower
    public = w.post(ann, "hi @dan #tag", "public")
    w.post(ann, "quiet", "unlisted")
    secret = w.post(ann, "for followers @eve", "followers")
    dm = w.post(ann, "psst @cat", "direct")
    legacy = w.post(old, "from before @ann")  # no `visibility`: public
    w.post(bob, "mine @ann", "followers")
    bob_dm = w.post(bob, "to dan @dan and @fay", "direct")
    c1 = w.comment(bob, secret, "ok @cat")  # none asked: the post's (followers)
    c2 = w.comment(cat, public, "public reply", "unlisted")
    w.comment(dan, public, "answering cat", "direct", in_reply_to=c2)
    w.comment(eve, legacy, "old style")  # a public post, none asked: no `visibility` key
    w.comment(dan, dm, "loud", "public")  # at least the post's: direct
    w.edit(secret, "for followers @eve and @dan")  # the audience follows the mentions
    w.edit_comment(c1, "ok @fay")
    w.update_profile(ann, "Ann", "locked bio", locked=True)
    w.update_profile(bob, "Bob", "now locked", locked=True)
    w.update_profile(bob, "Bob", "open again", locked=False)
    w.block(eve, bob)  # eve unfollows bob with it
    w.block(fay, ann)  # withdraws fay's pending request
    w.block(cat, dan)
    w.block(cat, dan, on=False)
    w.mute(dan, ann, notifications=False)
    w.mute(dan, ann, expires_at="2030-01-01T00:00:00+00:00")
    w.mute(eve, ann)
    w.mute(eve, ann, on=False)
    w.follow(bob, ann, on=False)
    w.delete(bob_dm)
    w.deactivate(cat)
    return w


def check_visibility(w: World) -> None:
    posts = {r[0]: r[1:] for r in fetchall("SELECT post_id, visibility, audience_ids, deleted FROM read_post")}
    for pid, p in w.posts.items():
        visibility, audience, deleted = posts[pid]
        hidden = p.deleted or not w.live(p.author)
        assert visibility == p.visibility, pid
        assert audience == ([] if hidden else sorted(set(p.mentions))), pid
        assert deleted == p.deleted
    comments = {
        r[0]: r[1:] for r in fetchall("SELECT comment_id, visibility, audience_ids, post_author_id FROM read_comment")
    }
    for cid, c in w.comments.items():
        visibility, audience, post_author = comments[cid]
        assert visibility == c.visibility, cid
        assert post_author == w.posts[c.post].author
        assert w.posts[c.post].author in audience
    locked = dict(fetchall("SELECT user_id, locked FROM read_profile"))
    for uid, u in w.users.items():
        assert locked[uid] == u.locked, u.username
    for uid, u in w.users.items():
        feed = [
            r[0] for r in fetchall("SELECT post_id FROM feed_entry WHERE reader_id = %s ORDER BY post_id DESC", [uid])
        ]
        assert feed == w.expected_feed(uid, 1000), u.username


def test_visibility_audience_locked_and_feeds_are_what_the_world_implies(db) -> None:
    clean()
    w = vis_world()
    apply_all(w.events, NAMES)
    check_visibility(w)
    first = snapshot()
    apply_all(w.events, NAMES)  # all duplicates: nothing changes
    assert snapshot() == first
    clean()
    apply_all(w.events, NAMES)
    assert snapshot() == first


def test_the_rule_as_delivered(db) -> None:
    """Spot checks of the fan-out rule, independent of the oracle."""
    clean()
    w = vis_world()
    apply_all(w.events, NAMES)
    ids = {u.username: uid for uid, u in w.users.items()}
    by_body = {p.body.split()[0]: pid for pid, p in w.posts.items()}

    def feed(name: str) -> set[int]:
        return {r[0] for r in fetchall("SELECT post_id FROM feed_entry WHERE reader_id = %s", [ids[name]])}

    assert by_body["psst"] in feed("cat") or not w.live(ids["cat"])  # direct: to its audience
    assert by_body["psst"] not in feed("old")  # ... never to a follower as such
    assert by_body["for"] in feed("eve")  # followers-only: to its audience, not following ann
    assert by_body["for"] not in feed("dan")  # mentioned only by a later edit: not delivered
    assert by_body["for"] in feed("old") and by_body["quiet"] in feed("old")  # approved followers
    assert by_body["mine"] in feed("ann")  # addressed, and kept when... ann follows bob anyway
    assert not feed("fay") & {by_body["for"], by_body["quiet"]}  # a pending request is no follow
    # bob unfollowed ann: ann's posts left his feed, except what addresses him (none here)
    assert not {pid for pid in feed("bob") if w.posts[pid].author == ids["ann"]}


def test_an_unfollow_keeps_the_posts_that_address_the_reader(db) -> None:
    clean()
    w = World()
    ann, bob = w.register("ann"), w.register("bob")
    w.follow(bob, ann)
    addressed = w.post(ann, "hey @bob", "followers")
    w.post(ann, "all followers", "followers")
    dm = w.post(ann, "just @bob", "direct")
    w.post(ann, "public", "public")
    w.follow(bob, ann, on=False)
    apply_all(w.events, NAMES)
    feed = [r[0] for r in fetchall("SELECT post_id FROM feed_entry WHERE reader_id = %s ORDER BY post_id", [bob])]
    assert feed == [addressed, dm] == sorted(w.expected_feed(bob, 1000))
    w.follow(bob, ann)  # the merge brings back the others, never a direct one not addressed to him
    other_dm = w.post(ann, "no one", "direct")
    apply_all(w.events[-2:], NAMES)
    feed = [r[0] for r in fetchall("SELECT post_id FROM feed_entry WHERE reader_id = %s ORDER BY post_id", [bob])]
    assert feed == sorted(w.expected_feed(bob, 1000)) and other_dm not in feed and len(feed) == 4


def test_regeneration_follows_the_same_rule(db) -> None:
    from socialapp.read.feeds import maintenance

    clean()
    w = vis_world()
    apply_all(w.events, NAMES)
    readers = [uid for uid in w.users if w.live(uid)]
    before = {r: fetchall("SELECT post_id FROM feed_entry WHERE reader_id = %s ORDER BY post_id", [r]) for r in readers}
    maintenance.evict(readers)
    for r in readers:
        maintenance.regenerate_if_empty(r)
    after = {r: fetchall("SELECT post_id FROM feed_entry WHERE reader_id = %s ORDER BY post_id", [r]) for r in readers}
    assert after == before


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_duplicated_and_shuffled_within_aggregates(db, seed: int) -> None:
    clean()
    w = vis_world()
    apply_all(w.events, NAMES)
    in_order = snapshot()
    clean()
    apply_all(shuffled_within_aggregates(w.events, seed=seed), NAMES)
    check_visibility(w)
    shuffled = snapshot()
    for table in (
        "read_profile",
        "read_post",
        "read_comment",
        "read_status_version",
        "feed_entry",
        "feed_post",
        "feed_follow",
        "read_block",
        "read_mute",
        "read_follow_request",
        "read_relation_follow",
    ):
        assert shuffled[table] == in_order[table], table


def test_events_from_before_visibility_mean_public_and_unlocked(db) -> None:
    clean()
    w = World()
    ann, bob = w.register("ann"), w.register("bob")
    pid = w.post(ann, "old @bob")
    cid = w.comment(bob, pid, "old reply")
    assert "visibility" not in w.events[-2].payload and "visibility" not in w.events[-1].payload
    apply_all(w.events, NAMES)
    assert fetchall("SELECT visibility, audience_ids FROM read_post") == [("public", [bob])]
    assert fetchall("SELECT visibility, audience_ids FROM read_comment WHERE comment_id = %s", [cid]) == [
        ("public", [ann])
    ]
    assert fetchall("SELECT feed_post.visibility, audience_ids FROM feed_post") == [("public", [])]
    assert fetchall("SELECT locked FROM read_profile ORDER BY user_id") == [(False,), (False,)]
