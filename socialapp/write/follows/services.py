"""Follow commands. Lock order and versioning: socialapp.write.common.aggregates (and
socialapp.write.relations.services for the pair lock a block check takes).

A locked account approves its followers: following it makes a follow request
(socialapp.write.relations.models.FollowRequest) instead, and unfollowing withdraws it."""

from __future__ import annotations

from django.db import transaction

from socialapp.common import rows
from socialapp.common.errors import NotAuthorized, NotFound, ValidationFailed
from socialapp.events.catalogue import EventType
from socialapp.write.accounts.models import User
from socialapp.write.common.aggregates import set_active
from socialapp.write.follows.models import Follow
from socialapp.write.relations.models import FollowRequest
from socialapp.write.relations.services import end_follow_request, follow_payload, refuse_if_blocked


def _followee(follower: User, username: str) -> User:
    """The user named `username` (case-insensitively, through the unique lower(username) index),
    locked FOR SHARE together with the follower in one statement, in id order: a racing
    deactivation of either waits for us."""
    users = {
        u.pk: u
        for u in rows.fetch(
            User,
            f"SELECT {rows.columns(User, 'u')} FROM accounts_user u WHERE id = %s OR lower(username) = %s"
            " ORDER BY id FOR SHARE",
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


def _set_follow(*, follower: User, followee: User, active: bool) -> tuple[Follow | None, bool]:
    follow, changed = set_active(
        Follow,
        {"follower_id": follower.pk, "followee_id": followee.pk},
        active=active,
        event_type=EventType.USER_FOLLOWED if active else EventType.USER_UNFOLLOWED,
        actor_id=follower.pk,
        payload=lambda row: follow_payload(follower, followee, row),
    )
    if follow is not None:
        follow.followee = followee  # already loaded: the caller need not fetch it again
    return follow, changed


@transaction.atomic
def user_follow(*, follower: User, username: str) -> tuple[Follow | FollowRequest, bool]:
    """Follow; following twice changes nothing (racing duplicates: see aggregates.set_active).
    Refused (403) when either blocks the other. A locked followee not yet followed gets a
    pending follow request instead (the same one again if already pending); the caller tells
    the two apart by the type of the row. The followee's row is locked FOR SHARE, so a racing
    lock or unlock of the account waits for us."""
    followee = _followee(follower, username)
    refuse_if_blocked(follower.pk, followee.pk)
    if followee.locked:
        follow = Follow.objects.filter(follower_id=follower.pk, followee_id=followee.pk, active=True).first()
        if follow is not None:
            follow.followee = followee
            return follow, False
        request, changed = set_active(
            FollowRequest,
            {"follower_id": follower.pk, "followee_id": followee.pk},
            active=True,
            event_type=EventType.FOLLOW_REQUESTED,
            actor_id=follower.pk,
            payload=lambda row: follow_payload(follower, followee, row),
        )
        request.followee = followee  # type: ignore[union-attr]  # activating never gives None
        return request, changed  # type: ignore[return-value]
    return _set_follow(follower=follower, followee=followee, active=True)  # type: ignore[return-value]  # never None


@transaction.atomic
def user_unfollow(*, follower: User, username: str) -> tuple[Follow | None, bool]:
    """Unfollow, and withdraw a pending follow request (the request row is locked before the
    follow row, as everywhere). Unfollowing who is neither followed nor asked changes nothing."""
    followee = _followee(follower, username)
    withdrawn = end_follow_request(
        follower, followee, event_type=EventType.FOLLOW_REQUEST_WITHDRAWN, actor_id=follower.pk
    )
    follow, changed = _set_follow(follower=follower, followee=followee, active=False)
    return follow, changed or withdrawn is not None
