"""GET /api/v1/favourites: the caller's favourited statuses, newest favourite first, paged by
the like's log position (read_like.position) with Mastodon's Link header; hidden posts skipped;
every cursor one range scan of read_like_user_pos_idx."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connections
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from socialapp.read.common.sql import fetchall
from socialapp.write.accounts.services import token_issue
from tests.mastodon.query_support import (  # noqa: F401 - fixture
    build_site,
    clean_read_models,
    explain,
    ids,
    no_default_queries,
)
from tests.read.conftest import apply_all, reset

pytestmark = pytest.mark.django_db(databases=["default", "read"])
URL = "/api/v1/favourites"


@pytest.fixture
def site(clean_read_models):  # noqa: F811
    """dan likes ann's posts 0..4 in the order 3, 0, 4, 1, bob's post, then 2; unlikes 1;
    likes 3 again (it moves to the top); likes a post that is deleted and one of eve's."""
    s = build_site()
    w, i = s.world, s.ids
    dan, posts = i["dan"], s.posts
    for post in (posts[3], posts[0], posts[4], posts[1], s.bob_post, posts[2]):
        w.like(dan, post)
    w.like(dan, posts[1], on=False)
    w.like(dan, posts[3], on=False)
    w.like(dan, posts[3])
    s.doomed = w.post(i["ann"], "liked, then deleted")  # type: ignore[attr-defined]
    w.like(dan, s.doomed)  # type: ignore[attr-defined]
    w.delete(s.doomed)  # type: ignore[attr-defined]
    s.apply()
    s.expected = [str(p) for p in (posts[3], posts[2], s.bob_post, posts[4], posts[0])]  # type: ignore[attr-defined]
    return s


def test_newest_favourite_first_skipping_unliked_and_hidden(site) -> None:
    r = no_default_queries(site.client("dan"), URL)
    assert ids(r) == site.expected
    assert all(s["favourited"] is True for s in r.json())
    assert ids(site.client("cat").get(URL)) == [str(site.bob_post)]
    assert ids(site.client("bob").get(URL)) == []


def test_paging_follows_the_link_header(site) -> None:
    client, seen, url, params = site.client("dan"), [], URL, {"limit": 2}
    for _ in range(5):
        r = client.get(url, params)
        page = ids(r)
        seen += page
        link = r.get("Link")
        if not page:
            assert link is None
            break
        assert re.match(r'^<http://testserver/api/v1/favourites\?limit=2&max_id=\d+>; rel="next", <', link), link
        url, params = re.match(r"^<([^>]+)>", link).group(1).replace("http://testserver", ""), {}
    assert seen == site.expected
    # prev from the second page: the page just above it.
    second = client.get(URL, {"limit": 2, "max_id": _position(site, site.expected[1])})
    assert ids(second) == site.expected[2:4]
    prev = re.search(r'<http://testserver([^>]+)>; rel="prev"', second["Link"]).group(1)
    assert ids(client.get(prev)) == site.expected[:2]
    since = client.get(URL, {"since_id": _position(site, site.expected[3])})
    assert ids(since) == site.expected[:3]


def _position(site, post_id: str) -> int:
    [(position,)] = fetchall(
        "SELECT position FROM read_like WHERE user_id = %s AND post_id = %s", [site.ids["dan"], int(post_id)]
    )
    return position


def test_the_position_is_the_latest_events_whatever_the_order(site) -> None:
    """A re-like takes its event's position; rebuilding in reverse order gives the same rows."""
    events = {
        (e.payload["post_id"], e.payload["user_id"]): e.position
        for e in site.world.events
        if "like" in e.aggregate_type
    }
    before = fetchall("SELECT post_id, user_id, active, version, position FROM read_like ORDER BY 1, 2")
    assert {(p, u): pos for p, u, _, _, pos in before} == events
    reset()
    apply_all(list(reversed(site.world.events)))
    assert fetchall("SELECT post_id, user_id, active, version, position FROM read_like ORDER BY 1, 2") == before


def test_needs_a_token_with_read_favourites(site) -> None:
    assert APIClient().get(URL).status_code == 401
    dan = get_user_model().objects.get(pk=site.ids["dan"])
    for scope, status in (("read:statuses", 403), ("read:favourites", 200), ("read", 200)):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_issue(user=dan, scope=scope)}")
        assert client.get(URL).status_code == status, scope


def test_bad_cursors_are_422(site) -> None:
    for params in ({"max_id": "x"}, {"limit": "many"}, {"min_id": "-3"}):
        r = site.client("dan").get(URL, params)
        assert r.status_code == 422 and "error" in r.json(), params


@pytest.mark.parametrize("cursor", ["max_id", "since_id", "min_id", None])
def test_every_cursor_is_an_index_range_scan(site, cursor) -> None:
    middle = str(_position(site, site.expected[2]))
    params = {"limit": 2, **({cursor: middle} if cursor else {})}
    with CaptureQueriesContext(connections["read"]) as read:
        r = site.client("dan").get(URL, params)
    assert r.status_code == 200, r.content
    [sql] = [q["sql"] for q in read.captured_queries if "FROM read_like l JOIN read_post p" in q["sql"]]
    plan = explain(sql)
    assert "Seq Scan" not in plan and "read_like_user_pos_idx" in plan, plan
    if cursor:
        assert any("Index Cond" in line and middle in line for line in plan.splitlines()), plan
