"""Reads of the caller's own relations: whom they block, whom they mute, who asks to follow them.

Each list is the relations projector's table (socialapp.read.relations.models), newest first by
`position` (the log position of the event that set the row: the same order whatever order the
events arrived in) through its partial list index, joined to the profile read model for the
account's name. Like every list of ours, items come back as (key, JSON text) rendered by
PostgreSQL (socialapp/read/common/rendered.py). Only the caller's own rows are ever read: the
callers pass request.user.
"""

from __future__ import annotations

from socialapp.read.common.rendered import iso_datetime
from socialapp.read.common.sql import fetchall
from socialapp.read.common.visibility import mute_in_force
from socialapp.read.profiles.selectors import VISIBLE as PROFILE_SHOWN

# The account an item is about, in the shape of our other short account objects.
ACCOUNT_JSON = "'id', p.user_id::text, 'username', p.username, 'display_name', p.display_name"
BEFORE = "(%(b)s::bigint IS NULL OR r.position < %(b)s)"


def blocks(*, user_id: int, before: int | None, limit: int) -> list[tuple[int, str]]:
    """The accounts `user_id` blocks, most recent block first, as (position, JSON text)."""
    return fetchall(
        f"SELECT r.position, json_build_object({ACCOUNT_JSON})::text"
        " FROM read_block r JOIN read_profile p ON p.user_id = r.blocked_id"
        f" WHERE r.blocker_id = %(u)s AND r.active AND {BEFORE} AND {PROFILE_SHOWN}"
        " ORDER BY r.position DESC LIMIT %(n)s",
        {"u": user_id, "b": before, "n": limit},
    )


def mutes(*, user_id: int, before: int | None, limit: int) -> list[tuple[int, str]]:
    """The accounts `user_id` mutes (an expired mute is over: not listed), most recent first,
    with whether notifications are muted too and when the mute ends (null: never)."""
    return fetchall(
        f"SELECT r.position, json_build_object({ACCOUNT_JSON}, 'notifications', r.notifications,"
        f" 'expires_at', {iso_datetime('r.expires_at')})::text"
        " FROM read_mute r JOIN read_profile p ON p.user_id = r.muted_id"
        f" WHERE r.muter_id = %(u)s AND {mute_in_force('r')}"
        f" AND {BEFORE} AND {PROFILE_SHOWN}"
        " ORDER BY r.position DESC LIMIT %(n)s",
        {"u": user_id, "b": before, "n": limit},
    )


def follow_requests(*, user_id: int, before: int | None, limit: int) -> list[tuple[int, str]]:
    """The pending requests to follow `user_id`, most recent first, with when each was made."""
    return fetchall(
        f"SELECT r.position, json_build_object({ACCOUNT_JSON}, 'requested_at', {iso_datetime('r.requested_at')})::text"
        " FROM read_follow_request r JOIN read_profile p ON p.user_id = r.follower_id"
        f" WHERE r.followee_id = %(u)s AND r.active AND {BEFORE} AND {PROFILE_SHOWN}"
        " ORDER BY r.position DESC LIMIT %(n)s",
        {"u": user_id, "b": before, "n": limit},
    )
