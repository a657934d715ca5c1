"""Follow commands. Lock order and versioning: socialapp.write.common.aggregates."""

from __future__ import annotations

from django.db import transaction

from socialapp.common.errors import NotAuthorized, NotFound, ValidationFailed
from socialapp.events.catalogue import EventType
from socialapp.write.accounts.models import User
from socialapp.write.common.aggregates import set_active
from socialapp.write.follows.models import Follow


def _followee(follower: User, username: str) -> User:
    """The user named `username` (case-insensitively, through the unique lower(username) index),
    locked FOR SHARE together with the follower in one statement, in id order: a racing
    deactivation of either waits for us."""
    users = {
        u.pk: u
        for u in User.objects.raw(
            'SELECT * FROM "accounts_user" WHERE id = %s OR lower(username) = %s ORDER BY id FOR SHARE',
            [follower.pk, username.lower()],
        )
    }
    actor = users.get(follower.pk)
    if actor is None or actor.deactivated_at is not None:
        raise NotAuthorized("This account is deactivated.")
    if actor.suspended_at is not None:
        raise NotAuthorized("This account is suspended.")
    followee = next((u for u in users.values() if u.username.lower() == username.lower()), None)
    if followee is None or followee.deactivated_at is not None or followee.suspended_at is not None:
        raise NotFound("No such user.")
    if followee.pk == follower.pk:
        raise ValidationFailed.on("username", "You cannot follow yourself.")
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
