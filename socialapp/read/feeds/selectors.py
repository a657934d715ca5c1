"""Reads of posts, comments, hashtag timelines and home feeds: `read` alias only, and never a
write (regenerating an evicted feed is the view's explicit step: socialapp.read.feeds.maintenance).

Visibility is re-checked here on every read (created, not deleted, author not deactivated nor
suspended)
rather than trusted to the removal work of the projectors: feeds are where social backends
leak deleted or hidden content.
"""

from __future__ import annotations

import json
from typing import Any

from socialapp.read.common.sql import fetchdicts

# A suspended author's rows stay as they are; this hides them while the flag is set.
NOT_SUSPENDED = "NOT EXISTS (SELECT 1 FROM read_post_author sa WHERE sa.user_id = {} AND sa.suspended)"
VISIBLE = "p.created_at IS NOT NULL AND NOT p.deleted AND NOT p.author_deactivated AND " + NOT_SUSPENDED.format(
    "p.author_id"
)
POST_COLUMNS = (
    "p.post_id, p.author_id, p.author_username, p.author_display_name, p.body, p.hashtags, p.mentions,"
    " p.created_at, p.edited_at, p.like_count, p.comment_count, p.version,"
    " EXISTS (SELECT 1 FROM read_like l WHERE l.post_id = p.post_id AND l.user_id = %(viewer)s AND l.active)"
    " AS liked_by_me"
)


def _decoded(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Django's psycopg loader hands jsonb over as text (JSONField parses it); so do we."""
    for row in rows:
        if isinstance(row.get("mentions"), str):
            row["mentions"] = json.loads(row["mentions"])
    return rows


def _posts(where: str, params: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    return _decoded(
        fetchdicts(
            f"SELECT {POST_COLUMNS} FROM read_post p WHERE {VISIBLE} AND {where} ORDER BY p.post_id DESC LIMIT %(n)s",
            {**params, "n": limit},
        )
    )


MAX_ID = 2**63 - 1


def post_detail(*, post_id: int, viewer_id: int | None) -> dict[str, Any] | None:
    if not 0 < post_id <= MAX_ID:
        return None  # not an id PostgreSQL could hold: simply not found
    rows = _posts("p.post_id = %(id)s", {"id": post_id, "viewer": viewer_id}, 1)
    return rows[0] if rows else None


def user_posts(*, author_id: int, viewer_id: int | None, before: int | None, limit: int) -> list[dict[str, Any]]:
    return _posts(
        "p.author_id = %(a)s AND (%(b)s::bigint IS NULL OR p.post_id < %(b)s)",
        {"a": author_id, "b": before, "viewer": viewer_id},
        limit,
    )


def tag_posts(*, tag: str, viewer_id: int | None, before: int | None, limit: int) -> list[dict[str, Any]]:
    return _decoded(
        fetchdicts(
            f"SELECT {POST_COLUMNS} FROM read_post_tag t JOIN read_post p ON p.post_id = t.post_id"
            f" WHERE t.tag = %(tag)s AND (%(b)s::bigint IS NULL OR t.post_id < %(b)s) AND {VISIBLE}"
            " ORDER BY t.post_id DESC LIMIT %(n)s",
            {"tag": tag.lower().lstrip("#"), "b": before, "viewer": viewer_id, "n": limit},
        )
    )


def post_comments(*, post_id: int, after: int | None, limit: int) -> list[dict[str, Any]] | None:
    """Oldest first; None when the post itself is not visible."""
    if post_detail(post_id=post_id, viewer_id=None) is None:
        return None
    return _decoded(
        fetchdicts(
            "SELECT c.comment_id, c.post_id, c.author_id, c.author_username, c.author_display_name, c.body, c.mentions,"
            " c.created_at, c.edited_at FROM read_comment c WHERE c.post_id = %(p)s AND c.created_at IS NOT NULL"
            " AND NOT c.deleted AND NOT c.author_deactivated AND (%(a)s::bigint IS NULL OR c.comment_id > %(a)s)"
            f" AND {NOT_SUSPENDED.format('c.author_id')}"
            " ORDER BY c.comment_id LIMIT %(n)s",
            {"p": post_id, "a": after, "n": limit},
        )
    )


HOME_FEED_SQL = f"""
WITH candidates AS (
  (SELECT e.post_id FROM feed_entry e JOIN read_post p ON p.post_id = e.post_id
    WHERE e.reader_id = %(r)s AND (%(b)s::bigint IS NULL OR e.post_id < %(b)s) AND {VISIBLE}
    ORDER BY e.post_id DESC LIMIT %(n)s)
  UNION
  (SELECT m.post_id FROM feed_author a JOIN feed_follow f ON f.followee_id = a.user_id AND f.follower_id = %(r)s
    CROSS JOIN LATERAL (
      SELECT fp.post_id FROM feed_post fp JOIN read_post p ON p.post_id = fp.post_id
      WHERE fp.author_id = f.followee_id AND NOT fp.fanned_out AND NOT fp.deleted
        AND (%(b)s::bigint IS NULL OR fp.post_id < %(b)s) AND {VISIBLE}
      ORDER BY fp.post_id DESC LIMIT %(n)s) m
    WHERE a.has_unfanned AND f.active)
)
SELECT {POST_COLUMNS.replace("%(viewer)s", "%(r)s")}
FROM candidates c JOIN read_post p ON p.post_id = c.post_id
ORDER BY p.post_id DESC LIMIT %(n)s
"""


def home_feed(*, reader_id: int, before: int | None, limit: int) -> list[dict[str, Any]]:
    """Fanned-out entries merged with the posts of large followees that were not fanned out
    (hybrid fan-out). An empty first page may mean an evicted feed: the view regenerates it
    (`maintenance.regenerate_if_empty`) and reads again."""
    return _decoded(fetchdicts(HOME_FEED_SQL, {"r": reader_id, "b": before, "n": limit}))
