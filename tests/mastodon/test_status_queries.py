"""A status, its context and who favourited it: shapes, HTML content, replies (comments),
visibility and Mastodon's 404."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from socialapp.read.common.sql import execute
from tests.mastodon.query_support import (  # noqa: F401 - fixtures
    ACCOUNT_KEYS,
    ISO_MS,
    NOT_FOUND,
    STATUS_KEYS,
    VIEWER_KEYS,
    build_site,
    clean_read_models,
    ids,
    no_default_queries,
)

pytestmark = pytest.mark.django_db(databases=["default", "read"])


def test_a_status_has_every_key_mastodon_sends(site) -> None:
    r = no_default_queries(APIClient(), f"/api/v1/statuses/{site.bob_post}")
    assert r.status_code == 200, r.content
    body = r.json()
    assert set(body) == STATUS_KEYS  # anonymous: no viewer flags
    assert body["id"] == str(site.bob_post) and isinstance(body["account"]["id"], str)
    assert ISO_MS.match(body["created_at"]) and body["edited_at"] is None
    assert set(body["account"]) >= ACCOUNT_KEYS and body["account"]["username"] == "bob"
    assert body["url"] == f"http://testserver/@bob/{site.bob_post}"
    assert body["visibility"] == "public" and body["in_reply_to_id"] is None
    assert body["favourites_count"] == 2 and body["replies_count"] == 2  # eve's comment is gone
    assert body["mentions"] == [
        {"id": str(site.ids["ann"]), "username": "ann", "acct": "ann", "url": "http://testserver/@ann"}
    ]
    assert [t["name"] for t in body["tags"]] == ["cqrs"]


def test_content_is_escaped_html_with_links(site) -> None:
    content = APIClient().get(f"/api/v1/statuses/{site.bob_post}").json()["content"]
    assert "<script>" not in content and "&lt;script&gt;alert(1)&lt;/script&gt;" in content
    assert '<a href="http://testserver/@ann" class="u-url mention">@<span>ann</span></a>' in content
    assert '<a href="http://testserver/tags/cqrs" class="mention hashtag" rel="tag">#<span>cqrs</span></a>' in content
    assert '<a href="https://example.org/x" rel="nofollow noopener noreferrer" target="_blank">' in content
    assert content.startswith("<p>") and content.endswith("</p>")


def test_favourited_is_the_callers_own_and_only_for_a_signed_in_caller(site) -> None:
    url = f"/api/v1/statuses/{site.bob_post}"
    assert "favourited" not in APIClient().get(url).json()
    ann = no_default_queries(site.client("ann"), url).json()
    assert set(ann) == STATUS_KEYS | VIEWER_KEYS and ann["favourited"] is True
    assert site.client("dan").get(url).json()["favourited"] is False


def test_comments_are_replies(site) -> None:
    cat = APIClient().get(f"/api/v1/statuses/{site.cat_comment}").json()
    assert cat["in_reply_to_id"] == str(site.bob_post) and cat["in_reply_to_account_id"] == str(site.ids["bob"])
    assert cat["replies_count"] == 1 and cat["favourites_count"] == 0
    ann = site.client("ann").get(f"/api/v1/statuses/{site.ann_reply}").json()
    assert ann["in_reply_to_id"] == str(site.cat_comment) and ann["in_reply_to_account_id"] == str(site.ids["cat"])
    assert ann["favourited"] is False


def test_content_warning_and_sensitive(site) -> None:
    execute("UPDATE read_post SET spoiler_text = 'spoilers', sensitive = true WHERE post_id = %s", [site.bob_post])
    body = APIClient().get(f"/api/v1/statuses/{site.bob_post}").json()
    assert body["spoiler_text"] == "spoilers" and body["sensitive"] is True


@pytest.mark.parametrize("which", ["gone_post", "orphan", "eve_post", "eve_comment", "sam_post", "unknown"])
def test_hidden_or_unknown_statuses_are_404(site, which) -> None:
    status_id = 12345 if which == "unknown" else getattr(site, which)
    for suffix in ("", "/context", "/favourited_by"):
        r = no_default_queries(site.client("ann"), f"/api/v1/statuses/{status_id}{suffix}")
        assert (r.status_code, r.json()) == (404, NOT_FOUND), suffix


def test_context_of_a_post_and_of_a_comment(site) -> None:
    w, i = site.world, site.ids
    later = w.comment(i["dan"], site.bob_post, "later, on the post")
    deep = w.comment(i["bob"], site.bob_post, "answering ann")
    site.apply()
    execute(
        "UPDATE read_comment SET in_reply_to_id = %s, in_reply_to_account_id = %s WHERE comment_id = %s",
        [site.ann_reply, i["ann"], deep],
    )
    post = no_default_queries(APIClient(), f"/api/v1/statuses/{site.bob_post}/context").json()
    assert post["ancestors"] == []
    # thread order: depth first, each level oldest first
    assert [s["id"] for s in post["descendants"]] == [str(x) for x in (site.cat_comment, site.ann_reply, deep, later)]
    comment = APIClient().get(f"/api/v1/statuses/{site.ann_reply}/context").json()
    assert [s["id"] for s in comment["ancestors"]] == [str(site.bob_post), str(site.cat_comment)]
    assert [s["id"] for s in comment["descendants"]] == [str(deep)]
    # a hidden comment in the chain: its answers hang from the post
    w.delete_comment(site.cat_comment)
    site.apply()
    comment = APIClient().get(f"/api/v1/statuses/{site.ann_reply}/context").json()
    assert [s["id"] for s in comment["ancestors"]] == [str(site.bob_post)]
    post = APIClient().get(f"/api/v1/statuses/{site.bob_post}/context").json()
    assert [s["id"] for s in post["descendants"]] == [str(x) for x in (site.ann_reply, deep, later)]


def test_favourited_by_pages_accounts_with_a_link_header(site) -> None:
    url = f"/api/v1/statuses/{site.bob_post}/favourited_by"
    everyone = no_default_queries(APIClient(), url)
    likers = sorted([site.ids["ann"], site.ids["cat"]], reverse=True)
    assert ids(everyone) == [str(x) for x in likers]
    assert set(everyone.json()[0]) >= ACCOUNT_KEYS
    first = APIClient().get(url, {"limit": 1})
    base = f"http://testserver{url}"
    assert first["Link"] == (
        f'<{base}?limit=1&max_id={likers[0]}>; rel="next", <{base}?limit=1&min_id={likers[0]}>; rel="prev"'
    )
    assert ids(APIClient().get(url, {"limit": 1, "max_id": likers[0]})) == [str(likers[1])]
    site.world.deactivate(site.ids["cat"])
    site.apply()
    assert ids(APIClient().get(url)) == [str(site.ids["ann"])]
    assert APIClient().get(f"/api/v1/statuses/{site.ann_reply}/favourited_by").json() == []


def test_wrong_methods_are_405(site) -> None:
    assert APIClient().post(f"/api/v1/statuses/{site.bob_post}/context").status_code == 405
    assert APIClient().delete(f"/api/v1/statuses/{site.bob_post}/favourited_by").status_code == 405
