"""Block, mute and follow-request commands, and the block check every interaction asks.

Lock order (socialapp.write.common.aggregates): users FOR SHARE (ascending id) -> (post ->
comment, for a like or comment) -> the pair lock of two users -> block / mute row -> follow
request row -> follow row. The pair lock is a
transaction-scoped advisory lock on the unordered pair: a block takes it exclusively, every
interaction that a block forbids (follow, approve, like, comment) takes it shared before it
checks for a block (`refuse_if_blocked`). So a follow racing a block either commits first and is
then removed by the block, or waits for the block's commit and is refused; without it a follow
could slip in between the block's check and its commit and survive it.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from socialapp.common import prepared
from socialapp.common.errors import NotAuthorized, NotFound, ValidationFailed
from socialapp.events.catalogue import EventType
from socialapp.write.accounts.models import User
from socialapp.write.common.aggregates import lock_active_actor, save_and_append, set_active
from socialapp.write.follows.models import Follow
from socialapp.write.relations.models import Block, FollowRequest, Mute

BLOCKED_DETAIL = "Not allowed: one of you blocks the other."
MUTE_DURATION_MAX = 10 * 365 * 24 * 3600  # ten years; longer is "forever" (0) in all but name


def _pair_lock(a_id: int, b_id: int, *, exclusive: bool) -> None:
    """The advisory lock of the unordered pair {a, b} (see the module docstring)."""
    low, high = sorted((a_id, b_id))
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    with prepared.cursor() as cursor:  # two texts, each prepared once per connection
        cursor.execute(f"SELECT {function}(hashtextextended(%s, 0))", [f"relation-pair:{low}:{high}"])


def blocked_between(a_id: int, b_id: int) -> bool:
    """Whether either of the two blocks the other (an active block, either way)."""
    with prepared.cursor() as cursor:  # written out and prepared: every like, comment and follow asks
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM relations_block WHERE active AND"
            " ((blocker_id = %s AND blocked_id = %s) OR (blocker_id = %s AND blocked_id = %s)))",
            [a_id, b_id, b_id, a_id],
        )
        return bool(cursor.fetchone()[0])


def refuse_if_blocked(a_id: int, *others: int | None) -> None:
    """Refuse (403 problem) an interaction of `a_id` with any of `others` (None and `a_id`
    itself skipped) when a block stands between them. Call it inside the command's transaction:
    it holds each pair's lock shared until the commit, so a racing block waits for it."""
    for b_id in sorted({o for o in others if o is not None and o != a_id}):
        _pair_lock(a_id, b_id, exclusive=False)
        if blocked_between(a_id, b_id):
            raise NotAuthorized(BLOCKED_DETAIL)


def _actor_and_target(actor: User, target_id: int, *, verb: str, live: bool) -> tuple[User, User]:
    """Both users FOR SHARE (ascending id); the actor active, the target existing (and, when
    `live`, not deactivated: blocking or muting a closed account is pointless, lifting it is not)."""
    if target_id == actor.pk:
        raise ValidationFailed.on("account", f"You cannot {verb} yourself.")
    users = lock_active_actor(actor.pk, target_id)
    target = users.get(target_id)
    if target is None or (live and target.deactivated_at is not None):
        raise NotFound("No such user.")
    return users[actor.pk], target


def follow_payload(follower: User, followee: User, row: Follow | FollowRequest) -> dict:
    """The payload of user.followed/unfollowed and of every follow.request_* event."""
    return {
        "follower_id": follower.pk,
        "followee_id": followee.pk,
        "follower_username": follower.username,
        "followee_username": followee.username,
        "at": row.changed_at.isoformat(),
    }


def end_follow_request(follower: User, followee: User, *, event_type: str, actor_id: int) -> FollowRequest | None:
    """End a pending request of `follower` to `followee` with `event_type` (approved, rejected or
    withdrawn); returns the request if it was pending, None if there was none."""
    request, changed = set_active(
        FollowRequest,
        {"follower_id": follower.pk, "followee_id": followee.pk},
        active=False,
        event_type=event_type,
        actor_id=actor_id,
        payload=lambda row: follow_payload(follower, followee, row),
    )
    if not changed:
        return None
    request.follower, request.followee = follower, followee  # type: ignore[union-attr]  # changed: a row
    return request


def end_follow(follower: User, followee: User, *, actor_id: int) -> bool:
    """Unfollow through the Follow aggregate (its version bumps); whether there was a follow."""
    _follow, changed = set_active(
        Follow,
        {"follower_id": follower.pk, "followee_id": followee.pk},
        active=False,
        event_type=EventType.USER_UNFOLLOWED,
        actor_id=actor_id,
        payload=lambda row: follow_payload(follower, followee, row),
    )
    return changed


@transaction.atomic
def user_block(*, actor: User, target_id: int) -> tuple[Block, bool]:
    """Block `target_id`. Ends, in the same transaction and with their own events, every follow
    and pending follow request between the two, either way: the actor's own request is
    withdrawn, the target's request to the actor is rejected. Blocking again changes nothing."""
    actor, target = _actor_and_target(actor, target_id, verb="block", live=True)
    _pair_lock(actor.pk, target.pk, exclusive=True)
    block, changed = set_active(
        Block,
        {"blocker_id": actor.pk, "blocked_id": target.pk},
        active=True,
        event_type=EventType.USER_BLOCKED,
        actor_id=actor.pk,
        payload=lambda row: {"blocker_id": actor.pk, "blocked_id": target.pk, "at": row.changed_at.isoformat()},
    )
    # Also when the block already stood: each step appends only if there is something to end.
    end_follow_request(actor, target, event_type=EventType.FOLLOW_REQUEST_WITHDRAWN, actor_id=actor.pk)
    end_follow_request(target, actor, event_type=EventType.FOLLOW_REQUEST_REJECTED, actor_id=actor.pk)
    end_follow(actor, target, actor_id=actor.pk)
    end_follow(target, actor, actor_id=actor.pk)
    block.blocked = target  # type: ignore[union-attr]  # already loaded: the caller need not fetch it again
    return block, changed  # type: ignore[return-value]  # activating never gives None


@transaction.atomic
def user_unblock(*, actor: User, target_id: int) -> tuple[Block | None, bool]:
    """Lift a block. Follows ended by it stay ended. Unblocking who is not blocked changes nothing."""
    actor, target = _actor_and_target(actor, target_id, verb="unblock", live=False)
    _pair_lock(actor.pk, target.pk, exclusive=True)
    return set_active(
        Block,
        {"blocker_id": actor.pk, "blocked_id": target.pk},
        active=False,
        event_type=EventType.USER_UNBLOCKED,
        actor_id=actor.pk,
        payload=lambda row: {"blocker_id": actor.pk, "blocked_id": target.pk, "at": row.changed_at.isoformat()},
    )


def _mute_row(muter_id: int, muted_id: int) -> Mute:
    """The mute row of the pair, FOR UPDATE, created (version 0, inactive) if missing; a racing
    creation waits on the unique index and then finds the winner's row."""
    with connection.cursor() as cursor:
        cursor.execute(
            'INSERT INTO "relations_mute" (version, active, notifications, muter_id, muted_id)'
            " VALUES (0, false, true, %s, %s) ON CONFLICT (muter_id, muted_id) DO NOTHING",
            [muter_id, muted_id],
        )
    return Mute.objects.select_for_update().get(muter_id=muter_id, muted_id=muted_id)


def mute_expiry(duration: int | None) -> timedelta | None:
    """The mute's length from `duration` seconds (0 or None: forever); refuses anything else."""
    if isinstance(duration, bool) or not isinstance(duration, int | None) or (duration or 0) < 0:
        raise ValidationFailed.on("duration", "duration must be a whole number of seconds, 0 or more.")
    if not duration:
        return None
    if duration > MUTE_DURATION_MAX:
        raise ValidationFailed.on("duration", f"duration must be at most {MUTE_DURATION_MAX} seconds (or 0: forever).")
    return timedelta(seconds=duration)


@transaction.atomic
def user_mute(
    *, actor: User, target_id: int, notifications: bool = True, duration: int | None = None
) -> tuple[Mute, bool]:
    """Mute `target_id` (`notifications`: their notifications too; `duration` seconds, 0 or None
    forever). Muting again with other options (or a new duration) appends another user.muted;
    the same options on a standing mute without expiry change nothing. An expired mute is no
    mute: muting again starts a new one."""
    length = mute_expiry(duration)
    actor, target = _actor_and_target(actor, target_id, verb="mute", live=True)
    mute = _mute_row(actor.pk, target.pk)
    mute.muted = target
    notifications = bool(notifications)
    if mute.in_effect and length is None and mute.expires_at is None and mute.notifications == notifications:
        return mute, False
    now = timezone.now()
    mute.active, mute.notifications, mute.changed_at = True, notifications, now
    mute.expires_at = None if length is None else now + length
    save_and_append(
        mute,
        update_fields=["active", "notifications", "expires_at", "changed_at"],
        event_type=EventType.USER_MUTED,
        actor_id=actor.pk,
        payload={
            "muter_id": actor.pk,
            "muted_id": target.pk,
            "notifications": notifications,
            "expires_at": None if mute.expires_at is None else mute.expires_at.isoformat(),
            "at": now.isoformat(),
        },
    )
    return mute, True


@transaction.atomic
def user_unmute(*, actor: User, target_id: int) -> tuple[Mute | None, bool]:
    """Lift a mute. Unmuting who is not muted (or whose mute has expired) changes nothing."""
    actor, target = _actor_and_target(actor, target_id, verb="unmute", live=False)
    mute = Mute.objects.select_for_update().filter(muter_id=actor.pk, muted_id=target.pk).first()
    if mute is None or not mute.in_effect:
        return mute, False
    mute.active, mute.changed_at = False, timezone.now()
    save_and_append(
        mute,
        update_fields=["active", "changed_at"],
        event_type=EventType.USER_UNMUTED,
        actor_id=actor.pk,
        payload={"muter_id": actor.pk, "muted_id": target.pk, "at": mute.changed_at.isoformat()},
    )
    return mute, True


def _requester(owner: User, follower_id: int) -> tuple[User, User]:
    users = lock_active_actor(owner.pk, follower_id)
    follower = users.get(follower_id)
    if follower is None or follower_id == owner.pk:
        raise NotFound("No pending follow request from this user.")
    return users[owner.pk], follower


def _not_pending() -> NotFound:
    return NotFound("No pending follow request from this user.")


@transaction.atomic
def follow_request_approve(*, owner: User, follower_id: int) -> FollowRequest:
    """Approve a pending request to `owner`: follow.request_approved and user.followed (through
    the Follow aggregate) in one transaction. A follower since deactivated or suspended cannot
    become a follower; its request stays for the owner to reject."""
    owner, follower = _requester(owner, follower_id)
    if follower.deactivated_at is not None or follower.suspended_at is not None:
        raise _not_pending()
    _pair_lock(owner.pk, follower.pk, exclusive=False)
    request = end_follow_request(follower, owner, event_type=EventType.FOLLOW_REQUEST_APPROVED, actor_id=owner.pk)
    if request is None:
        raise _not_pending()
    set_active(
        Follow,
        {"follower_id": follower.pk, "followee_id": owner.pk},
        active=True,
        event_type=EventType.USER_FOLLOWED,
        actor_id=owner.pk,
        payload=lambda row: follow_payload(follower, owner, row),
    )
    return request


@transaction.atomic
def follow_request_reject(*, owner: User, follower_id: int) -> FollowRequest:
    """Reject a pending request to `owner` (the requester may ask again)."""
    owner, follower = _requester(owner, follower_id)
    request = end_follow_request(follower, owner, event_type=EventType.FOLLOW_REQUEST_REJECTED, actor_id=owner.pk)
    if request is None:
        raise _not_pending()
    return request
