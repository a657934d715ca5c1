"""Reads of trends: the rank tables the refresh job writes, and per-day tag history.

Rankings are read as the refresh left them, but trending posts are re-checked on every read by
the one visibility rule (socialapp.read.common.visibility) against the live post row, in the
PUBLIC context: a post deleted, made invisible by its author's suspension or deactivation,
sensitive, or by an author the viewer blocks, mutes or is blocked by, never shows, without
waiting for the next refresh (Mastodon had blocked accounts in trends: #34891).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from socialapp.read.common.sql import fetchall
from socialapp.read.common.visibility import Context, post_visible
from socialapp.read.feeds.selectors import POST_JSON
from socialapp.read.trends.ranking import (
    DEFAULT_WINDOW,
    HISTORY_DAYS,
    WINDOWS,
    history_sql,
    history_start,
)


def top_tags(*, window: str = DEFAULT_WINDOW, limit: int = 10, offset: int = 0) -> list[dict[str, Any]]:
    """The trending tags of `window`, best first: name, score, uses and distinct accounts in the
    window. No viewer filtering (tags are aggregates; staff's dashboard uses this too)."""
    if window not in WINDOWS:
        raise ValueError(f"unknown window {window!r}; one of {', '.join(WINDOWS)}")
    rows = fetchall(
        "SELECT tag, score, uses, accounts FROM trends_tag_rank WHERE period = %s ORDER BY rank OFFSET %s LIMIT %s",
        [window, offset, limit],
    )
    return [{"name": r[0], "score": r[1], "uses": r[2], "accounts": r[3]} for r in rows]


def trending_post_ids(*, window: str, viewer_id: int | None, limit: int, offset: int) -> list[int]:
    """The trending posts of `window` that `viewer_id` may see now, best first."""
    return [
        r[0] for r in fetchall(_POSTS_SQL.format(columns="p.post_id"), _post_params(window, viewer_id, limit, offset))
    ]


def trending_posts(*, window: str, viewer_id: int | None, limit: int, offset: int) -> list[tuple[int, str]]:
    """As `trending_post_ids`, rendered as our API renders posts: (post_id, JSON text)."""
    return fetchall(
        _POSTS_SQL.format(columns=f"p.post_id, {POST_JSON}"), _post_params(window, viewer_id, limit, offset)
    )


_POSTS_SQL = (
    "SELECT {columns} FROM trends_post_rank r JOIN read_post p ON p.post_id = r.post_id"
    " WHERE r.period = %(window)s AND NOT p.sensitive"
    f" AND {post_visible('p', '%(viewer)s', Context.PUBLIC)}"
    " ORDER BY r.rank OFFSET %(offset)s LIMIT %(limit)s"
)


def _post_params(window: str, viewer_id: int | None, limit: int, offset: int) -> dict[str, Any]:
    if window not in WINDOWS:
        raise ValueError(f"unknown window {window!r}")
    return {"window": window, "viewer": viewer_id, "limit": limit, "offset": offset}


def tag_history(tags: list[str], *, now: datetime | None = None) -> dict[str, list[dict[str, Any]]]:
    """Per tag, HISTORY_DAYS entries newest first (today, UTC, first): `day` (a date), `uses` and
    `accounts` (distinct accounts that day), from the hourly counters, leaving out accounts
    suspended or deactivated. Days without uses are zeros. Ranked tags come from the last
    refresh's cache (as of that refresh, when it ran today); the others are computed now."""
    start = history_start(now or timezone.now())
    today = start.date() + timedelta(days=HISTORY_DAYS - 1)
    found: dict[tuple[str, date], tuple[int, int]] = {}
    cached = {
        r[0]
        for r in fetchall(
            "SELECT DISTINCT tag FROM trends_tag_rank WHERE tag = ANY(%s) AND (refreshed_at AT TIME ZONE 'UTC')::date = %s",
            [list(tags), today],
        )
    }
    if cached:
        rows = fetchall(
            "SELECT tag, day, uses, accounts FROM trends_tag_history WHERE tag = ANY(%s) AND day_of = %s",
            [list(cached), today],
        )
        found |= {(r[0], r[1]): (int(r[2]), int(r[3])) for r in rows}
    live = [t for t in tags if t not in cached]
    if live:
        sql = history_sql("h.tag = ANY(%(tags)s)")
        rows = fetchall(sql, {"tags": live, "history_start": start})
        found |= {(r[0], r[1]): (int(r[2]), int(r[3])) for r in rows}
    days = [today - timedelta(days=i) for i in range(HISTORY_DAYS)]
    return {
        tag: [
            {"day": day, "uses": found.get((tag, day), (0, 0))[0], "accounts": found.get((tag, day), (0, 0))[1]}
            for day in days
        ]
        for tag in tags
    }


def tag_known(tag: str) -> bool:
    """Whether a public post ever used `tag` (its per-minute counters have a row: a primary-key
    probe). Tags only ever used in non-public posts are not revealed."""
    return bool(fetchall("SELECT 1 FROM trends_tag_minute WHERE tag = %s LIMIT 1", [tag]))
