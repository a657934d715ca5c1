"""The query API, served from read models that the projectors built from factory events."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext, override_settings

from socialapp.events.consistency import make_token
from tests.read.api_support import make_site

pytestmark = pytest.mark.django_db(databases=["default", "read"])


@pytest.fixture
def site(clean_read_models):
    s = make_site("ann", "bob", "cat", "dan")
    w, i = s.world, s.ids
    w.follow(i["bob"], i["ann"])
    w.follow(i["cat"], i["ann"])
    w.follow(i["ann"], i["bob"])
    s.posts = [w.post(i["ann"], f"ann post {n} #django") for n in range(5)]  # type: ignore[attr-defined]
    s.bob_post = w.post(i["bob"], "bob post @ann #cqrs")  # type: ignore[attr-defined]
    w.like(i["ann"], s.bob_post)  # type: ignore[attr-defined]
    w.comment(i["cat"], s.bob_post, "first")  # type: ignore[attr-defined]
    w.comment(i["ann"], s.bob_post, "second")  # type: ignore[attr-defined]
    s.apply()
    return s


def ids(response) -> list[str]:
    return [item["id"] for item in response.json()["results"]]


def walk(client, url: str, limit: int, cursor: str | None = None) -> list[str]:
    seen = []
    while True:
        r = client.get(url, {"limit": limit, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.content
        seen += ids(r)
        cursor = r.json()["next"]
        assert ("Link" in r) == bool(cursor)
        if not cursor:
            return seen


def test_feed_pages_newest_first_with_link_header(site) -> None:
    bob = site.client("bob")
    expected = [str(p) for p in site.world.expected_feed(site.ids["bob"], 1000)]
    assert walk(bob, "/api/socialapp/v1/feed", 2) == expected
    r = bob.get("/api/socialapp/v1/feed", {"limit": 2})
    assert r["Link"].startswith("<http://testserver/api/socialapp/v1/feed?") and r["Link"].endswith('rel="next"')
    assert r["X-Read-Lag"]  # always present
    first = r.json()["results"][0]
    assert first["author"]["username"] == "bob" and first["liked_by_me"] is False


def test_the_feed_statements_are_prepared_and_page_alike(site) -> None:
    """READ_DATABASE_PREPARED (on by default): the feed's statements run as prepared statements
    on `read` (socialapp.common.prepared.PreparingCursor), with the same pages as unprepared."""
    from socialapp.read.common.sql import fetchall
    from socialapp.read.feeds.selectors import HOME_FEED_SQL

    bob = site.client("bob")
    expected = [str(p) for p in site.world.expected_feed(site.ids["bob"], 1000)]
    assert walk(bob, "/api/socialapp/v1/feed", 2) == expected
    since = bob.get("/api/socialapp/v1/feed", {"since": expected[-1]})
    assert since.status_code == 200 and set(expected[:-1]) <= set(ids(since))
    prepared = fetchall("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql", using="read")
    assert sum("WITH entries AS" in s for (s,) in prepared) >= 2, prepared  # the plain feed and the resume
    params = {"r": site.ids["bob"], "b": None, "n": 50}
    with CaptureQueriesContext(connections["read"]) as read:
        assert fetchall(HOME_FEED_SQL, params, prepare=True) == fetchall(HOME_FEED_SQL, params)
    prepared_sql, plain_sql = (q["sql"] for q in read.captured_queries)
    assert prepared_sql == plain_sql and f"reader_id = {site.ids['bob']}" in prepared_sql  # logged as it ran


@pytest.mark.parametrize(
    "accept", [None, "", "*/*", "application/json", "application/json, text/plain, */*", "text/html", "text/*"]
)
def test_the_negotiation_shortcut_answers_as_drf_does(site, accept) -> None:
    """QueryView.perform_content_negotiation skips DRF's negotiation for the plain Accept headers:
    the same renderer and media type as DRF's own, and DRF's answer for the rest."""
    from rest_framework.negotiation import DefaultContentNegotiation
    from rest_framework.test import APIRequestFactory

    from socialapp.read.feeds.views import HomeFeedView

    for query in ("", "?format=json", "?format=xml"):
        extra = {} if accept is None else {"HTTP_ACCEPT": accept}
        view = HomeFeedView()
        view.format_kwarg = None
        request = view.initialize_request(APIRequestFactory().get(f"/api/socialapp/v1/feed{query}", **extra))
        try:
            expected = DefaultContentNegotiation().select_renderer(request, view.get_renderers(), None)
        except Exception as exc:  # e.g. 404 for an unknown ?format=, 406 for an unacceptable Accept
            with pytest.raises(type(exc)):
                view.perform_content_negotiation(request)
            continue
        renderer, media_type = view.perform_content_negotiation(request)
        assert (type(renderer), media_type) == (type(expected[0]), expected[1]), (accept, query)


@pytest.mark.parametrize("query", [{"limit": 0}, {"limit": 101}, {"limit": "x"}, {"cursor": "garbage"}])
def test_bad_limit_or_cursor_is_400_problem(site, query) -> None:
    r = site.client("bob").get("/api/socialapp/v1/feed", query)
    assert r.status_code == 400
    assert r["Content-Type"] == "application/problem+json"
    assert set(r.json()["errors"]) <= {"limit", "cursor"}


def test_cursor_of_another_list_is_400(site) -> None:
    ann = site.client("ann")
    cursor = ann.get("/api/socialapp/v1/feed", {"limit": 1}).json()["next"]
    assert site.client("bob").get("/api/socialapp/v1/feed", {"cursor": cursor}).status_code == 400
    assert ann.get("/api/socialapp/v1/tags/django/posts", {"cursor": cursor}).status_code == 400


def test_pagination_stable_while_new_posts_arrive(site) -> None:
    bob, w, i = site.client("bob"), site.world, site.ids
    before = [str(p) for p in site.world.expected_feed(i["bob"], 1000)]
    page1 = bob.get("/api/socialapp/v1/feed", {"limit": 3}).json()
    for n in range(4):  # new posts land above the boundary while bob pages
        w.post(i["ann"], f"late {n}")
    site.apply()
    rest = walk(bob, "/api/socialapp/v1/feed", 2, cursor=page1["next"])
    assert [p["id"] for p in page1["results"]] + rest == before


def test_profile_counts_follow_flags_and_privacy(site) -> None:
    r = site.client("bob").get("/api/socialapp/v1/users/ANN")
    assert r.status_code == 200
    body = r.json()
    assert (body["follower_count"], body["following_count"], body["post_count"]) == (2, 1, 5)
    assert body["followed_by_me"] is True and body["follows_me"] is True
    assert "email" not in body
    me = site.client("ann").get("/api/socialapp/v1/me")
    assert me.status_code == 200 and me.json()["email"] == "ann@example.org"
    followers = walk(site.client(), "/api/socialapp/v1/users/ann/followers", 1)
    assert followers == [str(site.ids["cat"]), str(site.ids["bob"])]  # most recent first
    assert ids(site.client().get("/api/socialapp/v1/users/ann/following")) == [str(site.ids["bob"])]
    assert site.client().get("/api/socialapp/v1/users/nobody").status_code == 404


def test_posts_comments_tags(site) -> None:
    bp = site.bob_post
    r = site.client("ann").get(f"/api/socialapp/v1/posts/{bp}")
    assert r.status_code == 200 and r.json()["liked_by_me"] is True and r.json()["comment_count"] == 2
    assert site.client("cat").get(f"/api/socialapp/v1/posts/{bp}").json()["liked_by_me"] is False
    comments = site.client().get(f"/api/socialapp/v1/posts/{bp}/comments").json()["results"]
    assert [c["body"] for c in comments] == ["first", "second"]  # oldest first
    assert ids(site.client().get("/api/socialapp/v1/tags/CQRS/posts")) == [str(bp)]
    assert walk(site.client(), "/api/socialapp/v1/users/ann/posts", 2) == [str(p) for p in reversed(site.posts)]
    assert site.client().get("/api/socialapp/v1/posts/99999999999999999999").status_code == 404
    site.world.delete(bp)
    site.apply()
    assert site.client().get(f"/api/socialapp/v1/posts/{bp}").status_code == 404
    assert site.client().get(f"/api/socialapp/v1/posts/{bp}/comments").status_code == 404
    assert ids(site.client().get("/api/socialapp/v1/tags/cqrs/posts")) == []


def test_notifications_are_private_and_mark_read(site) -> None:
    ann = site.client("ann")
    body = ann.get("/api/socialapp/v1/notifications").json()
    kinds = sorted(n["kind"] for n in body["results"])
    assert kinds == ["follow", "follow", "mention"]  # bob and cat followed, bob mentioned her
    assert body["unread_count"] == 3 and all(n["unread"] for n in body["results"])
    bob_body = site.client("bob").get("/api/socialapp/v1/notifications").json()
    assert {n["kind"] for n in bob_body["results"]} == {"follow", "like", "comment"}
    assert site.client().get("/api/socialapp/v1/notifications").status_code == 401
    oldest = body["results"][-1]["id"]
    assert ann.post("/api/socialapp/v1/notifications/read", {"up_to": oldest}, format="json").json() == {
        "unread_count": 2
    }
    assert ann.post("/api/socialapp/v1/notifications/read", {}, format="json").json() == {"unread_count": 0}
    assert site.client("bob").get("/api/socialapp/v1/notifications").json()["unread_count"] == 4  # not bob's marker
    assert ann.post("/api/socialapp/v1/notifications/read", {"up_to": "x"}, format="json").status_code == 400


def test_deactivated_user_disappears(site) -> None:
    site.world.deactivate(site.ids["bob"])
    site.apply()
    c = site.client("ann")
    assert c.get("/api/socialapp/v1/users/bob").status_code == 404
    assert c.get(f"/api/socialapp/v1/posts/{site.bob_post}").status_code == 404
    assert str(site.bob_post) not in ids(c.get("/api/socialapp/v1/feed"))
    assert c.get("/api/socialapp/v1/users/ann").json()["follower_count"] == 1
    assert [n["kind"] for n in c.get("/api/socialapp/v1/notifications").json()["results"]] == ["follow"]


QUERY_URLS = [
    "/api/socialapp/v1/feed",
    "/api/socialapp/v1/me",
    "/api/socialapp/v1/users/ann",
    "/api/socialapp/v1/users/ann/posts",
    "/api/socialapp/v1/users/ann/followers",
    "/api/socialapp/v1/users/ann/following",
    "/api/socialapp/v1/tags/django/posts",
    "/api/socialapp/v1/notifications",
]


def test_no_sql_reaches_default_authentication_included(site) -> None:
    """Query endpoints read only `read`: the token is checked against the session records in the
    shared cache, not `accounts_auth_token` (docs/read-models.md, authentication)."""
    client = site.client("bob")
    urls = [
        *QUERY_URLS,
        f"/api/socialapp/v1/posts/{site.bob_post}",
        f"/api/socialapp/v1/posts/{site.bob_post}/comments",
    ]
    public = [
        u
        for u in urls
        if u not in ("/api/socialapp/v1/feed", "/api/socialapp/v1/me", "/api/socialapp/v1/notifications")
    ]
    for viewer, paths in ((client, urls), (site.client(), public)):
        for url in paths:
            with (
                CaptureQueriesContext(connections["default"]) as default,
                CaptureQueriesContext(connections["read"]) as read,
            ):
                r = viewer.get(url)
            assert r.status_code == 200, (url, r.content)
            assert len(read.captured_queries) >= 1
            assert default.captured_queries == [], (url, default.captured_queries)
            assert "X-Read-Lag" in r


@override_settings(CONSISTENCY_WAIT_SECONDS=0.3)
def test_consistency_token_waits_for_the_events_then_says_so(site) -> None:
    w, i = site.world, site.ids
    pid = w.post(i["ann"], "fresh")
    event = w.events[-1]
    token = make_token([SimpleNamespace(position=event.position, event_type=event.event_type)])
    ann = site.client("ann")
    r = ann.get(f"/api/socialapp/v1/posts/{pid}", HTTP_X_CONSISTENCY_TOKEN=token)
    assert r.status_code == 404 and r["X-Consistency-Satisfied"] == "false"  # bounded: answered with what it has
    site.apply()
    r = ann.get(f"/api/socialapp/v1/posts/{pid}", HTTP_X_CONSISTENCY_TOKEN=token)
    assert r.status_code == 200 and r["X-Consistency-Satisfied"] == "true"
    feed = ann.get("/api/socialapp/v1/feed", HTTP_X_CONSISTENCY_TOKEN=token)
    assert feed["X-Consistency-Satisfied"] == "true" and ids(feed)[0] == str(pid)
    # A token about events no projector of this endpoint handles never waits.
    assert (
        ann.get("/api/socialapp/v1/notifications", HTTP_X_CONSISTENCY_TOKEN=token)["X-Consistency-Satisfied"] == "true"
    )
    assert "X-Consistency-Satisfied" not in ann.get("/api/socialapp/v1/feed")
    assert ann.get("/api/socialapp/v1/feed", HTTP_X_CONSISTENCY_TOKEN="forged").status_code == 400
