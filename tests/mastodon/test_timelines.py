"""Home, public and hashtag timelines: Mastodon's paging (limit, max_id, since_id, min_id and the
exact Link header), visibility, the hybrid home feed and its regeneration, index range scans."""

from __future__ import annotations

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext, override_settings
from rest_framework.test import APIClient

from socialapp.read.common.sql import fetchall
from socialapp.read.feeds import maintenance
from tests.mastodon.query_support import (  # noqa: F401 - fixtures
    build_site,
    clean_read_models,
    explain,
    ids,
    no_default_queries,
)

pytestmark = pytest.mark.django_db(databases=["default", "read"])


def walk(client, url: str, limit: int) -> list[str]:
    """Follow `rel="next"` from the first page to the end, as Mastodon.py's fetch_next does."""
    seen, r = [], client.get(url, {"limit": limit})
    while True:
        page = ids(r)
        seen += page
        if not page:
            assert "Link" not in r  # Mastodon sends no Link on an empty page
            return seen
        next_url = r["Link"].split(">;")[0].lstrip("<")
        r = client.get(next_url)


def test_home_is_the_feed_newest_first_without_comments(site) -> None:
    bob = site.client("bob")
    r = no_default_queries(bob, "/api/v1/timelines/home")
    expected = [str(p) for p in site.world.expected_feed(site.ids["bob"], 1000)]
    assert ids(r) == expected and len(expected) == 6  # ann's five and bob's own; no comment
    assert walk(bob, "/api/v1/timelines/home", 2) == expected
    assert APIClient().get("/api/v1/timelines/home").status_code == 401


def test_home_merges_unfanned_posts_of_large_accounts(clean_read_models) -> None:  # noqa: F811
    with override_settings(FEED_CELEBRITY_THRESHOLD=1):  # ann has two followers: not fanned out
        site = build_site()
        late = site.world.post(site.ids["ann"], "after the threshold")
        site.apply()
    assert fetchall("SELECT NOT fanned_out FROM feed_post WHERE post_id = %s", [late]) == [(True,)]
    bob = site.client("bob")
    expected = [str(p) for p in site.world.expected_feed(site.ids["bob"], 1000)]
    assert walk(bob, "/api/v1/timelines/home", 3) == expected and expected[0] == str(late)
    assert ids(bob.get("/api/v1/timelines/home", {"min_id": expected[2], "limit": 1})) == [expected[1]]


def test_an_evicted_home_feed_is_regenerated_on_its_first_page(site) -> None:
    expected = [str(p) for p in site.world.expected_feed(site.ids["bob"], 1000)]
    maintenance.evict([site.ids["bob"]])
    assert ids(site.client("bob").get("/api/v1/timelines/home", {"max_id": expected[0]})) == []  # not a first page
    assert ids(site.client("bob").get("/api/v1/timelines/home")) == expected


def test_public_timeline_shows_every_visible_post_only(site) -> None:
    r = no_default_queries(APIClient(), "/api/v1/timelines/public")
    assert ids(r) == [str(site.bob_post), *[str(p) for p in reversed(site.posts)]]
    assert ids(APIClient().get("/api/v1/timelines/public", {"local": "true"})) == ids(r)
    assert APIClient().get("/api/v1/timelines/public", {"remote": "true"}).json() == []
    assert APIClient().get("/api/v1/timelines/public", {"only_media": "1"}).json() == []
    bad = APIClient().get("/api/v1/timelines/public", {"local": "maybe"})
    assert bad.status_code == 422 and "error" in bad.json()


def test_tag_timeline(site) -> None:
    r = no_default_queries(APIClient(), "/api/v1/timelines/tag/DJANGO")
    assert ids(r) == [str(p) for p in reversed(site.posts)]  # not the deleted, eve's or sam's
    assert ids(APIClient().get("/api/v1/timelines/tag/cqrs")) == [str(site.bob_post)]
    assert APIClient().get("/api/v1/timelines/tag/nothing").json() == []
    assert APIClient().get("/api/v1/timelines/tag/a%20b").status_code == 404  # not a hashtag: no route


def test_paging_cursors_and_the_exact_link_header(site) -> None:
    p = [str(x) for x in site.posts]  # oldest first
    client, url = APIClient(), "/api/v1/timelines/tag/django"
    base = "http://testserver" + url
    first = client.get(url, {"limit": 2})
    assert ids(first) == [p[4], p[3]]
    assert first["Link"] == (f'<{base}?limit=2&max_id={p[3]}>; rel="next", <{base}?limit=2&min_id={p[4]}>; rel="prev"')
    assert ids(client.get(url, {"limit": 2, "max_id": p[3]})) == [p[2], p[1]]
    # since_id: the newest items above it (a gap is possible); min_id: the page just above it
    assert ids(client.get(url, {"limit": 2, "since_id": p[0]})) == [p[4], p[3]]
    by_min = client.get(url, {"limit": 2, "min_id": p[0]})
    assert ids(by_min) == [p[2], p[1]]
    assert by_min["Link"] == (f'<{base}?limit=2&max_id={p[1]}>; rel="next", <{base}?limit=2&min_id={p[2]}>; rel="prev"')
    assert ids(client.get(url, {"min_id": p[1], "since_id": p[3]})) == [p[4], p[3], p[2]]  # min_id wins
    assert ids(client.get(url, {"max_id": p[4], "since_id": p[1]})) == [p[3], p[2]]
    empty = client.get(url, {"min_id": p[4]})
    assert empty.json() == [] and "Link" not in empty
    other_params = client.get("/api/v1/timelines/public", {"limit": 1, "local": "true"})
    assert other_params["Link"].startswith("<http://testserver/api/v1/timelines/public?local=true&limit=1&max_id=")


@pytest.mark.parametrize(
    ("query", "expected"), [({"limit": 100}, 6), ({"limit": 0}, 1), ({"limit": "x"}, None), ({"max_id": "-1"}, None)]
)
def test_limit_is_clamped_and_bad_cursors_are_422(site, query, expected) -> None:
    r = APIClient().get("/api/v1/timelines/public", query)
    if expected is None:
        assert r.status_code == 422 and "error" in r.json()
    else:
        assert len(ids(r)) == expected


def test_limit_defaults_to_20_and_caps_at_40(site) -> None:
    w, ann = site.world, site.ids["ann"]
    for n in range(45):
        w.post(ann, f"more {n}")
    site.apply()
    assert len(ids(APIClient().get("/api/v1/timelines/public"))) == 20
    assert len(ids(APIClient().get("/api/v1/timelines/public", {"limit": 80}))) == 40


@pytest.mark.parametrize(
    ("url", "marker", "indexes"),
    [
        ("/api/v1/timelines/home", "FROM feed_entry e", ["feed_entry_pkey", "feed_post_unfanned_idx"]),
        ("/api/v1/timelines/public", "SELECT p.post_id FROM read_post p", ["read_post_pkey"]),
        ("/api/v1/timelines/tag/django", "FROM read_post_tag t", ["read_post_tag_pkey"]),
        ("/api/v1/accounts/{ann}/statuses", "UNION ALL", ["read_post_author_idx", "read_comment_author_idx"]),
        ("/api/v1/accounts/{ann}/followers", "FROM read_follow_edge e", ["read_follow_followers_pos_idx"]),
        ("/api/v1/accounts/{ann}/following", "FROM read_follow_edge e", ["read_follow_following_pos_idx"]),
        ("/api/v1/statuses/{post}/favourited_by", "SELECT l.user_id FROM read_like l", ["read_like_pkey"]),
    ],
)
@pytest.mark.parametrize("cursor", ["max_id", "since_id", "min_id", None])
def test_every_cursor_is_an_index_range_scan(site, url, marker, indexes, cursor) -> None:
    middle = str(site.posts[2])
    params = {"limit": 2, **({cursor: middle} if cursor else {})}
    with CaptureQueriesContext(connections["read"]) as read:
        r = site.client("bob").get(url.format(ann=site.ids["ann"], post=site.bob_post), params)
    assert r.status_code == 200, r.content
    [sql] = [q["sql"] for q in read.captured_queries if marker in q["sql"]]
    plan = explain(sql)
    assert "Seq Scan" not in plan, plan
    for index in indexes:
        assert index in plan, plan
    if cursor:  # the bound is part of an index condition: a range scan, not a filter
        assert any("Index Cond" in line and middle in line for line in plan.splitlines()), plan
