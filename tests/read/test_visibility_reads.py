"""Each of our own read paths applies the one visibility rule (socialapp.read.common.visibility)
for its viewer and context: per-path smoke tests (the generated matrix is tests/*/test_authorisation
matrix's job). State comes from events (tests/read/relations_support.py) through the projectors."""

from __future__ import annotations

import pytest

from tests.read.relations_support import (
    apply_everything,
    block,
    mute,
    request_follow,
    set_visibility,
    visibility_site,
)

pytestmark = pytest.mark.django_db(databases=["default", "read"])
API = "/api/socialapp/v1"


@pytest.fixture
def site(db):
    return visibility_site()


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


def test_block_hides_statuses_everywhere_both_ways_profile_stays(site) -> None:
    w, i = site.world, site.ids
    block(w, i["bob"], i["cat"])
    apply_everything(w)
    bob, cat = site.client("bob"), site.client("cat")
    assert ids(bob.get(f"{API}/feed")) == [str(site.ann_post)]
    assert ids(bob.get(f"{API}/users/cat/posts")) == []
    assert ids(bob.get(f"{API}/tags/tea/posts")) == [str(site.ann_post)]
    assert bob.get(f"{API}/posts/{site.cat_post}").status_code == 404
    assert cat.get(f"{API}/users/bob").status_code == 200  # the profile stays reachable
    assert bob.get(f"{API}/users/cat").status_code == 200
    assert ids(bob.get(f"{API}/posts/{site.ann_post}/comments")) == [str(site.dan_comment)]
    # The other way round: the blocked user sees none of the blocker's either.
    assert ids(cat.get(f"{API}/users/bob/posts")) == []
    # Lists: neither appears in the other's view of follow lists.
    assert "cat" not in [u["username"] for u in bob.get(f"{API}/users/bob/following").json()["results"]]
    assert "bob" not in [u["username"] for u in cat.get(f"{API}/users/ann/followers").json()["results"]]
    assert "bob" in [u["username"] for u in site.client("dan").get(f"{API}/users/ann/followers").json()["results"]]
    # Others still see everything.
    assert ids(site.client().get(f"{API}/users/cat/posts")) == [str(site.cat_post)]


def test_unblock_brings_everything_back(site) -> None:
    w, i = site.world, site.ids
    block(w, i["bob"], i["cat"])
    block(w, i["bob"], i["cat"], on=False)
    apply_everything(w)
    assert ids(site.client("bob").get(f"{API}/feed")) == [str(site.cat_post), str(site.ann_post)]


def test_mute_hides_from_feed_and_threads_not_from_profile_or_detail(site) -> None:
    w, i = site.world, site.ids
    mute(w, i["bob"], i["cat"])
    apply_everything(w)
    bob = site.client("bob")
    assert ids(bob.get(f"{API}/feed")) == [str(site.ann_post)]
    assert ids(bob.get(f"{API}/tags/tea/posts")) == [str(site.ann_post)]
    assert ids(bob.get(f"{API}/posts/{site.ann_post}/comments")) == [str(site.dan_comment)]
    assert ids(bob.get(f"{API}/users/cat/posts")) == [str(site.cat_post)]  # opened on purpose
    assert bob.get(f"{API}/posts/{site.cat_post}").status_code == 200
    assert ids(bob.get(f"{API}/users/bob/following")) == [str(i["cat"]), str(i["ann"])]  # mutes don't hide accounts


def test_expired_mute_is_over(site) -> None:
    w, i = site.world, site.ids
    mute(w, i["bob"], i["cat"], expires_at="2020-01-01T00:00:00+00:00")
    apply_everything(w)
    assert ids(site.client("bob").get(f"{API}/feed")) == [str(site.cat_post), str(site.ann_post)]


def test_followers_only_and_direct_posts(site) -> None:
    apply_everything(site.world)
    # Until the posts projector fills these columns (helper "vis"), set them directly.
    set_visibility(site.ann_post, "followers")
    set_visibility(site.cat_post, "direct", audience=[site.ids["bob"]])
    anon, bob, dan = site.client(), site.client("bob"), site.client("dan")
    assert anon.get(f"{API}/posts/{site.ann_post}").status_code == 404
    assert dan.get(f"{API}/posts/{site.ann_post}").status_code == 404
    assert bob.get(f"{API}/posts/{site.ann_post}").status_code == 200  # an approved follower
    assert anon.get(f"{API}/posts/{site.ann_post}/comments").status_code == 404
    assert ids(bob.get(f"{API}/feed")) == [str(site.cat_post), str(site.ann_post)]
    assert ids(dan.get(f"{API}/users/cat/posts")) == []
    assert ids(site.client("cat").get(f"{API}/users/cat/posts")) == [str(site.cat_post)]  # its author
    assert ids(bob.get(f"{API}/tags/tea/posts")) == []  # never listed on a hashtag timeline


def test_notifications_hide_blocked_and_notification_muted_actors(site) -> None:
    w, i = site.world, site.ids
    apply_everything(w)
    ann = site.client("ann")
    before = ann.get(f"{API}/notifications").json()
    kinds = sorted((n["kind"], n["actor"]["username"]) for n in before["results"])
    assert ("like", "cat") in kinds and ("comment", "dan") in kinds
    mute(w, i["ann"], i["cat"])  # with notifications (the default)
    mute(w, i["ann"], i["dan"], notifications=False)
    apply_everything(w)
    after = ann.get(f"{API}/notifications").json()
    actors = {n["actor"]["username"] for n in after["results"]}
    assert "cat" not in actors and "dan" in actors
    assert after["unread_count"] == len(after["results"])
    block(w, i["dan"], i["ann"])  # blocked by the actor: hidden too
    apply_everything(w)
    assert {n["actor"]["username"] for n in ann.get(f"{API}/notifications").json()["results"]} == {"bob"} & actors


def test_notification_about_a_post_the_recipient_cannot_see(site) -> None:
    apply_everything(site.world)
    bob = site.client("bob")
    mentions = [n for n in bob.get(f"{API}/notifications").json()["results"] if n["kind"] == "mention"]
    assert [n["post_id"] for n in mentions] == [str(site.cat_post)]
    set_visibility(site.cat_post, "direct", audience=[])  # bob no longer addressed
    assert [n for n in bob.get(f"{API}/notifications").json()["results"] if n["kind"] == "mention"] == []


def test_own_relation_lists(site) -> None:
    w, i = site.world, site.ids
    block(w, i["bob"], i["cat"])
    block(w, i["bob"], i["dan"])
    mute(w, i["bob"], i["ann"], notifications=False, expires_at="2999-01-01T00:00:00+00:00")
    mute(w, i["bob"], i["dan"], expires_at="2020-01-01T00:00:00+00:00")  # expired: not listed
    request_follow(w, i["ann"], i["bob"])
    request_follow(w, i["cat"], i["bob"])
    request_follow(w, i["cat"], i["bob"], "follow.request_withdrawn")
    apply_everything(w)
    bob = site.client("bob")
    r = bob.get(f"{API}/me/blocks", {"limit": 1})
    assert ids(r) == [str(i["dan"])] and r["Link"]
    assert ids(bob.get(f"{API}/me/blocks", {"cursor": r.json()["next"]})) == [str(i["cat"])]
    mutes = bob.get(f"{API}/me/mutes").json()["results"]
    assert mutes == [
        {
            "id": str(i["ann"]),
            "username": "ann",
            "display_name": "Ann",
            "notifications": False,
            "expires_at": "2999-01-01T00:00:00Z",
        }
    ]
    requests = bob.get(f"{API}/me/follow-requests").json()["results"]
    assert [(r["username"], bool(r["requested_at"])) for r in requests] == [("ann", True)]
    assert site.client().get(f"{API}/me/blocks").status_code == 401
    assert ids(site.client("cat").get(f"{API}/me/blocks")) == []


def test_profile_carries_the_viewers_relation_flags(site) -> None:
    w, i = site.world, site.ids
    block(w, i["cat"], i["bob"])
    mute(w, i["bob"], i["ann"])
    request_follow(w, i["dan"], i["ann"])
    apply_everything(w)

    def flags(viewer: str | None, username: str) -> dict:
        body = site.client(viewer).get(f"{API}/users/{username}").json()
        return {k: body[k] for k in ("followed_by_me", "blocking", "blocked_by", "muting", "requested")}

    nothing = {"followed_by_me": False, "blocking": False, "blocked_by": False, "muting": False, "requested": False}
    assert flags("cat", "bob") == {**nothing, "blocking": True}
    # (the command would also unfollow; these events are the block alone)
    assert flags("bob", "cat") == {**nothing, "followed_by_me": True, "blocked_by": True}
    assert flags("bob", "ann") == {**nothing, "followed_by_me": True, "muting": True}
    assert flags("dan", "ann") == {**nothing, "requested": True}
    assert flags(None, "ann") == nothing
