"""Follow commands. Lock order and versioning: socialapp.write.common.aggregates."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from socialapp.common.errors import NotFound, ValidationFailed
from socialapp.events.catalogue import AggregateType, EventType
from socialapp.write.accounts.models import User
from socialapp.write.common.aggregates import lock_active_actor, save_and_append
from socialapp.write.follows.models import Follow


def _followee(follower: User, username: str) -> User:
    target = User.objects.filter(username__iexact=username).only("id").first()
    if target is None:
        raise NotFound("No such user.")
    if target.pk == follower.pk:
        raise ValidationFailed.on("username", "You cannot follow yourself.")
    # Both users FOR SHARE in id order: a racing deactivation of either waits for us.
    followee = lock_active_actor(follower.pk, target.pk)[target.pk]
    if followee.deactivated_at is not None:
        raise NotFound("No such user.")
    return followee


def _change(follow: Follow, follower: User, followee: User, *, active: bool) -> None:
    follow.active, follow.changed_at = active, timezone.now()
    save_and_append(
        follow,
        update_fields=["active", "changed_at"],
        event_type=EventType.USER_FOLLOWED if active else EventType.USER_UNFOLLOWED,
        aggregate_type=AggregateType.FOLLOW,
        aggregate_id=follow.aggregate_id,
        actor_id=follower.pk,
        payload={
            "follower_id": follower.pk,
            "followee_id": followee.pk,
            "follower_username": follower.username,
            "followee_username": followee.username,
            "at": follow.changed_at.isoformat(),
        },
    )


@transaction.atomic
def user_follow(*, follower: User, username: str) -> tuple[Follow, bool]:
    """Follow; following twice changes nothing (racing duplicates: see post_like)."""
    followee = _followee(follower, username)
    Follow.objects.bulk_create([Follow(follower_id=follower.pk, followee_id=followee.pk)], ignore_conflicts=True)
    follow = Follow.objects.select_for_update().get(follower_id=follower.pk, followee_id=followee.pk)
    if follow.active:
        return follow, False
    _change(follow, follower, followee, active=True)
    return follow, True


@transaction.atomic
def user_unfollow(*, follower: User, username: str) -> tuple[Follow | None, bool]:
    """Unfollow; unfollowing who is not followed changes nothing."""
    followee = _followee(follower, username)
    follow = Follow.objects.select_for_update().filter(follower_id=follower.pk, followee_id=followee.pk).first()
    if follow is None or not follow.active:
        return follow, False
    _change(follow, follower, followee, active=False)
    return follow, True
