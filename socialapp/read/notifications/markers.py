"""The read marker: the read side's own small command, not a projection.

Which notifications a user has read is state only the query side holds (no event records it,
and a rebuild keeps `read_notification_marker`, which no projector owns). Marking read is
therefore a write of the read database by this module alone, in one upsert that only moves the
marker forward (two tabs marking at once never move it back).
"""

from __future__ import annotations

from socialapp.read.common.sql import execute, fetchone
from socialapp.read.notifications.selectors import unread_count


def mark_read(*, recipient_id: int, up_to: int | None = None) -> int:
    """Mark the recipient's notifications up to `up_to` (default: all) read; returns how many
    are still unread."""
    if up_to is None:
        row = fetchone("SELECT max(seq) FROM read_notification WHERE recipient_id = %s", [recipient_id])
        up_to = (row[0] if row else None) or 0
    execute(
        "INSERT INTO read_notification_marker (recipient_id, up_to) VALUES (%s, %s) ON CONFLICT (recipient_id)"
        " DO UPDATE SET up_to = GREATEST(read_notification_marker.up_to, EXCLUDED.up_to)",
        [recipient_id, up_to],
    )
    return unread_count(recipient_id)
