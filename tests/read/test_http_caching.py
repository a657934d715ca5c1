"""ETag / If-None-Match on single posts and profiles (socialapp/read/common/conditional.py): an
unchanged representation is a 304 without a body, and every change applied by the projectors
(an edit, a like, a comment, a follow, a profile update, the viewer's overlay) changes the tag."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from socialapp.events.consistency import make_token
from tests.read.api_support import make_site

pytestmark = pytest.mark.django_db(databases=["default", "read"])


@pytest.fixture
def site(clean_read_models):
    s = make_site("ann", "bob", "cat")
    s.post = s.world.post(s.ids["ann"], "hello #cqrs")  # type: ignore[attr-defined]
    s.apply()
    return s


def post_url(site) -> str:
    return f"/api/socialapp/v1/posts/{site.post}"


URLS = {
    "post": post_url,
    "profile": lambda site: "/api/socialapp/v1/users/ann",
    "me": lambda site: "/api/socialapp/v1/me",
}


def revalidate(client, url: str, tag: str, **headers: str):
    return client.get(url, HTTP_IF_NONE_MATCH=tag, **headers)


@pytest.mark.parametrize("kind", sorted(URLS))
def test_unchanged_representation_is_304_without_body_keeping_the_read_headers(site, kind) -> None:
    client, url = site.client("ann"), URLS[kind](site)
    first = client.get(url)
    assert first.status_code == 200
    tag = first["ETag"]
    assert tag.startswith('W/"v') and tag.endswith('"')
    assert first["Cache-Control"] == "private, no-cache"
    assert "Authorization" in first["Vary"]
    again = revalidate(client, url, tag)
    assert again.status_code == 304
    assert again.content == b""
    assert "Content-Type" not in again
    assert again["ETag"] == tag
    assert again["Cache-Control"] == "private, no-cache"
    assert "Authorization" in again["Vary"]
    assert again["X-Read-Lag"]
    # With a consistency token the 304 says whether the wait was satisfied, as a 200 would.
    applied = site.world.events[-1]  # already applied: the wait ends at once
    token = make_token([SimpleNamespace(position=applied.position, event_type=applied.event_type)])
    with_token = revalidate(client, url, tag, HTTP_X_CONSISTENCY_TOKEN=token)
    assert with_token.status_code == 304 and with_token["X-Consistency-Satisfied"] == "true"
    # HEAD revalidates like GET.
    assert client.head(url, HTTP_IF_NONE_MATCH=tag).status_code == 304


@pytest.mark.parametrize("kind", sorted(URLS))
def test_if_none_match_star_and_lists_per_rfc_9110(site, kind) -> None:
    client, url = site.client("ann"), URLS[kind](site)
    tag = client.get(url)["ETag"]
    strong = tag.removeprefix("W/")
    assert revalidate(client, url, "*").status_code == 304
    assert revalidate(client, url, f'W/"other", {tag}').status_code == 304
    assert revalidate(client, url, f'"x",{strong} , W/"y"').status_code == 304  # weak comparison
    assert revalidate(client, url, 'W/"other", "v1.0"').status_code == 200
    assert revalidate(client, url, "garbage, not-a-tag").status_code == 200  # malformed: ignored
    assert revalidate(client, url, "").status_code == 200


def test_star_on_a_missing_or_hidden_resource_is_404_not_304(site) -> None:
    client = site.client("bob")
    assert revalidate(client, "/api/socialapp/v1/posts/999999", "*").status_code == 404
    assert revalidate(client, "/api/socialapp/v1/users/nobody", "*").status_code == 404
    site.world.delete(site.post)
    site.apply()
    assert revalidate(client, post_url(site), "*").status_code == 404


def test_post_tag_changes_with_edit_like_comment_author_name_and_viewer(site) -> None:
    w, i, url = site.world, site.ids, post_url(site)
    bob, cat = site.client("bob"), site.client("cat")
    tags = [bob.get(url)["ETag"]]

    def changed(step: str) -> None:
        site.apply()
        response = revalidate(bob, url, tags[-1])
        assert response.status_code == 200, f"{step}: still 304"
        assert response["ETag"] != tags[-1], step
        assert revalidate(bob, url, response["ETag"]).status_code == 304, step
        tags.append(response["ETag"])

    w.edit(site.post, "hello again #cqrs")
    changed("edit")
    w.like(i["cat"], site.post)
    changed("someone else's like (like_count)")
    w.like(i["bob"], site.post)
    changed("the viewer's own like (liked_by_me)")
    w.comment(i["cat"], site.post, "nice")
    changed("a comment (comment_count)")
    w.update_profile(i["ann"], "Ann B.", "bio")
    changed("the author's display name")
    assert len(set(tags)) == len(tags)
    # The tag follows the viewer's overlay: cat liked it, bob no longer does, anonymous cannot.
    w.like(i["bob"], site.post, on=False)
    site.apply()
    assert cat.get(url)["ETag"] != bob.get(url)["ETag"]
    assert site.client().get(url)["ETag"] == bob.get(url)["ETag"]  # the same body, the same tag


def test_profile_and_me_tags_change_with_profile_updates_and_counts(site) -> None:
    w, i = site.world, site.ids
    ann, bob = site.client("ann"), site.client("bob")
    profile, me = bob.get("/api/socialapp/v1/users/ann")["ETag"], ann.get("/api/socialapp/v1/me")["ETag"]

    w.follow(i["cat"], i["ann"])  # follower_count, not the profile's version
    site.apply()
    assert revalidate(bob, "/api/socialapp/v1/users/ann", profile).status_code == 200
    assert revalidate(ann, "/api/socialapp/v1/me", me).status_code == 200
    profile, me = bob.get("/api/socialapp/v1/users/ann")["ETag"], ann.get("/api/socialapp/v1/me")["ETag"]

    w.update_profile(i["ann"], "Ann", "new bio")  # the version
    site.apply()
    r = revalidate(bob, "/api/socialapp/v1/users/ann", profile)
    assert r.status_code == 200 and r.json()["bio"] == "new bio" and r["ETag"] != profile
    assert revalidate(ann, "/api/socialapp/v1/me", me).status_code == 200
    profile = r["ETag"]

    w.follow(i["bob"], i["ann"])  # bob's overlay: followed_by_me
    site.apply()
    r = revalidate(bob, "/api/socialapp/v1/users/ann", profile)
    assert r.status_code == 200 and r.json()["followed_by_me"] is True

    w.post(i["ann"], "another")  # post_count
    site.apply()
    assert revalidate(bob, "/api/socialapp/v1/users/ann", r["ETag"]).status_code == 200


def test_suspension_hides_then_lifting_restores_the_same_tag(site) -> None:
    w, i, url = site.world, site.ids, post_url(site)
    bob = site.client("bob")
    tag = bob.get(url)["ETag"]
    w.suspend(i["ann"])
    site.apply()
    assert revalidate(bob, url, tag).status_code == 404
    assert revalidate(bob, "/api/socialapp/v1/users/ann", "*").status_code == 404
    w.unsuspend(i["ann"])
    site.apply()
    assert revalidate(bob, url, tag).status_code == 304  # exactly as before: the body is the same


def test_lists_are_not_conditional(site) -> None:
    r = site.client("bob").get("/api/socialapp/v1/users/ann/posts", HTTP_IF_NONE_MATCH="*")
    assert r.status_code == 200 and "ETag" not in r
