"""Read markers: the read side's own small command, not a projection.

Which notifications a user has read is state only the query side holds (no event records it,
and a rebuild keeps `read_notification_marker`, which no projector owns). Marking read is
therefore a write of the read database by this module alone, in one upsert that only moves the
marker forward (two tabs marking at once never move it back).

The same row is Mastodon's `notifications` marker (`/api/v1/markers`), so our own API's unread
count and Mastodon's agree with whatever either client marked. Mastodon's `home` marker (the last
home-timeline status read) is the same kind of state, kept beside it in `read_home_marker`. Each
marker carries Mastodon's `version` (one more on every change, none when a write leaves it where
it was) and `updated_at` (when it last moved).
"""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from socialapp.common.replicas import stick_to_primary
from socialapp.read.common.sql import READ, execute, fetchone
from socialapp.read.notifications.selectors import unread_count


class Marker(TypedDict):
    last_read_id: int
    version: int
    updated_at: datetime | None


# timeline -> (table, owner column, position column)
_TABLES = {
    "notifications": ("read_notification_marker", "recipient_id", "up_to"),
    "home": ("read_home_marker", "user_id", "last_read_id"),
}
TIMELINES = tuple(_TABLES)


def _move(timeline: str, user_id: int, position: int) -> None:
    """Move a marker forward to `position` (never back); bumps `version` only when it moves."""
    table, owner, column = _TABLES[timeline]
    execute(
        f"INSERT INTO {table} ({owner}, {column}, version, updated_at) VALUES (%s, %s, 1, now())"
        f" ON CONFLICT ({owner}) DO UPDATE SET {column} = EXCLUDED.{column},"
        f" version = {table}.version + 1, updated_at = now() WHERE {table}.{column} < EXCLUDED.{column}",
        [user_id, position],
    )


def mark_read(*, recipient_id: int, up_to: int | None = None) -> int:
    """Mark the recipient's notifications up to `up_to` (default: all) read; returns how many
    are still unread."""
    if up_to is None:
        row = fetchone("SELECT max(seq) FROM read_notification WHERE recipient_id = %s", [recipient_id])
        up_to = (row[0] if row else None) or 0
    _move("notifications", recipient_id, up_to)
    return unread_count(recipient_id)


def set_marker(*, user_id: int, timeline: str, last_read_id: int) -> None:
    """Mastodon's `POST /api/v1/markers` for one timeline. The notifications marker is capped at
    the newest notification the user has now, so no client can mark unarrived ones read."""
    stick_to_primary()  # the marker is read back at once: not from a lagging replica
    if timeline == "notifications":
        row = fetchone(
            "SELECT COALESCE(max(seq), 0) FROM read_notification WHERE recipient_id = %s", [user_id], using=READ
        )
        last_read_id = min(last_read_id, row[0] if row else 0)
    _move(timeline, user_id, last_read_id)


def get_markers(*, user_id: int, timelines: tuple[str, ...] | list[str]) -> dict[str, Marker]:
    """The user's markers among `timelines` (unknown names and markers never set are left out,
    as Mastodon answers)."""
    out: dict[str, Marker] = {}
    for timeline in TIMELINES:
        if timeline not in timelines:
            continue
        table, owner, column = _TABLES[timeline]
        row = fetchone(f"SELECT {column}, version, updated_at FROM {table} WHERE {owner} = %s", [user_id])
        if row is not None:
            out[timeline] = {"last_read_id": int(row[0]), "version": int(row[1]), "updated_at": row[2]}
    return out
