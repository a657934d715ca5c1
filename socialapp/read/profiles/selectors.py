"""Reads of profiles and follow lists: `read` alias only. Only registered, active users show
(not deactivated, not suspended). Profiles come back as JSON text that PostgreSQL renders in
the shape of the `...Out` serializers (socialapp/read/common/rendered.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from socialapp.read.common.rendered import iso_datetime
from socialapp.read.common.sql import fetchall, fetchone
from socialapp.read.common.visibility import account_listed, blocking, muting, requesting

VISIBLE = "p.registered_at IS NOT NULL AND p.deactivated_at IS NULL AND NOT p.suspended"
# ProfileOut's members, in its order; each caller appends its own (overlay, e-mail, since).
PROFILE_MEMBERS = (
    "'id', p.user_id::text, 'username', p.username, 'display_name', p.display_name, 'bio', p.bio,"
    f" 'registered_at', {iso_datetime('p.registered_at')}, 'follower_count', p.follower_count,"
    " 'following_count', p.following_count, 'post_count', p.post_count"
)
FOLLOWS = "EXISTS (SELECT 1 FROM read_follow_edge e WHERE e.follower_id = {} AND e.followee_id = {} AND e.active)"


# The viewer's relations with the profile's account (false when anonymous): primary-key probes of
# the relations projector's tables, as the visibility rule makes them.
RELATION_MEMBERS = (
    f"'blocking', {blocking('%(v)s', 'p.user_id')}, 'blocked_by', {blocking('p.user_id', '%(v)s')},"
    f" 'muting', {muting('%(v)s', 'p.user_id')}, 'requested', {requesting('%(v)s', 'p.user_id')}"
)


def profile_id(*, username: str) -> int | None:
    """The id of a visible profile (lists keyed by user need it before their page query)."""
    row = fetchone(f"SELECT p.user_id FROM read_profile p WHERE p.username_lower = lower(%s) AND {VISIBLE}", [username])
    return row[0] if row else None


def profile_by_username(*, username: str, viewer_id: int | None) -> tuple[int, str] | None:
    """(version, PublicProfileOut JSON text), with the viewer's follow overlay."""
    return fetchone(
        f"SELECT p.version, json_build_object({PROFILE_MEMBERS},"
        f" 'followed_by_me', {FOLLOWS.format('%(v)s', 'p.user_id')},"
        f" 'follows_me', {FOLLOWS.format('p.user_id', '%(v)s')}, {RELATION_MEMBERS})::text"
        f" FROM read_profile p WHERE p.username_lower = lower(%(u)s) AND {VISIBLE}",
        {"u": username, "v": viewer_id},
    )


def own_profile(*, user_id: int, email: str) -> tuple[int, str] | None:
    """(version, MeOut JSON text). The e-mail is in no read model: the caller passes the one its
    authenticated session holds."""
    return fetchone(
        f"SELECT p.version, json_build_object({PROFILE_MEMBERS}, 'email', %(e)s::text)::text"
        f" FROM read_profile p WHERE p.user_id = %(u)s AND {VISIBLE}",
        {"u": user_id, "e": email},
    )


def follow_list(
    *, user_id: int, direction: str, after: tuple[str, int] | None, limit: int, viewer_id: int | None = None
) -> list[tuple[datetime, int, str]]:
    """Followers or following, most recent follow first, as (since, other user id,
    FollowListItemOut JSON text); keyed by (since, other user id). Accounts blocked either way
    with `viewer_id` are left out (the one visibility rule's account_listed)."""
    me, other = ("followee_id", "follower_id") if direction == "followers" else ("follower_id", "followee_id")
    params: dict[str, Any] = {
        "u": user_id,
        "s": after[0] if after else None,
        "o": after[1] if after else None,
        "n": limit,
        "v": viewer_id,
    }
    return fetchall(
        f"SELECT e.since, e.{other}, json_build_object({PROFILE_MEMBERS}, 'since', {iso_datetime('e.since')})::text"
        f" FROM read_follow_edge e JOIN read_profile p ON p.user_id = e.{other}"
        f" WHERE e.{me} = %(u)s AND e.active AND {VISIBLE} AND {account_listed(f'e.{other}', '%(v)s')}"
        f" AND (%(s)s::timestamptz IS NULL OR (e.since, e.{other}) < (%(s)s::timestamptz, %(o)s))"
        f" ORDER BY e.since DESC, e.{other} DESC LIMIT %(n)s",
        params,
    )
