"""Worlds for the trends tests: the factory's events, stamped with the times a test chooses
(trends bucket by the events' own occurred_at, so a time-bucket test sets it rather than waits)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from socialapp.read.common.sql import fetchall
from socialapp.read.trends.projector import TABLES
from tests.read.factory import World

#: "Now" for the trends tests: the clock when the module loads (the history endpoints count days
#: back from the real clock); refreshes are asked as of this time.
NOW = datetime.now(UTC).replace(microsecond=0)
ORDER = {
    "trends_post": "post_id",
    "trends_like": "post_id, user_id",
    "trends_comment": "comment_id",
    "trends_author": "user_id",
    "trends_tag_minute": "tag, minute",
    "trends_tag_account_hour": "tag, hour, account_id",
    "trends_post_hour": "post_id, hour",
}
assert set(ORDER) == set(TABLES)


def at(world: World, when: datetime, action: Callable[[], Any]) -> Any:
    """Run one World command; its events claim to have occurred at `when`."""
    start = len(world.events)
    result = action()
    for i in range(start, len(world.events)):
        world.events[i] = dataclasses.replace(world.events[i], occurred_at=when.isoformat())
    return result


def ago(**delta: float) -> datetime:
    return NOW - timedelta(**delta)


def trends_snapshot() -> dict[str, list[tuple]]:
    return {t: fetchall(f"SELECT * FROM {t} ORDER BY {o}") for t, o in ORDER.items()}
