"""Reads of a user's own notifications (never anyone else's: callers pass request.user). Keyed
on `seq`, which one recipient's notifications commit in increasing order (models.py), so a
cursor or read marker never has a late notification appear behind it."""

from __future__ import annotations

from socialapp.read.common.rendered import iso_datetime
from socialapp.read.common.sql import fetchall, fetchone
from socialapp.read.common.visibility import Context, actor_shown, comment_visible, post_visible

# The recipient's read marker: everything at or below it is read.
MARKER = "COALESCE((SELECT up_to FROM read_notification_marker WHERE recipient_id = %(r)s), 0)"
# What the recipient cleared (everything up to a marker) or dismissed (one by one) is hidden from
# every view of their notifications, both APIs' (dismissals.py writes both; not projected).
KEPT = (
    "n.seq > COALESCE((SELECT up_to FROM read_notification_cleared WHERE recipient_id = %(r)s), 0)"
    " AND NOT EXISTS (SELECT 1 FROM read_notification_dismissed d WHERE d.recipient_id = %(r)s AND d.seq = n.seq)"
)
# What a suspended user caused is hidden while the suspension lasts (and comes back after).
SHOWN = (
    f"NOT EXISTS (SELECT 1 FROM read_notification_suspension s WHERE s.user_id = n.actor_id AND s.suspended) AND {KEPT}"
)
# The one visibility rule, for the recipient (%(r)s): nothing from an actor blocked either way or
# muted with notifications, and nothing about a post or comment the recipient may not see
# (NOTIFICATIONS context), whatever the kind (a notification without a status has both NULL).
# Checked at read time, so a block or a mute takes effect at once, and an unblock brings back
# what was hidden, with no rewrite of the stored notifications.
RECIPIENT_MAY_SEE = (
    f"({actor_shown('n.actor_id', '%(r)s')}"
    " AND (n.post_id IS NULL OR EXISTS (SELECT 1 FROM read_post p WHERE p.post_id = n.post_id"
    f" AND {post_visible('p', '%(r)s', Context.NOTIFICATIONS)}))"
    " AND (n.comment_id IS NULL OR EXISTS (SELECT 1 FROM read_comment c WHERE c.comment_id = n.comment_id"
    f" AND {comment_visible('c', '%(r)s', Context.NOTIFICATIONS)})))"
)


# NotificationOut's shape, rendered by PostgreSQL (socialapp/read/common/rendered.py).
NOTIFICATION_JSON = (
    "json_build_object('id', n.seq::text, 'kind', n.kind, 'actor', json_build_object('id', n.actor_id::text,"
    " 'username', n.actor_username), 'post_id', n.post_id::text, 'comment_id', n.comment_id::text,"
    " 'report', CASE WHEN n.report_id IS NOT NULL THEN json_build_object('id', n.report_id::text,"
    " 'action', n.report_action) END,"
    f" 'created_at', {iso_datetime('n.created_at')}, 'unread', n.seq > {MARKER})::text"
)


def notifications(
    *, recipient_id: int, before: int | None, limit: int, since: int | None = None
) -> list[tuple[int, str]]:
    """Newest first, as (seq, JSON text); `since`: only those with a higher id (a resume after a
    stream disconnect: one recipient's ids commit in increasing order, models.py, so no
    notification can appear below an id the client already received)."""
    return fetchall(
        f"SELECT n.seq, {NOTIFICATION_JSON}"
        " FROM read_notification n WHERE n.recipient_id = %(r)s AND (%(b)s::bigint IS NULL OR n.seq < %(b)s)"
        " AND (%(s)s::bigint IS NULL OR n.seq > %(s)s)"
        f" AND {SHOWN} AND {RECIPIENT_MAY_SEE}"
        " ORDER BY n.seq DESC LIMIT %(n)s",
        {"r": recipient_id, "b": before, "n": limit, "s": since},
    )


def unread_count(recipient_id: int) -> int:
    row = fetchone(
        f"SELECT count(*) FROM read_notification n WHERE n.recipient_id = %(r)s AND n.seq > {MARKER} AND {SHOWN}"
        f" AND {RECIPIENT_MAY_SEE}",
        {"r": recipient_id},
    )
    return int(row[0]) if row else 0
