"""Search applies the one visibility rule inside the Elasticsearch query (SEARCH context): public
posts or the searcher's own, minus authors blocked either way or muted; accounts blocked either
way are left out of user search. Checked on the query bodies and on what the views pass (the
index's `visibility` field is filled by the search projector)."""

from __future__ import annotations

import pytest

from socialapp.read.common.visibility import Relations
from socialapp.read.search import query, selectors
from socialapp.read.search.selectors import Page
from tests.read.api_support import make_site
from tests.read.conftest import reset
from tests.read.relations_support import ALL, apply_everything, block, mute

VIEWER = Relations(user_id=1, blocks=frozenset({5}), blocked_by=frozenset({7}), mutes=frozenset({6}))


def _filters(body: dict) -> list:
    return body["bool"]["filter"]


def test_anonymous_post_search_lists_public_posts_only() -> None:
    body = query.posts_query(query.parse("tea"), author=None, since=None, until=None, viewer=None)
    assert {"term": {"visibility": "public"}} in _filters(body)


def test_a_viewer_searches_public_posts_and_their_own_minus_hidden_authors() -> None:
    body = query.posts_query(query.parse("tea"), author=None, since=None, until=None, viewer=VIEWER)
    own_or_public = {"term": {"author_id": 1}}
    assert any(own_or_public in f.get("bool", {}).get("should", []) for f in _filters(body))
    assert {"bool": {"must_not": [{"terms": {"author_id": [5, 6, 7]}}]}} in _filters(body)


def test_user_search_leaves_out_accounts_blocked_either_way_not_muted_ones() -> None:
    body = query.users_query("bob", viewer=VIEWER)
    assert body["bool"]["must_not"] == [{"terms": {"user_id": [5, 7]}}]
    assert "must_not" not in query.users_query("bob", viewer=None)["bool"]


@pytest.mark.django_db(databases=["default", "read"])
def test_the_views_pass_the_searchers_relations(monkeypatch) -> None:
    reset(ALL)
    site = make_site("ann", "bob", "cat")
    w, i = site.world, site.ids
    block(w, i["bob"], i["cat"])
    mute(w, i["bob"], i["ann"])
    apply_everything(w)
    seen: list = []

    def capture(**kwargs):
        seen.append(kwargs["viewer"])
        return Page([], None)

    monkeypatch.setattr(selectors, "search_posts", capture)
    monkeypatch.setattr(selectors, "search_users", capture)
    bob = site.client("bob")
    assert bob.get("/api/socialapp/v1/search/posts", {"q": "tea"}).status_code == 200
    assert bob.get("/api/socialapp/v1/search/users", {"q": "ann"}).status_code == 200
    assert bob.get("/api/v2/search", {"q": "tea", "type": "statuses"}).status_code == 200
    relations = seen[0]
    assert relations.user_id == i["bob"] and relations.blocks == {i["cat"]} and relations.mutes == {i["ann"]}
    assert len(seen) == 3 and all(r == relations for r in seen)
