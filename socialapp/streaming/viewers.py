"""What a connection knows of its viewer, loaded from the read database on connect and again
when it changes: the relations the visibility rule needs (socialapp.read.common.visibility.
viewer_relations: blocks both ways, unexpired mutes, approved follows), the followees whose posts
the home feed does not fan out (their `author.<id>` keys are bound for this viewer), and when the
earliest mute ends (the relations are reloaded then, so the muted author's statuses come back on
time, as the timeline query's expiry test lets them).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from socialapp.read.common.sql import fetchall, fetchone
from socialapp.read.common.visibility import Relations, viewer_relations


@dataclass(frozen=True)
class ViewerState:
    relations: Relations
    celebrities: frozenset[int]  # followees above FEED_CELEBRITY_THRESHOLD: not fanned out
    mute_expires_at: float | None  # epoch seconds of the earliest mute still to expire


def load(user_id: int) -> ViewerState:
    relations = viewer_relations(user_id)
    assert relations is not None
    # The home feed's rule (socialapp.read.feeds.projectors.home_feed): an author with more than
    # FEED_CELEBRITY_THRESHOLD followers is not fanned out; its followers' feeds merge its posts
    # at read time, so their streams listen to the author's key.
    celebrities = fetchall(
        "SELECT f.followee_id FROM feed_follow f JOIN feed_author a ON a.user_id = f.followee_id"
        " WHERE f.follower_id = %s AND f.active AND a.follower_count > %s",
        [user_id, settings.FEED_CELEBRITY_THRESHOLD],
    )
    expiry = fetchone(
        "SELECT extract(epoch FROM min(expires_at)) FROM read_mute"
        " WHERE muter_id = %s AND active AND expires_at > now()",
        [user_id],
    )
    return ViewerState(
        relations=relations,
        celebrities=frozenset(int(row[0]) for row in celebrities),
        mute_expires_at=None if not expiry or expiry[0] is None else float(expiry[0]),
    )
