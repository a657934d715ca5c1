"""Each Mastodon query path applies the one visibility rule for its viewer and context
(per-path smoke tests; the generated matrix is elsewhere). State from events through the
projectors, relations included (tests/read/relations_support.py)."""

from __future__ import annotations

import pytest

from tests.read.relations_support import apply_everything, block, mute, set_visibility, visibility_site

pytestmark = pytest.mark.django_db(databases=["default", "read"])


@pytest.fixture
def site(db):
    s = visibility_site()
    w, i = s.world, s.ids
    w.like(i["dan"], s.ann_post)
    w.like(i["bob"], s.cat_post)
    return s


def status_ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [s["id"] for s in response.json()]


def test_block_hides_statuses_and_accounts_in_mastodon_queries(site) -> None:
    w, i = site.world, site.ids
    block(w, i["cat"], i["bob"])  # cat blocks bob: bob sees nothing of cat's
    apply_everything(w)
    bob = site.client("bob")
    ann_post, cat_post = str(site.ann_post), str(site.cat_post)
    assert status_ids(bob.get("/api/v1/timelines/home")) == [ann_post]
    assert status_ids(bob.get("/api/v1/timelines/public")) == [ann_post]
    assert status_ids(bob.get("/api/v1/timelines/tag/tea")) == [ann_post]
    assert status_ids(bob.get(f"/api/v1/accounts/{i['cat']}/statuses")) == []
    assert bob.get(f"/api/v1/statuses/{cat_post}").status_code == 404
    assert bob.get(f"/api/v1/accounts/{i['cat']}").status_code == 200  # the account stays reachable
    context = bob.get(f"/api/v1/statuses/{ann_post}/context").json()
    assert [s["id"] for s in context["descendants"]] == [str(site.dan_comment)]
    likers = [a["id"] for a in bob.get(f"/api/v1/statuses/{ann_post}/favourited_by").json()]
    assert str(i["cat"]) not in likers and str(i["dan"]) in likers
    assert status_ids(bob.get("/api/v1/favourites")) == []  # bob's like of cat's post: hidden now
    following = [a["id"] for a in bob.get(f"/api/v1/accounts/{i['bob']}/following").json()]
    assert following == [str(i["ann"])]
    # Anybody else still sees it all.
    assert status_ids(site.client("dan").get("/api/v1/timelines/public")) == [cat_post, ann_post]


def test_mute_hides_from_timelines_and_threads_not_from_profile_detail_or_favourites(site) -> None:
    w, i = site.world, site.ids
    mute(w, i["bob"], i["cat"])
    apply_everything(w)
    bob = site.client("bob")
    cat_post = str(site.cat_post)
    assert cat_post not in status_ids(bob.get("/api/v1/timelines/home"))
    assert cat_post not in status_ids(bob.get("/api/v1/timelines/public"))
    assert status_ids(bob.get(f"/api/v1/accounts/{i['cat']}/statuses", {"exclude_replies": "true"})) == [cat_post]
    assert bob.get(f"/api/v1/statuses/{cat_post}").status_code == 200
    assert status_ids(bob.get("/api/v1/favourites")) == [cat_post]
    context = bob.get(f"/api/v1/statuses/{site.ann_post}/context").json()
    assert [s["id"] for s in context["descendants"]] == [str(site.dan_comment)]


def test_visibility_in_mastodon_queries(site) -> None:
    apply_everything(site.world)
    # Until the posts projector fills these columns (helper "vis"), set them directly.
    set_visibility(site.ann_post, "followers")
    set_visibility(site.cat_post, "unlisted")
    anon, bob, dan = site.client(), site.client("bob"), site.client("dan")
    ann_post, cat_post = str(site.ann_post), str(site.cat_post)
    assert status_ids(anon.get("/api/v1/timelines/public")) == []  # neither is public
    assert status_ids(bob.get("/api/v1/timelines/tag/tea")) == []
    assert anon.get(f"/api/v1/statuses/{cat_post}").status_code == 200  # unlisted: reachable
    assert anon.get(f"/api/v1/statuses/{ann_post}").status_code == 404
    assert dan.get(f"/api/v1/statuses/{ann_post}/context").status_code == 404
    assert bob.get(f"/api/v1/statuses/{ann_post}").status_code == 200  # a follower
    assert status_ids(bob.get("/api/v1/timelines/home")) == [cat_post, ann_post]
    assert status_ids(dan.get(f"/api/v1/accounts/{site.ids['ann']}/statuses")) == []
    assert anon.get(f"/api/v1/statuses/{site.dan_comment}").status_code == 404  # its post is hidden


def test_notifications_hide_blocked_and_muted_actors(site) -> None:
    w, i = site.world, site.ids
    apply_everything(w)
    ann = site.client("ann")

    def actors() -> set[str]:
        response = ann.get("/api/v1/notifications")
        assert response.status_code == 200, response.content
        return {n["account"]["username"] for n in response.json()}

    assert {"cat", "dan"} <= actors()
    mute(w, i["ann"], i["cat"])
    block(w, i["dan"], i["ann"])
    apply_everything(w)
    assert not {"cat", "dan"} & actors()
    counted = ann.get("/api/v1/notifications/unread_count").json()["count"]
    assert counted == len(ann.get("/api/v1/notifications").json())
