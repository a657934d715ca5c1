"""Reads of a user's own notifications (never anyone else's: callers pass request.user). Keyed
on `seq`, which one recipient's notifications commit in increasing order (models.py), so a
cursor or read marker never has a late notification appear behind it."""

from __future__ import annotations

from typing import Any

from socialapp.read.common.sql import fetchdicts, fetchone

# The recipient's read marker: everything at or below it is read.
MARKER = "COALESCE((SELECT up_to FROM read_notification_marker WHERE recipient_id = %(r)s), 0)"
# What a suspended user caused is hidden while the suspension lasts (and comes back after).
SHOWN = "NOT EXISTS (SELECT 1 FROM read_notification_suspension s WHERE s.user_id = n.actor_id AND s.suspended)"


def notifications(*, recipient_id: int, before: int | None, limit: int) -> list[dict[str, Any]]:
    return fetchdicts(
        "SELECT n.seq, n.kind, n.actor_id, n.actor_username, n.post_id, n.comment_id, n.created_at,"
        f" n.seq > {MARKER} AS unread"
        " FROM read_notification n WHERE n.recipient_id = %(r)s AND (%(b)s::bigint IS NULL OR n.seq < %(b)s)"
        f" AND {SHOWN}"
        " ORDER BY n.seq DESC LIMIT %(n)s",
        {"r": recipient_id, "b": before, "n": limit},
    )


def unread_count(recipient_id: int) -> int:
    row = fetchone(
        f"SELECT count(*) FROM read_notification n WHERE n.recipient_id = %(r)s AND n.seq > {MARKER} AND {SHOWN}",
        {"r": recipient_id},
    )
    return int(row[0]) if row else 0
