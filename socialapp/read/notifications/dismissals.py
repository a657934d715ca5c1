"""Clearing and dismissing notifications: the read side's own small command, not a projection.

Like the read marker (markers.py), what a reader chose to stop seeing is their own view of their
notifications: no event records it (nothing in the write model changes, nobody else is
affected), so only the query side holds it, in tables no projector owns
(`read_notification_cleared`, `read_notification_dismissed`): a rebuild keeps them, and because a
notification keeps its id across rebuilds (NotificationRef), they still name the same ones.
The selectors apply them (selectors.KEPT). Clearing stores one marker (the newest id at the time:
a notification that arrives later is shown), never one row per notification.
"""

from __future__ import annotations

from socialapp.common.replicas import stick_to_primary
from socialapp.read.common.sql import READ, execute, fetchone


def clear(*, recipient_id: int) -> None:
    """Hide every notification the recipient has now (the marker only moves forward)."""
    # One statement on the primary: a lagging replica must not pick an older marker.
    stick_to_primary()
    row = fetchone(
        "INSERT INTO read_notification_cleared (recipient_id, up_to)"
        " SELECT %(r)s, COALESCE(max(seq), 0) FROM read_notification WHERE recipient_id = %(r)s"
        " ON CONFLICT (recipient_id) DO UPDATE SET up_to = GREATEST(read_notification_cleared.up_to, EXCLUDED.up_to)"
        " RETURNING up_to",
        {"r": recipient_id},
        using=READ,
    )
    up_to = row[0] if row else 0
    # Dismissals at or below the marker say nothing more: drop them (keeps the table small).
    execute("DELETE FROM read_notification_dismissed WHERE recipient_id = %s AND seq <= %s", [recipient_id, up_to])


def dismiss(*, recipient_id: int, seq: int) -> None:
    """Hide one notification of the recipient's (idempotent)."""
    execute(
        "INSERT INTO read_notification_dismissed (recipient_id, seq) VALUES (%s, %s) ON CONFLICT DO NOTHING",
        [recipient_id, seq],
    )
