"""Follow commands. Lock order and versioning: socialapp.write.common.aggregates."""

from __future__ import annotations

from django.db import transaction

from socialapp.common.errors import NotFound, ValidationFailed
from socialapp.events.catalogue import EventType
from socialapp.write.accounts.models import User
from socialapp.write.common.aggregates import lock_active_actor, set_active
from socialapp.write.follows.models import Follow


def _followee(follower: User, username: str) -> User:
    target = User.objects.filter(username__iexact=username).only("id").first()
    if target is None:
        raise NotFound("No such user.")
    if target.pk == follower.pk:
        raise ValidationFailed.on("username", "You cannot follow yourself.")
    # Both users FOR SHARE in id order: a racing deactivation of either waits for us.
    followee = lock_active_actor(follower.pk, target.pk)[target.pk]
    if followee.deactivated_at is not None or followee.suspended_at is not None:
        raise NotFound("No such user.")
    return followee


def _set_follow(*, follower: User, username: str, active: bool) -> tuple[Follow | None, bool]:
    followee = _followee(follower, username)
    follow, changed = set_active(
        Follow,
        {"follower_id": follower.pk, "followee_id": followee.pk},
        active=active,
        event_type=EventType.USER_FOLLOWED if active else EventType.USER_UNFOLLOWED,
        actor_id=follower.pk,
        payload=lambda row: {
            "follower_id": follower.pk,
            "followee_id": followee.pk,
            "follower_username": follower.username,
            "followee_username": followee.username,
            "at": row.changed_at.isoformat(),
        },
    )
    if follow is not None:
        follow.followee = followee  # already loaded: the caller need not fetch it again
    return follow, changed


@transaction.atomic
def user_follow(*, follower: User, username: str) -> tuple[Follow, bool]:
    """Follow; following twice changes nothing (racing duplicates: see aggregates.set_active)."""
    return _set_follow(follower=follower, username=username, active=True)  # type: ignore[return-value]  # never None


@transaction.atomic
def user_unfollow(*, follower: User, username: str) -> tuple[Follow | None, bool]:
    """Unfollow; unfollowing who is not followed changes nothing."""
    return _set_follow(follower=follower, username=username, active=False)
