"""Reads of profiles and follow lists: `read` alias only. Only registered, active users show
(not deactivated, not suspended)."""

from __future__ import annotations

from typing import Any

from socialapp.read.common.sql import fetchdicts

VISIBLE = "p.registered_at IS NOT NULL AND p.deactivated_at IS NULL AND NOT p.suspended"
PUBLIC_COLUMNS = (
    "p.user_id, p.username, p.display_name, p.bio, p.registered_at, p.follower_count, p.following_count, p.post_count,"
    " p.version"
)


def profile_by_username(*, username: str, viewer_id: int | None) -> dict[str, Any] | None:
    rows = fetchdicts(
        f"SELECT {PUBLIC_COLUMNS}, EXISTS (SELECT 1 FROM read_follow_edge e WHERE e.follower_id = %(v)s"
        f" AND e.followee_id = p.user_id AND e.active) AS followed_by_me, EXISTS (SELECT 1 FROM read_follow_edge e"
        f" WHERE e.follower_id = p.user_id AND e.followee_id = %(v)s AND e.active) AS follows_me"
        f" FROM read_profile p WHERE p.username_lower = lower(%(u)s) AND {VISIBLE}",
        {"u": username, "v": viewer_id},
    )
    return rows[0] if rows else None


def own_profile(*, user_id: int) -> dict[str, Any] | None:
    """The owner's view (the view adds the e-mail, which no read model holds)."""
    rows = fetchdicts(f"SELECT {PUBLIC_COLUMNS} FROM read_profile p WHERE p.user_id = %s AND {VISIBLE}", [user_id])
    return rows[0] if rows else None


def follow_list(*, user_id: int, direction: str, after: tuple[str, int] | None, limit: int) -> list[dict[str, Any]]:
    """Followers or following, most recent follow first; keyed by (since, other user id)."""
    me, other = ("followee_id", "follower_id") if direction == "followers" else ("follower_id", "followee_id")
    return fetchdicts(
        f"SELECT {PUBLIC_COLUMNS}, e.since FROM read_follow_edge e JOIN read_profile p ON p.user_id = e.{other}"
        f" WHERE e.{me} = %(u)s AND e.active AND {VISIBLE}"
        f" AND (%(s)s::timestamptz IS NULL OR (e.since, e.{other}) < (%(s)s::timestamptz, %(o)s))"
        f" ORDER BY e.since DESC, e.{other} DESC LIMIT %(n)s",
        {"u": user_id, "s": after[0] if after else None, "o": after[1] if after else None, "n": limit},
    )
