"""Authorisation matrix of the query side: each endpoint called by the owner of the object,
another user and no user. Public content answers everyone; personal endpoints answer only
their owner (never someone else's data, whatever the query string says); private data (e-mail,
notifications, unread state) never appears in another user's response."""

from __future__ import annotations

import pytest

from tests.read.test_api import site  # noqa: F401 - the shared fixture

pytestmark = pytest.mark.django_db(databases=["default", "read"])

PUBLIC = [
    "/api/socialapp/v1/users/ann",
    "/api/socialapp/v1/users/ann/posts",
    "/api/socialapp/v1/users/ann/followers",
    "/api/socialapp/v1/users/ann/following",
    "/api/socialapp/v1/tags/django/posts",
]


def paths(site) -> list[str]:  # noqa: F811
    return [*PUBLIC, f"/api/socialapp/v1/posts/{site.bob_post}", f"/api/socialapp/v1/posts/{site.bob_post}/comments"]


@pytest.mark.parametrize("caller", ["ann", "bob", None])
def test_public_content_answers_everyone_without_private_data(site, caller) -> None:  # noqa: F811
    for path in paths(site):
        r = site.client(caller).get(path)
        assert r.status_code == 200, (caller, path)
        text = r.content.decode()
        assert "@example.org" not in text and '"email"' not in text, (caller, path)
        assert '"unread' not in text


@pytest.mark.parametrize("path", ["/api/socialapp/v1/feed", "/api/socialapp/v1/me", "/api/socialapp/v1/notifications"])
def test_personal_endpoints_need_a_user_and_serve_only_theirs(site, path) -> None:  # noqa: F811
    assert site.client().get(path).status_code == 401
    ann = site.client("ann").get(path, {"user": "bob", "username": "bob", "recipient_id": site.ids["bob"]}).json()
    bob = site.client("bob").get(path).json()
    assert ann != bob
    if path == "/api/socialapp/v1/me":
        assert (ann["email"], bob["email"]) == ("ann@example.org", "bob@example.org")
    if path == "/api/socialapp/v1/notifications":
        assert {n["id"] for n in ann["results"]}.isdisjoint({n["id"] for n in bob["results"]})


def test_mark_read_needs_a_user_and_touches_only_own_state(site) -> None:  # noqa: F811
    assert site.client().post("/api/socialapp/v1/notifications/read", {}, format="json").status_code == 401
    before = site.client("bob").get("/api/socialapp/v1/notifications").json()["unread_count"]
    site.client("ann").post("/api/socialapp/v1/notifications/read", {"up_to": "999999999"}, format="json")
    assert site.client("bob").get("/api/socialapp/v1/notifications").json()["unread_count"] == before > 0


@pytest.mark.parametrize("caller", ["bob", "ann", None])
def test_deleted_post_is_gone_for_everyone_including_its_author(site, caller) -> None:  # noqa: F811
    site.world.delete(site.bob_post)
    site.apply()
    for path in (f"/api/socialapp/v1/posts/{site.bob_post}", f"/api/socialapp/v1/posts/{site.bob_post}/comments"):
        r = site.client(caller).get(path)
        assert r.status_code == 404 and r["Content-Type"] == "application/problem+json"
