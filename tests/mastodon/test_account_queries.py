"""Accounts: verify_credentials, an account, lookup, its statuses, followers and following paged
by the follow's log position, relationships; visibility and Mastodon's 404."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from socialapp.read.common.sql import fetchall
from tests.mastodon.query_support import (  # noqa: F401 - fixtures
    ACCOUNT_KEYS,
    ISO_MS,
    NOT_FOUND,
    build_site,
    clean_read_models,
    ids,
    no_default_queries,
)

pytestmark = pytest.mark.django_db(databases=["default", "read"])


def test_verify_credentials_is_the_callers_credential_account(site) -> None:
    assert APIClient().get("/api/v1/accounts/verify_credentials").status_code == 401
    r = no_default_queries(site.client("ann"), "/api/v1/accounts/verify_credentials")
    assert r.status_code == 200, r.content
    body = r.json()
    assert set(body) >= ACCOUNT_KEYS and body["id"] == str(site.ids["ann"]) and body["acct"] == "ann"
    assert body["source"]["privacy"] == "public" and body["source"]["note"] == ""
    # bob, cat and sam: a suspension hides sam but leaves the counts (socialapp.read.profiles.projector)
    assert body["followers_count"] == 3 and body["following_count"] == 1 and body["statuses_count"] == 5
    assert ISO_MS.match(body["created_at"])


def test_an_account_by_id(site) -> None:
    r = no_default_queries(APIClient(), f"/api/v1/accounts/{site.ids['bob']}")
    body = r.json()
    assert set(body) >= ACCOUNT_KEYS and body["username"] == "bob" and body["url"] == "http://testserver/@bob"
    assert body["last_status_at"] and len(body["last_status_at"]) == 10  # a day, as Mastodon sends it
    assert APIClient().get(f"/api/v1/accounts/{site.ids['dan']}").json()["last_status_at"] is None


@pytest.mark.parametrize("name", ["eve", "sam", None])
def test_hidden_or_unknown_accounts_are_404(site, name) -> None:
    account = site.ids[name] if name else 999999
    for suffix in ("", "/statuses", "/followers", "/following"):
        r = no_default_queries(APIClient(), f"/api/v1/accounts/{account}{suffix}")
        assert (r.status_code, r.json()) == (404, NOT_FOUND), suffix


@pytest.mark.parametrize(
    ("acct", "found"),
    [
        ("ann", True),
        ("@ann", True),
        ("ANN", True),
        ("ann@localhost", True),
        ("ann@localhost:8000", True),
        ("@ann@LOCALHOST:8000", True),
        ("ann@elsewhere.example", False),
        ("eve", False),
        ("sam", False),
        ("nobody", False),
        ("a", False),
        ("", False),
        ("x" * 5000, False),
    ],
)
def test_lookup(site, acct, found) -> None:
    r = APIClient().get("/api/v1/accounts/lookup", {"acct": acct}, HTTP_HOST="localhost:8000")
    if found:
        assert r.status_code == 200 and r.json()["id"] == str(site.ids["ann"])
    else:
        assert (r.status_code, r.json()) == (404, NOT_FOUND)


def test_account_statuses_are_posts_and_replies(site) -> None:
    url = f"/api/v1/accounts/{site.ids['ann']}/statuses"
    posts = [str(p) for p in reversed(site.posts)]
    everything = no_default_queries(APIClient(), url)
    assert ids(everything) == [str(site.ann_reply), *posts]  # the deleted post is gone
    assert everything.json()[0]["in_reply_to_id"] == str(site.cat_comment)
    assert ids(APIClient().get(url, {"exclude_replies": "true"})) == posts
    own = site.world.comment(site.ids["ann"], site.posts[0], "continuing my own thread")
    site.apply()
    assert ids(APIClient().get(url, {"exclude_replies": "true"})) == [str(own), *posts]  # a self-reply stays
    assert ids(APIClient().get(url, {"exclude_reblogs": "1"})) == [str(own), *ids(everything)]
    assert APIClient().get(url, {"only_media": "true"}).json() == []
    assert APIClient().get(url, {"pinned": "true"}).json() == []
    cat = ids(APIClient().get(f"/api/v1/accounts/{site.ids['cat']}/statuses"))
    assert cat == [str(site.cat_comment)]  # not the comment on the deleted post


def test_account_statuses_page_across_posts_and_replies(site) -> None:
    url = f"/api/v1/accounts/{site.ids['ann']}/statuses"
    everything = ids(APIClient().get(url))
    first = APIClient().get(url, {"limit": 2})
    assert ids(first) == everything[:2]
    base = f"http://testserver{url}"
    assert first["Link"] == (
        f'<{base}?limit=2&max_id={everything[1]}>; rel="next", <{base}?limit=2&min_id={everything[0]}>; rel="prev"'
    )
    assert ids(APIClient().get(url, {"limit": 2, "max_id": everything[1]})) == everything[2:4]
    assert ids(APIClient().get(url, {"limit": 2, "min_id": everything[-1]})) == everything[-3:-1]
    assert ids(APIClient().get(url, {"limit": 2, "since_id": everything[-1]})) == everything[:2]


def test_followers_and_following_page_by_the_follows_position(site) -> None:
    w, i = site.world, site.ids
    w.follow(i["dan"], i["ann"])
    w.follow(i["bob"], i["ann"], on=False)
    w.follow(i["bob"], i["ann"])  # a new follow: the most recent again
    site.apply()
    url = f"/api/v1/accounts/{i['ann']}/followers"
    r = no_default_queries(APIClient(), url)
    assert ids(r) == [str(i["bob"]), str(i["dan"]), str(i["cat"])]  # eve and sam are hidden
    positions = dict(
        fetchall("SELECT follower_id, position FROM read_follow_edge WHERE followee_id = %s AND active", [i["ann"]])
    )
    first = APIClient().get(url, {"limit": 2})
    base = f"http://testserver{url}"
    assert first["Link"] == (
        f'<{base}?limit=2&max_id={positions[i["dan"]]}>; rel="next",'
        f' <{base}?limit=2&min_id={positions[i["bob"]]}>; rel="prev"'
    )
    assert ids(APIClient().get(url, {"limit": 2, "max_id": positions[i["dan"]]})) == [str(i["cat"])]
    assert ids(APIClient().get(url, {"min_id": positions[i["cat"]], "limit": 1})) == [str(i["dan"])]
    following = ids(APIClient().get(f"/api/v1/accounts/{i['ann']}/following"))
    assert following == [str(i["bob"])]
    assert set(APIClient().get(url).json()[0]) >= ACCOUNT_KEYS


def test_follow_positions_are_the_events_whatever_the_order(site) -> None:
    """The position is the log position of the edge's latest event: replaying the same events
    in another order gives the same positions."""
    from tests.read.conftest import apply_all, reset
    from tests.read.factory import shuffled_within_aggregates

    before = fetchall("SELECT follower_id, followee_id, position FROM read_follow_edge ORDER BY 1, 2")
    assert all(p > 0 for _, _, p in before)
    reset(["profiles"])
    apply_all(shuffled_within_aggregates(site.world.events, seed=3), ["profiles"])
    assert fetchall("SELECT follower_id, followee_id, position FROM read_follow_edge ORDER BY 1, 2") == before


def test_relationships(site) -> None:
    i = site.ids
    url = "/api/v1/accounts/relationships"
    assert APIClient().get(url, {"id[]": [i["bob"]]}).status_code == 401
    query = {"id[]": [i["bob"], i["cat"], i["dan"], i["eve"], 999, i["bob"]]}
    r = no_default_queries(site.client("ann"), url, **query)
    assert r.status_code == 200, r.content
    got = {x["id"]: (x["following"], x["followed_by"]) for x in r.json()}
    assert list(got) == [str(i["bob"]), str(i["cat"]), str(i["dan"])]  # asked order; hidden/unknown left out
    assert got == {str(i["bob"]): (True, True), str(i["cat"]): (False, True), str(i["dan"]): (False, False)}
    assert r.json()[0]["blocking"] is False and r.json()[0]["requested"] is False
    assert site.client("ann").get(url).json() == []
    assert site.client("ann").get(url, {"id[]": "abc"}).status_code == 422


def test_wrong_methods_are_405(site) -> None:
    assert APIClient().post("/api/v1/accounts/lookup").status_code == 405
    assert site.client("ann").delete("/api/v1/accounts/verify_credentials").status_code == 405


def test_account_statuses_exclude_direct(site) -> None:
    """Mastodon's `exclude_direct`: the author listing their own profile keeps direct messages
    out on request (Mastodon.py's test_account_statuses_exclude_direct); others never see them."""
    ann = site.ids["ann"]
    direct = site.world.post(ann, "just between us @bob", visibility="direct")
    site.apply()
    url = f"/api/v1/accounts/{ann}/statuses"
    mine = site.client("ann")
    assert str(direct) in ids(mine.get(url))
    assert str(direct) not in ids(mine.get(url, {"exclude_direct": "true"}))
    assert str(direct) in ids(site.client("bob").get(url))  # addressed: bob sees it on the profile
    assert str(direct) not in ids(APIClient().get(url))
    assert mine.get(url, {"exclude_direct": "maybe"}).status_code == 422
