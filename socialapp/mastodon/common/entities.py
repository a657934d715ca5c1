"""Mastodon's entities (Account, Status, Tag, Relationship, Notification) from plain rows.

Both halves of the Mastodon face render through here: `queries/` from read-model rows, and
`commands/` from what a command service returned. The rows are plain mappings (TypedDicts
below), so this module knows neither side's models. Shapes follow Mastodon's documentation
and what Mastodon.py and toot read (../shared/notes/mastodon.md): ids are strings, datetimes
are ISO 8601 with milliseconds and `Z`, every key Mastodon sends is present (null or empty when
we have nothing: no media, no custom emojis, no reblogs, no polls).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, NotRequired, TypedDict

from socialapp.mastodon.common.html import render_html

DEFAULT_AVATAR = "/static/mastodon/missing.png"


class AccountRow(TypedDict):
    id: int
    username: str
    display_name: str
    note: str  # plain text (our bio)
    created_at: datetime | None
    followers_count: int
    following_count: int
    statuses_count: int
    last_status_at: NotRequired[datetime | None]
    locked: NotRequired[bool]  # the account approves its followers (read_profile.locked)
    follow_requests_count: NotRequired[int]  # pending requests to follow it: the caller's own only


class MentionRow(TypedDict):
    user_id: int | str
    username: str


class StatusRow(TypedDict):
    id: int
    account: AccountRow
    body: str
    created_at: datetime | None
    edited_at: datetime | None
    spoiler_text: str
    sensitive: bool
    hashtags: list[str]
    mentions: list[MentionRow]
    in_reply_to_id: int | None
    in_reply_to_account_id: int | None
    favourites_count: int
    replies_count: int
    favourited: bool | None  # None: anonymous caller (Mastodon omits the viewer's flags then)
    visibility: NotRequired[str]  # our word (public, unlisted, followers, direct); public if absent
    language: NotRequired[str]  # ISO 639-1 code the client gave; "" or absent: none (null)


def iso(moment: datetime | None) -> str | None:
    """`2025-01-01T12:00:00.000Z`: Mastodon's format (toot parses it; Ruby writes milliseconds)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _day(moment: datetime | None) -> str | None:
    """Mastodon gives the last status's day only (a date, not a datetime)."""
    return moment.astimezone(UTC).date().isoformat() if moment else None


def account(row: AccountRow, *, base_url: str) -> dict[str, Any]:
    username = row["username"]
    avatar = base_url + DEFAULT_AVATAR
    created = row.get("created_at")
    return {
        "id": str(row["id"]),
        "username": username,
        "acct": username,  # a local account: no @domain, as Mastodon writes it
        "display_name": row.get("display_name") or "",
        "locked": bool(row.get("locked", False)),
        "bot": False,
        "discoverable": True,
        "indexable": True,
        "group": False,
        "noindex": False,
        "created_at": iso(created.replace(hour=0, minute=0, second=0, microsecond=0)) if created else None,
        "note": render_html(row.get("note") or "", base_url=base_url),
        "url": f"{base_url}/@{username}",
        "uri": f"{base_url}/users/{username}",
        "avatar": avatar,
        "avatar_static": avatar,
        "header": avatar,
        "header_static": avatar,
        "followers_count": row.get("followers_count", 0),
        "following_count": row.get("following_count", 0),
        "statuses_count": row.get("statuses_count", 0),
        "last_status_at": _day(row.get("last_status_at")),
        "hide_collections": False,
        "emojis": [],
        "fields": [],
        "roles": [],
    }


def credential_account(row: AccountRow, *, base_url: str) -> dict[str, Any]:
    """The caller's own account (verify_credentials, update_credentials): with `source`."""
    out = account(row, base_url=base_url)
    out["source"] = {
        "privacy": "public",
        "sensitive": False,
        "language": None,
        "note": row.get("note") or "",
        "fields": [],
        "follow_requests_count": row.get("follow_requests_count", 0),
        "hide_collections": False,
        "discoverable": True,
        "indexable": True,
    }
    return out


# Our visibility words -> Mastodon's (docs/privacy.md): only `followers` is spelt differently.
MASTODON_VISIBILITY = {"public": "public", "unlisted": "unlisted", "followers": "private", "direct": "direct"}
OUR_VISIBILITY = {mastodon: ours for ours, mastodon in MASTODON_VISIBILITY.items()}


def tag(name: str, *, base_url: str, history: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"name": name, "url": f"{base_url}/tags/{name}", "history": history or [], "following": False}


def mention(row: MentionRow, *, base_url: str) -> dict[str, str]:
    username = str(row["username"])
    return {"id": str(row["user_id"]), "username": username, "acct": username, "url": f"{base_url}/@{username}"}


def status(row: StatusRow, *, base_url: str) -> dict[str, Any]:
    author = account(row["account"], base_url=base_url)
    status_id = str(row["id"])
    favourited = row.get("favourited")
    out: dict[str, Any] = {
        "id": status_id,
        "uri": f"{base_url}/users/{author['username']}/statuses/{status_id}",
        "url": f"{base_url}/@{author['username']}/{status_id}",
        "created_at": iso(row["created_at"]),
        "edited_at": iso(row.get("edited_at")),
        "account": author,
        "content": render_html(
            row["body"], base_url=base_url, mentions=row.get("mentions") or [], hashtags=row.get("hashtags") or []
        ),
        "text": None,
        "visibility": MASTODON_VISIBILITY.get(row.get("visibility") or "public", "public"),
        "sensitive": bool(row.get("sensitive")),
        "spoiler_text": row.get("spoiler_text") or "",
        "language": row.get("language") or None,
        "in_reply_to_id": None if row.get("in_reply_to_id") is None else str(row["in_reply_to_id"]),
        "in_reply_to_account_id": (
            None if row.get("in_reply_to_account_id") is None else str(row["in_reply_to_account_id"])
        ),
        "reblog": None,
        "application": None,
        "media_attachments": [],
        "mentions": [mention(m, base_url=base_url) for m in row.get("mentions") or []],
        "tags": [tag(t, base_url=base_url) for t in row.get("hashtags") or []],
        "emojis": [],
        "card": None,
        "poll": None,
        "reblogs_count": 0,
        "favourites_count": row.get("favourites_count", 0),
        "replies_count": row.get("replies_count", 0),
        "filtered": [],
    }
    if favourited is not None:  # the viewer's own flags: only for an authenticated caller
        out.update(favourited=favourited, reblogged=False, muted=False, bookmarked=False, pinned=False)
    return out


class StatusEditRow(TypedDict):
    """One version of a status (its original or an edit), as Mastodon's StatusEdit shows it."""

    account: AccountRow
    body: str
    spoiler_text: str
    sensitive: bool
    hashtags: list[str]
    mentions: list[MentionRow]
    created_at: datetime | None  # when this version was written


def status_edit(row: StatusEditRow, *, base_url: str) -> dict[str, Any]:
    """Mastodon's StatusEdit (REST::StatusEditSerializer): no id; no polls, media or emojis here."""
    return {
        "content": render_html(
            row["body"], base_url=base_url, mentions=row.get("mentions") or [], hashtags=row.get("hashtags") or []
        ),
        "spoiler_text": row.get("spoiler_text") or "",
        "sensitive": bool(row.get("sensitive")),
        "created_at": iso(row["created_at"]),
        "account": account(row["account"], base_url=base_url),
        "poll": None,
        "media_attachments": [],
        "emojis": [],
    }


def status_source(status_id: int, *, text: str, spoiler_text: str) -> dict[str, str]:
    """Mastodon's StatusSource: what the author typed, for an edit form."""
    return {"id": str(status_id), "text": text, "spoiler_text": spoiler_text}


def relationship(
    account_id: int,
    *,
    following: bool,
    followed_by: bool,
    requested: bool = False,
    requested_by: bool = False,
    blocking: bool = False,
    blocked_by: bool = False,
    muting: bool = False,
    muting_notifications: bool = False,
) -> dict[str, Any]:
    """Mastodon's Relationship (REST::RelationshipSerializer): the caller's relation to one
    account. `muting_notifications` only while `muting` (an expired mute is no mute at all);
    `showing_reblogs` follows the follow or the pending request, as Mastodon's default does."""
    return {
        "id": str(account_id),
        "following": following,
        "showing_reblogs": following or requested,
        "notifying": False,
        "languages": None,
        "followed_by": followed_by,
        "blocking": blocking,
        "blocked_by": blocked_by,
        "muting": muting,
        "muting_notifications": muting and muting_notifications,
        "requested": requested,
        "requested_by": requested_by,
        "domain_blocking": False,
        "endorsed": False,
        "note": "",
    }


def muted_account(row: AccountRow, *, expires_at: datetime | None, base_url: str) -> dict[str, Any]:
    """An Account with `mute_expires_at` (REST::MutedAccountSerializer): GET /api/v1/mutes."""
    out = account(row, base_url=base_url)
    out["mute_expires_at"] = iso(expires_at)
    return out


def notification(
    notification_id: int,
    kind: str,
    created_at: datetime | None,
    actor: dict[str, Any],
    status_entity: dict[str, Any] | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": str(notification_id),
        "type": kind,
        "created_at": iso(created_at),
        "group_key": f"ungrouped-{notification_id}",
        "account": actor,
    }
    if status_entity is not None:
        out["status"] = status_entity
    return out
