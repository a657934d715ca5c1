"""A small site for the Mastodon query tests: real users with tokens (the command side's
sessions, which query authentication reads from the cache) and read models built from the
factory's events, plus what no factory event carries yet (a comment's `in_reply_to_id`, a content
warning) set directly in the read database, as the command side's events will fill them."""

from __future__ import annotations

import re
from typing import Any

from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext

from socialapp.read.common.sql import execute
from tests.read.api_support import Site, make_site
from tests.read.conftest import (
    apply_all,
    clean_read_models,  # noqa: F401 - fixture re-exported
)

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
NOT_FOUND = {"error": "Record not found"}

# Every key Mastodon's REST::StatusSerializer and REST::AccountSerializer send (the viewer's own
# flags only to a signed-in caller).
STATUS_KEYS = {
    "id", "uri", "url", "created_at", "edited_at", "account", "content", "text", "visibility", "sensitive",
    "spoiler_text", "language", "in_reply_to_id", "in_reply_to_account_id", "reblog", "application",
    "media_attachments", "mentions", "tags", "emojis", "card", "poll", "reblogs_count", "favourites_count",
    "replies_count", "filtered",
}  # fmt: skip
VIEWER_KEYS = {"favourited", "reblogged", "muted", "bookmarked", "pinned"}
ACCOUNT_KEYS = {
    "id", "username", "acct", "display_name", "locked", "bot", "discoverable", "group", "created_at", "note",
    "url", "uri", "avatar", "avatar_static", "header", "header_static", "followers_count", "following_count",
    "statuses_count", "last_status_at", "emojis", "fields",
}  # fmt: skip


def build_site() -> Site:
    """ann, bob, cat, dan; eve (deactivated) and sam (suspended) wrote things that must never show.

    ann writes five posts (#django), bob one with a mention, a hashtag, a link and a script tag;
    cat comments on bob's post and ann answers cat's comment; ann likes bob's post, so does cat.
    bob and cat follow ann, ann follows bob. A deleted post of ann's keeps a comment of cat's."""
    s = make_site("ann", "bob", "cat", "dan", "eve", "sam")
    w, i = s.world, s.ids
    w.follow(i["bob"], i["ann"])
    w.follow(i["cat"], i["ann"])
    w.follow(i["ann"], i["bob"])
    s.posts = [w.post(i["ann"], f"ann post {n} #django") for n in range(5)]  # type: ignore[attr-defined]
    s.bob_post = w.post(  # type: ignore[attr-defined]
        i["bob"], "hi @ann #cqrs <script>alert(1)</script> https://example.org/x"
    )
    w.like(i["ann"], s.bob_post)  # type: ignore[attr-defined]
    w.like(i["cat"], s.bob_post)  # type: ignore[attr-defined]
    s.cat_comment = w.comment(i["cat"], s.bob_post, "first")  # type: ignore[attr-defined]
    s.ann_reply = w.comment(i["ann"], s.bob_post, "@cat second")  # type: ignore[attr-defined]
    s.gone_post = w.post(i["ann"], "soon gone #django")  # type: ignore[attr-defined]
    s.orphan = w.comment(i["cat"], s.gone_post, "on a post that goes")  # type: ignore[attr-defined]
    w.delete(s.gone_post)  # type: ignore[attr-defined]
    s.eve_post = w.post(i["eve"], "eve was here #django")  # type: ignore[attr-defined]
    s.eve_comment = w.comment(i["eve"], s.bob_post, "eve comments")  # type: ignore[attr-defined]
    w.follow(i["eve"], i["ann"])
    w.deactivate(i["eve"])
    s.sam_post = w.post(i["sam"], "sam was here #django")  # type: ignore[attr-defined]
    w.follow(i["sam"], i["ann"])
    w.suspend(i["sam"])
    s.apply()
    apply_all(w.events, ["relations"])  # the facts of the visibility rule and of Relationship
    execute(
        "UPDATE read_comment SET in_reply_to_id = %s, in_reply_to_account_id = %s WHERE comment_id = %s",
        [s.cat_comment, i["cat"], s.ann_reply],  # type: ignore[attr-defined]
    )
    return s


def no_default_queries(client: Any, url: str, **params: Any) -> Any:
    """GET `url`, asserting that no SQL reached `default` (authentication included)."""
    with CaptureQueriesContext(connections["default"]) as default:
        response = client.get(url, params)
    assert default.captured_queries == [], (url, default.captured_queries)
    return response


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()]


def explain(sql: str) -> str:
    """The plan of a captured query with sequential and bitmap scans priced out (the test tables
    are tiny): a query that no index can serve still shows a Seq Scan."""
    with transaction.atomic(using="read"), connections["read"].cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())
