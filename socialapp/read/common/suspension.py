"""Suspension in the read models: a reversible flag, never a scrub.

`user.suspended` / `user.unsuspended` alternate on the user aggregate; each read model keeps the
flag with the version of the event that set it, and only a newer event moves it, so any order
of delivery (and a rebuild from the log) ends on the same flag. Queries filter on it; because
nothing is removed or recounted, lifting a suspension shows everything exactly as it was.
"""

from __future__ import annotations

from socialapp.events.catalogue import EventType
from socialapp.events.projector import EventMessage
from socialapp.read.common.sql import execute


def apply_suspension(table: str, event: EventMessage) -> None:
    """Set `suspended`/`suspension_version` on the user's row of `table` (which must exist:
    the caller creates its placeholder) unless a newer suspension event was applied already."""
    execute(
        f"UPDATE {table} SET suspended = %s, suspension_version = %s WHERE user_id = %s AND suspension_version < %s",
        [
            event.event_type == EventType.USER_SUSPENDED,
            event.aggregate_version,
            int(event.payload["user_id"]),
            event.aggregate_version,
        ],
    )
