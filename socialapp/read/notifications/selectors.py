"""Reads of a user's own notifications (never anyone else's: callers pass request.user)."""

from __future__ import annotations

from typing import Any

from socialapp.read.common.sql import fetchdicts


def notifications(*, recipient_id: int, before: int | None, limit: int) -> list[dict[str, Any]]:
    return fetchdicts(
        "SELECT n.position, n.kind, n.actor_id, n.actor_username, n.post_id, n.comment_id, n.created_at,"
        " n.position > COALESCE((SELECT up_to FROM read_notification_marker WHERE recipient_id = %(r)s), 0) AS unread"
        " FROM read_notification n WHERE n.recipient_id = %(r)s AND (%(b)s::bigint IS NULL OR n.position < %(b)s)"
        " ORDER BY n.position DESC LIMIT %(n)s",
        {"r": recipient_id, "b": before, "n": limit},
    )
