"""A status's edit history and source, and the batch fetches of statuses and accounts: shapes
(Mastodon's StatusEdit and StatusSource), order, visibility, who may read a source, and that the
version read model (read_status_version) is idempotent, order-independent and tombstoned."""

from __future__ import annotations

import random

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from socialapp.read.common.sql import execute, fetchall
from socialapp.write.accounts.services import token_issue
from tests.mastodon.query_support import (  # noqa: F401 - fixture
    ISO_MS,
    NOT_FOUND,
    build_site,
    clean_read_models,
    ids,
    no_default_queries,
)
from tests.read.conftest import apply_all, reset
from tests.read.factory import World, shuffled_within_aggregates

pytestmark = pytest.mark.django_db(databases=["default", "read"])

EDIT_KEYS = {"content", "spoiler_text", "sensitive", "created_at", "account", "poll", "media_attachments", "emojis"}


@pytest.fixture
def site(clean_read_models):  # noqa: F811
    s = build_site()
    w, i = s.world, s.ids
    s.edited = w.post(i["ann"], "first draft #one")  # type: ignore[attr-defined]
    s.created_at = w.events[-1].payload["created_at"]  # type: ignore[attr-defined]
    w.edit(s.edited, "second @bob #two")  # type: ignore[attr-defined]
    w.events[-1].payload.update(spoiler_text="cw", sensitive=True)
    w.edit(s.edited, "third <b>bold</b>")  # type: ignore[attr-defined]
    s.edit_times = [e.payload["edited_at"] for e in w.events[-2:]]  # type: ignore[attr-defined]
    w.edit_comment(s.cat_comment, "first, edited")  # type: ignore[attr-defined]
    s.apply()
    return s


def _history(client: APIClient, status_id: int) -> list[dict]:
    r = no_default_queries(client, f"/api/v1/statuses/{status_id}/history")
    assert r.status_code == 200, r.content
    return r.json()


def test_history_is_every_version_oldest_first_in_mastodons_shape(site) -> None:
    history = _history(APIClient(), site.edited)
    assert len(history) == 3
    assert all(set(v) == EDIT_KEYS for v in history)
    assert [v["content"] for v in history] == [
        '<p>first draft <a href="http://testserver/tags/one" class="mention hashtag" rel="tag">#<span>one</span></a></p>',
        '<p>second <span class="h-card" translate="no"><a href="http://testserver/@bob" class="u-url mention">'
        "@<span>bob</span></a></span>"
        ' <a href="http://testserver/tags/two" class="mention hashtag" rel="tag">#<span>two</span></a></p>',
        "<p>third &lt;b&gt;bold&lt;/b&gt;</p>",
    ]
    assert [(v["spoiler_text"], v["sensitive"]) for v in history] == [("", False), ("cw", True), ("", False)]
    assert all(ISO_MS.match(v["created_at"]) for v in history)
    assert [v["created_at"][:19] for v in history] == [t[:19] for t in [site.created_at, *site.edit_times]]
    assert {v["account"]["username"] for v in history} == {"ann"}
    assert all(v["poll"] is None and v["media_attachments"] == [] and v["emojis"] == [] for v in history)
    # The last version is what the status shows now.
    assert history[-1]["content"] == APIClient().get(f"/api/v1/statuses/{site.edited}").json()["content"]


def test_a_status_never_edited_has_its_original_only(site) -> None:
    [original] = _history(site.client("bob"), site.bob_post)
    assert "&lt;script&gt;" in original["content"] and original["account"]["username"] == "bob"


def test_a_comment_has_a_history_too(site) -> None:
    history = _history(APIClient(), site.cat_comment)
    assert [v["content"] for v in history] == ["<p>first</p>", "<p>first, edited</p>"]


def test_hidden_or_unknown_statuses_have_no_history(site) -> None:
    for status in (site.gone_post, site.orphan, site.eve_post, site.sam_post, 12345):
        r = APIClient().get(f"/api/v1/statuses/{status}/history")
        assert (r.status_code, r.json()) == (404, NOT_FOUND), status


def test_a_status_projected_before_versions_were_kept_answers_its_current_content(site) -> None:
    execute("DELETE FROM read_status_version WHERE status_id = %s", [site.edited])
    [only] = _history(APIClient(), site.edited)
    assert (
        only["content"] == "<p>third &lt;b&gt;bold&lt;/b&gt;</p>"
        and only["created_at"][:19] == site.edit_times[-1][:19]
    )


# ------------------------------------------------------------------------------------ source


def test_the_source_is_the_authors_own(site) -> None:
    r = no_default_queries(site.client("ann"), f"/api/v1/statuses/{site.edited}/source")
    assert r.status_code == 200, r.content
    assert r.json() == {"id": str(site.edited), "text": "third <b>bold</b>", "spoiler_text": ""}
    reply = site.client("ann").get(f"/api/v1/statuses/{site.ann_reply}/source").json()
    assert reply == {"id": str(site.ann_reply), "text": "@cat second", "spoiler_text": ""}


def test_anybody_elses_or_a_hidden_source_is_404_and_anonymous_is_401(site) -> None:
    assert site.client("bob").get(f"/api/v1/statuses/{site.edited}/source").json() == NOT_FOUND
    assert site.client("ann").get(f"/api/v1/statuses/{site.gone_post}/source").status_code == 404
    assert APIClient().get(f"/api/v1/statuses/{site.edited}/source").status_code == 401


def test_the_source_needs_read_statuses(site) -> None:
    ann = get_user_model().objects.get(pk=site.ids["ann"])
    url = f"/api/v1/statuses/{site.edited}/source"
    for scope, status in (("read:accounts", 403), ("read:statuses", 200), ("read", 200)):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_issue(user=ann, scope=scope)}")
        assert client.get(url).status_code == status, scope


# ------------------------------------------------------------------------------------ batches


def test_statuses_by_id_in_the_order_asked_skipping_the_hidden(site) -> None:
    asked = [site.bob_post, site.gone_post, site.cat_comment, site.eve_post, site.posts[0], site.bob_post, 999]
    r = no_default_queries(APIClient(), "/api/v1/statuses", **{"id[]": [str(i) for i in asked]})
    assert ids(r) == [str(site.bob_post), str(site.cat_comment), str(site.posts[0])]
    assert "favourited" not in r.json()[0]
    assert site.client("ann").get("/api/v1/statuses", {"id[]": str(site.bob_post)}).json()[0]["favourited"] is True
    assert ids(APIClient().get("/api/v1/statuses")) == []


def test_statuses_by_id_reads_the_first_20_distinct_ids(site) -> None:
    w = site.world
    more = [w.post(site.ids["dan"], f"dan {n}") for n in range(22)]
    site.apply()
    asked = [str(more[0]), str(more[0]), *(str(i) for i in more[1:])]
    assert ids(APIClient().get("/api/v1/statuses", {"id[]": asked})) == [str(i) for i in more[:20]]


def test_accounts_by_id_in_the_order_asked_skipping_the_hidden(site) -> None:
    i = site.ids
    asked = [i["cat"], i["eve"], i["ann"], i["sam"], i["cat"], 424242]
    r = no_default_queries(APIClient(), "/api/v1/accounts", **{"id[]": [str(a) for a in asked]})
    assert [a["username"] for a in r.json()] == ["cat", "ann"]


@pytest.mark.parametrize("url", ["/api/v1/statuses", "/api/v1/accounts"])
def test_a_malformed_id_is_422(site, url) -> None:
    r = APIClient().get(url, {"id[]": ["1", "abc"]})
    assert r.status_code == 422 and "error" in r.json()


# ------------------------------------------------------------------------------------ read model


def _versions() -> list[tuple]:
    return fetchall(
        "SELECT status_id, version, body, spoiler_text, sensitive, mentions::text, hashtags, created_at"
        " FROM read_status_version ORDER BY status_id, version"
    )


def _life() -> tuple[World, int, int]:
    w = World()
    ann, bob = w.register("ann"), w.register("bob")
    pid = w.post(ann, "v1 #a")
    w.edit(pid, "v2 @bob")
    cid = w.comment(bob, pid, "c1")
    w.edit_comment(cid, "c2")
    w.edit(pid, "v3")
    return w, pid, cid


def test_versions_are_idempotent_and_the_same_in_any_order(clean_read_models) -> None:  # noqa: F811
    w, pid, cid = _life()
    apply_all(w.events)
    expected = _versions()
    assert [(r[0], r[1], r[2]) for r in expected] == [
        (pid, 1, "v1 #a"),
        (pid, 2, "v2 @bob"),
        (pid, 3, "v3"),
        (cid, 1, "c1"),
        (cid, 2, "c2"),
    ]
    apply_all(w.events)  # all duplicates
    assert _versions() == expected
    for seed in range(4):
        reset()
        apply_all(shuffled_within_aggregates(w.events, seed=seed))
        assert _versions() == expected, seed
    reset()
    apply_all(list(reversed(w.events)))
    assert _versions() == expected


@pytest.mark.parametrize("hide", ["delete_post", "delete_comment", "deactivate"])
def test_a_hidden_status_keeps_no_versions_whatever_the_order(clean_read_models, hide) -> None:  # noqa: F811
    w, pid, cid = _life()
    if hide == "delete_post":
        w.delete(pid)
        gone = {pid, cid}
    elif hide == "delete_comment":
        w.delete_comment(cid)
        gone = {cid}
    else:
        w.deactivate(w.posts[pid].author)
        gone = {pid}
    rng = random.Random(hide)
    orders = [w.events, list(reversed(w.events)), [w.events[-1], *w.events[:-1]]]
    orders += [rng.sample(w.events, len(w.events)) for _ in range(3)]
    results = []
    for order in orders:
        reset()
        apply_all(order)
        results.append(_versions())
        assert not {r[0] for r in results[-1]} & gone, (hide, [e.event_type for e in order])
    assert all(r == results[0] for r in results)


# ------------------------------------------------------------------------------------ from the commands


@pytest.mark.django_db(databases=["default", "read"], transaction=True)
def test_edits_made_through_the_mastodon_api_show_in_history_source_and_favourites(alice, bob) -> None:
    """The command side's real events (post.edited with its content warning and edit time)."""
    from socialapp.events.catalogue import ALL_EVENT_TYPES
    from socialapp.events.log import log_events

    def apply_log() -> None:
        reset()
        apply_all([message for batch in log_events(tuple(ALL_EVENT_TYPES)) for message in batch])

    client, other = APIClient(), APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_issue(user=alice)}")
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {token_issue(user=bob)}")
    posted = client.post("/api/v1/statuses", {"status": "draft #one"}, format="json")  # the composed route
    assert posted.status_code == 200, posted.content
    sid = posted.json()["id"]
    edited = client.put(f"/api/v1/statuses/{sid}", {"status": "final", "spoiler_text": "cw"}, format="json")
    assert edited.status_code == 200, edited.content
    assert other.post(f"/api/v1/statuses/{sid}/favourite").status_code == 200
    apply_log()
    history = APIClient().get(f"/api/v1/statuses/{sid}/history").json()
    assert [(v["content"][:8], v["spoiler_text"], v["sensitive"]) for v in history] == [
        ("<p>draft", "", False),
        ("<p>final", "cw", True),
    ]
    assert history[1]["created_at"] == edited.json()["edited_at"]
    assert client.get(f"/api/v1/statuses/{sid}/source").json() == {"id": sid, "text": "final", "spoiler_text": "cw"}
    assert ids(other.get("/api/v1/favourites")) == [sid]
    assert ids(other.get("/api/v1/statuses", {"id[]": [sid]})) == [sid]
    assert client.delete(f"/api/v1/statuses/{sid}").status_code == 200
    apply_log()
    assert APIClient().get(f"/api/v1/statuses/{sid}/history").status_code == 404
    assert fetchall("SELECT count(*) FROM read_status_version") == [(0,)]
    assert ids(other.get("/api/v1/favourites")) == []
