"""Block, mute and follow-request commands (socialapp.write.relations.services) and how they
change follows, likes and comments: events, versions, refusals and idempotence."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from socialapp.common.errors import NotAuthorized, NotFound, ValidationFailed
from socialapp.events.models import Event
from socialapp.write.accounts.services import profile_update
from socialapp.write.comments.services import comment_create
from socialapp.write.follows.models import Follow
from socialapp.write.follows.services import user_follow, user_unfollow
from socialapp.write.posts.models import Like
from socialapp.write.posts.services import post_create, post_like, post_unlike
from socialapp.write.relations.models import Block, FollowRequest, Mute
from socialapp.write.relations.services import (
    BLOCKED_DETAIL,
    blocked_between,
    follow_request_approve,
    follow_request_reject,
    refuse_if_blocked,
    user_block,
    user_mute,
    user_unblock,
    user_unmute,
)
from tests.command_support import events, make_user

pytestmark = pytest.mark.django_db


def kinds(**filters) -> list[tuple[str, str, int]]:
    return [(e.event_type, e.aggregate_id, e.aggregate_version) for e in events(**filters)]


def _lock(user):
    profile_update(user_id=user.pk, locked=True)
    user.refresh_from_db()


# ------------------------------------------------------------------------------------------ blocks


def test_block_appends_user_blocked_and_ends_follows_and_requests_both_ways(alice, bob):
    user_follow(follower=alice, username="bob")
    user_follow(follower=bob, username="alice")
    carol = make_user("carol")
    user_follow(follower=carol, username="alice")  # not between the two: untouched
    before = Event.objects.count()

    block, changed = user_block(actor=alice, target_id=bob.pk)

    assert changed and block.active and block.version == 1 and block.aggregate_id == f"{alice.pk}:{bob.pk}"
    appended = list(Event.objects.order_by("position"))[before:]
    assert [(e.event_type, e.aggregate_type, e.aggregate_id, e.aggregate_version) for e in appended] == [
        ("user.blocked", "block", f"{alice.pk}:{bob.pk}", 1),
        ("user.unfollowed", "follow", f"{alice.pk}:{bob.pk}", 2),
        ("user.unfollowed", "follow", f"{bob.pk}:{alice.pk}", 2),
    ]
    assert appended[0].payload == {"blocker_id": alice.pk, "blocked_id": bob.pk, "at": block.changed_at.isoformat()}
    assert appended[0].actor_id == alice.pk
    assert appended[2].payload["follower_id"] == bob.pk and appended[2].payload["followee_username"] == "alice"
    assert set(Follow.objects.filter(active=True).values_list("follower_id", "followee_id")) == {(carol.pk, alice.pk)}
    assert blocked_between(alice.pk, bob.pk) and blocked_between(bob.pk, alice.pk)


def test_block_withdraws_own_request_and_rejects_theirs(alice, bob):
    _lock(alice)
    _lock(bob)
    user_follow(follower=alice, username="bob")
    user_follow(follower=bob, username="alice")
    assert FollowRequest.objects.filter(active=True).count() == 2

    user_block(actor=alice, target_id=bob.pk)

    assert kinds(aggregate_type="follow_request") == [
        ("follow.requested", f"{alice.pk}:{bob.pk}", 1),
        ("follow.requested", f"{bob.pk}:{alice.pk}", 1),
        ("follow.request_withdrawn", f"{alice.pk}:{bob.pk}", 2),
        ("follow.request_rejected", f"{bob.pk}:{alice.pk}", 2),
    ]
    assert not FollowRequest.objects.filter(active=True).exists()
    assert not events(aggregate_type="follow")


def test_blocking_twice_appends_one_event_and_unblock_toggles_the_same_aggregate(alice, bob):
    user_block(actor=alice, target_id=bob.pk)
    _block, changed = user_block(actor=alice, target_id=bob.pk)
    assert not changed
    block, changed = user_unblock(actor=alice, target_id=bob.pk)
    assert changed and not block.active
    assert user_unblock(actor=alice, target_id=bob.pk)[1] is False
    user_block(actor=alice, target_id=bob.pk)
    assert kinds(aggregate_type="block") == [
        ("user.blocked", f"{alice.pk}:{bob.pk}", 1),
        ("user.unblocked", f"{alice.pk}:{bob.pk}", 2),
        ("user.blocked", f"{alice.pk}:{bob.pk}", 3),
    ]
    assert events(event_type="user.unblocked")[0].payload == {
        "blocker_id": alice.pk,
        "blocked_id": bob.pk,
        "at": events(event_type="user.unblocked")[0].payload["at"],
    }


def test_unblocking_who_was_never_blocked_changes_nothing(alice, bob):
    assert user_unblock(actor=alice, target_id=bob.pk) == (None, False)
    assert not Event.objects.filter(aggregate_type="block").exists()


def test_block_refusals(alice, bob):
    with pytest.raises(ValidationFailed):
        user_block(actor=alice, target_id=alice.pk)
    with pytest.raises(NotFound):
        user_block(actor=alice, target_id=10**9)
    assert not Block.objects.exists()


def test_only_the_blocker_lifts_a_block(alice, bob):
    user_block(actor=alice, target_id=bob.pk)
    assert user_unblock(actor=bob, target_id=alice.pk) == (None, False)
    assert blocked_between(alice.pk, bob.pk)


@pytest.mark.parametrize("blocker", ["alice", "bob"])
def test_follow_like_and_comment_are_refused_either_way_across_a_block(alice, bob, blocker):
    post = post_create(author=bob, body="bob's post")
    user_block(
        **({"actor": alice, "target_id": bob.pk} if blocker == "alice" else {"actor": bob, "target_id": alice.pk})
    )
    before = Event.objects.count()
    with pytest.raises(NotAuthorized, match=BLOCKED_DETAIL):
        user_follow(follower=alice, username="bob")
    with pytest.raises(NotAuthorized, match=BLOCKED_DETAIL):
        post_like(post_id=post.id, user=alice)
    with pytest.raises(NotAuthorized, match=BLOCKED_DETAIL):
        comment_create(post_id=post.id, author=alice, body="hi")
    assert Event.objects.count() == before
    assert not Follow.objects.exists() and not Like.objects.exists()


def test_a_reply_to_a_blocked_users_comment_is_refused_on_someone_elses_post(alice, bob):
    carol = make_user("carol")
    post = post_create(author=carol, body="carol's post")
    bobs = comment_create(post_id=post.id, author=bob, body="bob here")
    user_block(actor=bob, target_id=alice.pk)
    comment_create(post_id=post.id, author=alice, body="to carol")  # carol's post: allowed
    with pytest.raises(NotAuthorized):
        comment_create(post_id=post.id, author=alice, body="to bob", in_reply_to_id=bobs.id)


def test_unlike_and_unfollow_stay_possible_across_a_block(alice, bob):
    post = post_create(author=bob, body="bob's post")
    post_like(post_id=post.id, user=alice)
    user_block(actor=bob, target_id=alice.pk)
    assert post_unlike(post_id=post.id, user=alice)[1] is True
    assert user_unfollow(follower=alice, username="bob")[1] is False


def test_refuse_if_blocked_ignores_none_and_self(alice, bob):
    user_block(actor=alice, target_id=bob.pk)
    refuse_if_blocked(alice.pk, None, alice.pk)
    with pytest.raises(NotAuthorized):
        refuse_if_blocked(alice.pk, None, bob.pk)


def test_after_unblocking_following_works_again(alice, bob):
    user_block(actor=alice, target_id=bob.pk)
    user_unblock(actor=alice, target_id=bob.pk)
    follow, changed = user_follow(follower=bob, username="alice")
    assert changed and isinstance(follow, Follow) and follow.active


# ------------------------------------------------------------------------------------------ mutes


def test_mute_appends_user_muted_with_its_options(alice, bob):
    mute, changed = user_mute(actor=alice, target_id=bob.pk)
    assert changed and mute.in_effect and mute.notifications and mute.expires_at is None
    [event] = events(aggregate_type="mute")
    assert (event.event_type, event.aggregate_id, event.aggregate_version) == ("user.muted", f"{alice.pk}:{bob.pk}", 1)
    assert event.payload == {
        "muter_id": alice.pk,
        "muted_id": bob.pk,
        "notifications": True,
        "expires_at": None,
        "at": mute.changed_at.isoformat(),
    }


def test_muting_again_with_the_same_options_changes_nothing_other_options_append_again(alice, bob):
    user_mute(actor=alice, target_id=bob.pk)
    assert user_mute(actor=alice, target_id=bob.pk, notifications=True, duration=0)[1] is False
    mute, changed = user_mute(actor=alice, target_id=bob.pk, notifications=False, duration=3600)
    assert changed and not mute.notifications
    assert timedelta(seconds=3590) < mute.expires_at - timezone.now() <= timedelta(seconds=3600)
    expires_at = mute.expires_at.isoformat()
    mute, changed = user_mute(actor=alice, target_id=bob.pk, notifications=False)
    assert changed and mute.expires_at is None  # back to forever
    assert [e.aggregate_version for e in events(event_type="user.muted")] == [1, 2, 3]
    second = events(event_type="user.muted")[1].payload
    assert second["notifications"] is False and second["expires_at"] == expires_at


def test_unmute_and_its_idempotence(alice, bob):
    assert user_unmute(actor=alice, target_id=bob.pk) == (None, False)
    user_mute(actor=alice, target_id=bob.pk)
    mute, changed = user_unmute(actor=alice, target_id=bob.pk)
    assert changed and not mute.in_effect
    assert user_unmute(actor=alice, target_id=bob.pk)[1] is False
    assert kinds(aggregate_type="mute") == [
        ("user.muted", f"{alice.pk}:{bob.pk}", 1),
        ("user.unmuted", f"{alice.pk}:{bob.pk}", 2),
    ]
    assert set(events(event_type="user.unmuted")[0].payload) == {"muter_id", "muted_id", "at"}


def test_an_expired_mute_counts_as_no_mute(alice, bob):
    user_mute(actor=alice, target_id=bob.pk, duration=60)
    Mute.objects.update(expires_at=timezone.now() - timedelta(seconds=1))  # time passed
    mute = Mute.objects.get()
    assert not mute.in_effect
    assert user_unmute(actor=alice, target_id=bob.pk)[1] is False  # nothing to lift
    mute, changed = user_mute(actor=alice, target_id=bob.pk)  # a new mute, not "already muted"
    assert changed and mute.in_effect and mute.expires_at is None and mute.version == 2


@pytest.mark.parametrize("duration", [-1, 1.5, "60", True])
def test_a_bad_mute_duration_is_refused(alice, bob, duration):
    with pytest.raises(ValidationFailed):
        user_mute(actor=alice, target_id=bob.pk, duration=duration)
    assert not Mute.objects.exists()


def test_mute_refusals_and_muting_changes_no_follow(alice, bob):
    user_follow(follower=alice, username="bob")
    with pytest.raises(ValidationFailed):
        user_mute(actor=alice, target_id=alice.pk)
    with pytest.raises(NotFound):
        user_mute(actor=alice, target_id=10**9)
    user_mute(actor=alice, target_id=bob.pk)
    assert Follow.objects.get().active  # a mute hides; it does not unfollow


# ------------------------------------------------------------------------------------------ locked accounts


def test_locking_appends_profile_updated_with_locked_and_registration_carries_it(alice):
    assert events(event_type="user.registered")[0].payload["locked"] is False
    profile_update(user_id=alice.pk, locked=True)
    profile_update(user_id=alice.pk, locked=True)  # unchanged: nothing
    [event] = events(event_type="profile.updated")
    assert event.payload == {"user_id": alice.pk, "display_name": "", "bio": "", "locked": True}
    profile_update(user_id=alice.pk, bio="hi")
    assert events(event_type="profile.updated")[1].payload["locked"] is True  # the current value, always


def test_following_a_locked_account_makes_a_request(alice, bob):
    _lock(bob)
    row, changed = user_follow(follower=alice, username="BOB")
    assert changed and isinstance(row, FollowRequest) and row.active and row.followee.username == "bob"
    again, changed = user_follow(follower=alice, username="bob")
    assert not changed and isinstance(again, FollowRequest)
    [event] = events(aggregate_type="follow_request")
    assert (event.event_type, event.aggregate_id, event.aggregate_version) == (
        "follow.requested",
        f"{alice.pk}:{bob.pk}",
        1,
    )
    assert event.payload == {
        "follower_id": alice.pk,
        "followee_id": bob.pk,
        "follower_username": "alice",
        "followee_username": "bob",
        "at": row.changed_at.isoformat(),
    }
    assert not Follow.objects.exists() and not events(aggregate_type="follow")


def test_locking_keeps_existing_followers(alice, bob):
    user_follow(follower=alice, username="bob")
    _lock(bob)
    row, changed = user_follow(follower=alice, username="bob")
    assert isinstance(row, Follow) and row.active and not changed
    assert not FollowRequest.objects.exists()


def test_approve_makes_a_follow_with_both_events(alice, bob):
    _lock(bob)
    user_follow(follower=alice, username="bob")
    request = follow_request_approve(owner=bob, follower_id=alice.pk)
    assert not request.active and request.version == 2
    assert Follow.objects.get(follower=alice, followee=bob).active
    tail = list(Event.objects.order_by("position"))[-2:]
    assert [(e.event_type, e.aggregate_type, e.aggregate_version, e.actor_id) for e in tail] == [
        ("follow.request_approved", "follow_request", 2, bob.pk),
        ("user.followed", "follow", 1, bob.pk),
    ]
    assert tail[0].payload["follower_id"] == alice.pk and tail[1].payload["followee_username"] == "bob"
    with pytest.raises(NotFound):
        follow_request_approve(owner=bob, follower_id=alice.pk)  # no longer pending


def test_reject_ends_the_request_and_the_requester_may_ask_again(alice, bob):
    _lock(bob)
    user_follow(follower=alice, username="bob")
    follow_request_reject(owner=bob, follower_id=alice.pk)
    assert not Follow.objects.exists()
    with pytest.raises(NotFound):
        follow_request_reject(owner=bob, follower_id=alice.pk)
    user_follow(follower=alice, username="bob")
    assert kinds(aggregate_type="follow_request") == [
        ("follow.requested", f"{alice.pk}:{bob.pk}", 1),
        ("follow.request_rejected", f"{alice.pk}:{bob.pk}", 2),
        ("follow.requested", f"{alice.pk}:{bob.pk}", 3),
    ]


def test_unfollow_withdraws_a_pending_request(alice, bob):
    _lock(bob)
    user_follow(follower=alice, username="bob")
    follow, changed = user_unfollow(follower=alice, username="bob")
    assert follow is None and changed
    assert user_unfollow(follower=alice, username="bob") == (None, False)
    assert [e.event_type for e in events(aggregate_type="follow_request")] == [
        "follow.requested",
        "follow.request_withdrawn",
    ]
    with pytest.raises(NotFound):
        follow_request_approve(owner=bob, follower_id=alice.pk)


def test_approving_or_rejecting_without_a_request_is_404(alice, bob):
    for decide in (follow_request_approve, follow_request_reject):
        with pytest.raises(NotFound):
            decide(owner=bob, follower_id=alice.pk)
        with pytest.raises(NotFound):
            decide(owner=bob, follower_id=bob.pk)
        with pytest.raises(NotFound):
            decide(owner=bob, follower_id=10**9)
    assert not Event.objects.filter(aggregate_type__in=["follow", "follow_request"]).exists()
