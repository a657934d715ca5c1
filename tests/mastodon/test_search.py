"""Mastodon v2 search (and v1 accounts search) against the real Elasticsearch: Elasticsearch
finds, the read database shows (the same entities and visibility rule as timelines), and the
request rules of Api::V2::SearchController (q required, offset/resolve need a signed-in caller,
limit clamped, a bad type is a 422)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from socialapp.read.search import indexes
from socialapp.read.search.projector import SearchProjector
from tests.read.api_support import Site, make_site
from tests.read.conftest import apply_all, logged

pytestmark = pytest.mark.django_db(databases=["default", "read"])

URL = "/api/v2/search"
ACCOUNTS = "/api/v1/accounts/search"


def publish(site: Site, *, search: bool = True) -> None:
    """The world's new events into the real log (registrations are there already), applied to the
    read models and, unless told otherwise, to Elasticsearch."""
    done = getattr(site, "published", 0)
    logged([e for e in site.world.events[done:] if e.event_type != "user.registered"])
    site.published = len(site.world.events)  # type: ignore[attr-defined]
    events = logged([])
    apply_all(events)
    if search:
        SearchProjector().apply_batch(events)
        indexes.refresh()


@pytest.fixture
def site(settings) -> Iterator[Site]:
    settings.SEARCH_HASHTAG_PUSH_SECONDS = 0  # hashtag documents pushed with every batch
    indexes.drop_all()
    indexes.ensure_indexes()
    site = make_site("alice", "bobby", "carol", "dave")
    w, i = site.world, site.ids
    i["p1"] = w.post(i["alice"], "Crème brûlée at the café #Dessert with @bobby")
    i["p2"] = w.post(i["bobby"], "a creme caramel #dessert")
    i["p3"] = w.post(i["carol"], "nothing sweet #travel")
    gone = w.post(i["alice"], "deleted creme #dessert")
    w.delete(gone)
    w.like(i["bobby"], i["p1"])
    w.deactivate(i["dave"])
    publish(site)
    yield site
    indexes.drop_all()


def ok(response) -> dict:
    assert response.status_code == 200, response.content
    return response.json()


def test_statuses_are_rendered_from_the_read_models(site: Site) -> None:
    i = site.ids
    body = ok(site.client().get(URL, {"q": "creme", "type": "statuses"}))
    assert set(body) == {"accounts", "statuses", "hashtags"} and body["accounts"] == body["hashtags"] == []
    assert sorted(s["id"] for s in body["statuses"]) == sorted([str(i["p1"]), str(i["p2"])])
    status = next(s for s in body["statuses"] if s["id"] == str(i["p1"]))
    assert status["account"]["username"] == "alice" and status["favourites_count"] == 1
    assert status["url"] == f"http://testserver/@alice/{i['p1']}"
    assert [t["name"] for t in status["tags"]] == ["dessert"]
    assert [m["username"] for m in status["mentions"]] == ["bobby"]
    assert "favourited" not in status  # anonymous: no viewer flags, as Mastodon
    mine = ok(site.client("bobby").get(URL, {"q": "creme", "type": "statuses"}))["statuses"]
    assert next(s for s in mine if s["id"] == str(i["p1"]))["favourited"] is True
    by_bobby = ok(site.client().get(URL, {"q": "creme", "type": "statuses", "account_id": str(i["bobby"])}))
    assert [s["id"] for s in by_bobby["statuses"]] == [str(i["p2"])]


def test_accounts_hashtags_and_everything_at_once(site: Site) -> None:
    accounts = ok(site.client().get(URL, {"q": "@alice", "type": "accounts"}))["accounts"]
    assert [a["acct"] for a in accounts] == ["alice"]
    assert set(accounts[0]) >= {"id", "username", "acct", "display_name", "url", "avatar", "followers_count"}
    assert ok(site.client().get(URL, {"q": "dave", "type": "accounts"}))["accounts"] == []  # deactivated
    tags = ok(site.client().get(URL, {"q": "#dess", "type": "hashtags"}))["hashtags"]
    # history: 7 days from the trends model (not applied here: zeros), newest first (docs/analytics.md)
    assert [{**t, "history": None} for t in tags] == [
        {"name": "dessert", "url": "http://testserver/tags/dessert", "history": None, "following": False}
    ]
    assert [(h["uses"], h["accounts"]) for h in tags[0]["history"]] == [("0", "0")] * 7
    everything = ok(site.client("carol").get(URL, {"q": "carol"}))
    assert [a["username"] for a in everything["accounts"]] == ["carol"]
    assert isinstance(everything["statuses"], list) and isinstance(everything["hashtags"], list)
    listed = ok(site.client("carol").get(ACCOUNTS, {"q": "bobby"}))
    assert [a["username"] for a in listed] == ["bobby"]
    assert site.client().get(ACCOUNTS, {"q": "bobby"}).status_code == 401


def test_a_hit_hidden_in_the_read_models_is_not_shown(site: Site) -> None:
    """Elasticsearch may lag: the read database's visibility rule decides what is shown."""
    site.world.delete(site.ids["p2"])
    publish(site, search=False)
    body = ok(site.client().get(URL, {"q": "creme", "type": "statuses"}))
    assert [s["id"] for s in body["statuses"]] == [str(site.ids["p1"])]


def test_limit_and_offset(site: Site) -> None:
    client = site.client("alice")
    first = ok(client.get(URL, {"q": "#dessert", "type": "statuses", "limit": "1"}))["statuses"]
    second = ok(client.get(URL, {"q": "#dessert", "type": "statuses", "limit": "1", "offset": "1"}))["statuses"]
    assert len(first) == len(second) == 1 and first[0]["id"] != second[0]["id"]
    assert ok(client.get(URL, {"q": "#dessert", "type": "statuses", "offset": "5"}))["statuses"] == []
    assert len(ok(client.get(URL, {"q": "#dessert", "type": "statuses", "limit": "500"}))["statuses"]) == 2


def test_request_rules_as_mastodon(site: Site) -> None:
    anonymous, signed_in = site.client(), site.client("alice")
    assert anonymous.get(URL, {"q": "x", "offset": "1"}).json() == {
        "error": "Search queries pagination is not supported without authentication"
    }
    assert anonymous.get(URL, {"q": "x", "offset": "1"}).status_code == 401
    resolve = anonymous.get(URL, {"q": "x", "resolve": "true"})
    assert resolve.status_code == 401 and "resolve remote resources" in resolve.json()["error"]
    assert signed_in.get(URL, {"q": "x", "resolve": "true", "offset": "0"}).status_code == 200
    assert anonymous.get(URL, {"q": "x", "resolve": "false"}).status_code == 200
    bad_type = anonymous.get(URL, {"q": "x", "type": "people"})
    assert bad_type.status_code == 422 and bad_type.json()["error"].startswith("Validation failed: Type")
    for params in ({}, {"q": "   "}):
        missing = anonymous.get(URL, params)
        assert missing.status_code == 400 and missing.json() == {"error": "param is missing or the value is empty: q"}
    assert signed_in.get(URL, {"q": "x", "offset": "-1"}).status_code == 400
    assert signed_in.get(URL, {"q": "x", "limit": "many"}).status_code == 422
    assert anonymous.get(URL, {"q": "x" * 5000}).status_code == 422


def test_accounts_search_following_only(site: Site) -> None:
    """`following=true`: only accounts the caller follows (and the caller, as Mastodon's
    AccountSearchService), filtered inside the Elasticsearch query, so `limit` and `offset`
    count among them; `resolve` is accepted and changes nothing; anonymous callers are unfiltered."""
    from django.contrib.auth import get_user_model

    w, i = site.world, site.ids
    for name in ("samuel", "samara", "samira", "sammy"):
        user = get_user_model().objects.create_user(username=name, email=f"{name}@example.org", password="x-Pw0rd!")
        i[name] = w.register(name, uid=user.pk)
    w.follow(i["carol"], i["samara"])
    w.follow(i["carol"], i["sammy"])
    w.follow(i["carol"], i["samira"])
    w.follow(i["carol"], i["samira"], on=False)  # no longer followed
    w.follow(i["alice"], i["samuel"])  # someone else's follow
    publish(site)
    carol = site.client("carol")

    def names(url: str, params: dict, client=carol) -> list[str]:
        found = ok(client.get(url, {"q": "sam", **params}))
        return sorted(a["username"] for a in (found if isinstance(found, list) else found["accounts"]))

    everyone = ["samara", "samira", "sammy", "samuel"]
    assert names(ACCOUNTS, {}) == everyone
    assert names(ACCOUNTS, {"following": "true"}) == ["samara", "sammy"]
    assert names(ACCOUNTS, {"following": "true", "resolve": "true"}) == ["samara", "sammy"]
    assert names(URL, {"type": "accounts", "following": "1"}) == ["samara", "sammy"]
    assert names(URL, {"following": "true"}) == ["samara", "sammy"]
    assert names(URL, {"type": "accounts", "following": "false"}) == everyone
    assert names(URL, {"type": "accounts", "following": "true"}, client=site.client()) == everyone  # anonymous
    assert names(ACCOUNTS, {"following": "true"}, client=site.client("bobby")) == []
    # limit and offset page through the followed matches only.
    first = names(ACCOUNTS, {"following": "true", "limit": "1"})
    second = names(ACCOUNTS, {"following": "true", "limit": "1", "offset": "1"})
    assert len(first) == len(second) == 1 and sorted(first + second) == ["samara", "sammy"]
    assert names(ACCOUNTS, {"following": "true", "offset": "2"}) == []
    # The caller is among the accounts a following-only search finds.
    assert [a["username"] for a in ok(carol.get(ACCOUNTS, {"q": "carol", "following": "true"}))] == ["carol"]
    assert carol.get(ACCOUNTS, {"q": "sam", "following": "maybe"}).status_code == 422


def test_statuses_take_the_query_syntax(site: Site) -> None:
    """The operators of our own search (docs/search.md), `from:me` meaning the caller; a
    malformed operator is Mastodon's answer to a query syntax error, a 422."""
    i = site.ids
    anonymous, alice = site.client(), site.client("alice")
    p1, p2 = str(i["p1"]), str(i["p2"])

    def statuses(client, q: str) -> list[str]:
        return sorted(s["id"] for s in ok(client.get(URL, {"q": q, "type": "statuses"}))["statuses"])

    assert statuses(anonymous, "creme from:alice") == [p1]
    assert statuses(anonymous, "creme -from:alice") == [p2]
    assert statuses(alice, "from:me creme") == [p1]
    assert statuses(anonymous, '"creme caramel"') == [p2]
    assert statuses(anonymous, "#dessert -@bobby") == [p2]
    assert statuses(anonymous, "cre") == sorted([p1, p2])  # the last word while typed
    assert statuses(anonymous, "cre ") == []
    assert statuses(anonymous, "creme after:2000-01-01") == sorted([p1, p2])
    assert statuses(anonymous, "creme before:2000-01-01") == []
    assert statuses(anonymous, "creme has:media") == []
    assert statuses(anonymous, "foo:bar") == []  # an unknown operator: words nobody wrote
    for client, q, named in (
        (anonymous, "from:me creme", "from:me"),
        (alice, "creme before:2026-13-01", "before:"),
        (alice, "has:cats", "has:"),
        (alice, "language:toolong", "language:"),
    ):
        response = client.get(URL, {"q": q})
        assert response.status_code == 422, response.content
        assert response.json()["error"].startswith("Validation failed: Q") and named in response.json()["error"]
