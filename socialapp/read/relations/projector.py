"""The relations projector: blocks, mutes, follow requests and approved follows, the facts the
one visibility rule (socialapp.read.common.visibility) consults.

Every table is a toggled aggregate: `versioned_toggle` applies an event unless its row already
holds that version or a newer one, so duplicates and any order of arrival end on the same rows,
and the default replay check and schema-swap rebuild of the base class cover them. Nothing here
is counted, so no handler needs more than its own row lock.

Pushes (socialapp.read.push, after the commit): a change that took effect is a `relations` message
for the stream of each user whose relation sets (visibility.Relations: blocks, blocked_by, mutes,
notification_mutes, follows) it changed, so that their streams reload them: both parties of a
block, the muter of a mute, the follower of a follow. A follow request changes none of the sets
(an approval arrives as `user.followed`): no push.
"""

from __future__ import annotations

from socialapp.events.catalogue import EventType
from socialapp.events.projector import EventMessage, Projector, handles, register
from socialapp.read.common.sql import READ, versioned_toggle
from socialapp.read.push.messages import Kind, route_user
from socialapp.read.push.publisher import event_effect, publish_after_commit

TABLES = ("read_block", "read_mute", "read_follow_request", "read_relation_follow")


@register
class RelationsProjector(Projector):
    name = "relations"
    tables = TABLES

    def _push(self, event: EventMessage, users: list[int], changed: bool) -> None:
        """`relations` for these users' streams, if the event changed their sets. Keyed by the
        first user (the acting one): one message, all of them in CC."""
        if changed:
            message = event_effect(Kind.RELATIONS, users[0], event, recipients=tuple(users))
            publish_after_commit(message, [route_user(u) for u in users], using=READ, projector=self)

    @handles(EventType.USER_BLOCKED, EventType.USER_UNBLOCKED)
    def block(self, event: EventMessage) -> None:
        p = event.payload
        active = event.event_type == EventType.USER_BLOCKED
        was = versioned_toggle(
            "read_block",
            {"blocker_id": int(p["blocker_id"]), "blocked_id": int(p["blocked_id"])},
            event.aggregate_version,
            active=active,
            position=event.position,
        )
        self._push(event, [int(p["blocker_id"]), int(p["blocked_id"])], was is not None and was != active)

    @handles(EventType.USER_MUTED, EventType.USER_UNMUTED)
    def mute(self, event: EventMessage) -> None:
        """A repeated `user.muted` (new options on an active mute) is a newer version: it replaces
        `notifications` and `expires_at`; `user.unmuted` resets them to the defaults, so that the
        row is the same whichever order the events arrive in (an unmute applied before an older
        mute inserts the row, which must then hold what the in-order row holds)."""
        p = event.payload
        muted = event.event_type == EventType.USER_MUTED
        options = (
            {"notifications": bool(p.get("notifications", True)), "expires_at": p.get("expires_at")}
            if muted
            else {"notifications": True, "expires_at": None}
        )
        was = versioned_toggle(
            "read_mute",
            {"muter_id": int(p["muter_id"]), "muted_id": int(p["muted_id"])},
            event.aggregate_version,
            active=muted,
            position=event.position,
            **options,
        )
        # A repeated mute may change its options (notifications, expiry): pushed too.
        self._push(event, [int(p["muter_id"])], was is not None and (was != muted or muted))

    @handles(
        EventType.FOLLOW_REQUESTED,
        EventType.FOLLOW_REQUEST_APPROVED,
        EventType.FOLLOW_REQUEST_REJECTED,
        EventType.FOLLOW_REQUEST_WITHDRAWN,
    )
    def follow_request(self, event: EventMessage) -> None:
        """A request's end clears `requested_at`, so that an ended request's row is the same
        whichever order its events arrive in."""
        p = event.payload
        pending = event.event_type == EventType.FOLLOW_REQUESTED
        versioned_toggle(
            "read_follow_request",
            {"follower_id": int(p["follower_id"]), "followee_id": int(p["followee_id"])},
            event.aggregate_version,
            active=pending,
            position=event.position,
            requested_at=p["at"] if pending else None,
        )

    @handles(EventType.USER_FOLLOWED, EventType.USER_UNFOLLOWED)
    def follow(self, event: EventMessage) -> None:
        p = event.payload
        active = event.event_type == EventType.USER_FOLLOWED
        was = versioned_toggle(
            "read_relation_follow",
            {"follower_id": int(p["follower_id"]), "followee_id": int(p["followee_id"])},
            event.aggregate_version,
            active=active,
        )
        self._push(event, [int(p["follower_id"])], was is not None and was != active)
