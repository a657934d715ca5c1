"""Property: for any sequence of commands, folding the event log from empty gives exactly the
state of the write tables; refused commands append nothing; versions are gap-free."""

from __future__ import annotations

from collections import defaultdict

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socialapp.common.errors import DomainError
from socialapp.events.models import Event
from socialapp.write import replay
from socialapp.write.accounts.models import User
from socialapp.write.accounts.services import profile_update, user_deactivate, user_suspend, user_unsuspend
from socialapp.write.comments.models import Comment
from socialapp.write.comments.services import comment_create, comment_delete, comment_edit
from socialapp.write.follows.services import user_follow, user_unfollow
from socialapp.write.posts.models import Post
from socialapp.write.posts.services import post_create, post_delete, post_edit, post_like, post_unlike
from socialapp.write.relations.services import (
    follow_request_approve,
    follow_request_reject,
    user_block,
    user_mute,
    user_unblock,
    user_unmute,
)
from tests.command_support import make_user

pytestmark = pytest.mark.django_db

USERS = 3  # user 0 is a moderator
bodies = st.sampled_from(
    ["hello", "#Tag and @user_1", "@user_2 @USER_2 @user_9 #x #X", "  trimmed  ", "", "\x07bell", "é" * 500, "x" * 501]
)
user = st.integers(0, USERS - 1)
warnings = st.sampled_from(["", "cw", "  spoilers  ", "w" * 501, "\x07"])
languages = st.sampled_from([None, "", "en", "FR", "de", "xx", "eng", "en-US"])  # the last three are refused
index = st.integers(0, 2)  # which of the posts / comments made so far (modulo)
command = st.one_of(
    st.tuples(st.just("profile"), user, st.sampled_from(["", "Name", "x" * 51]), st.sampled_from([None, "bio"])),
    st.tuples(st.just("deactivate"), user, user),
    st.tuples(st.just("suspend"), user, user),
    st.tuples(st.just("unsuspend"), user, user),
    st.tuples(st.just("post"), user, bodies),
    # For edits and deletes, `user` None means "the author of the picked post or comment".
    st.tuples(st.just("edit_post"), st.none() | user, index, bodies),
    st.tuples(st.just("delete_post"), st.none() | user, index),
    st.tuples(st.just("comment"), user, index, bodies),
    st.tuples(st.just("edit_comment"), st.none() | user, index, bodies),
    st.tuples(st.just("delete_comment"), st.none() | user, index),
    st.tuples(st.just("like"), user, index),
    st.tuples(st.just("unlike"), user, index),
    st.tuples(st.just("follow"), user, user),
    st.tuples(st.just("unfollow"), user, user),
    # Content warnings and replies to comments (the Mastodon API's statuses).
    st.tuples(st.just("post_cw"), user, bodies, warnings, st.booleans()),
    st.tuples(
        st.just("edit_post_cw"), st.none() | user, index, bodies, st.none() | warnings, st.none() | st.booleans()
    ),
    st.tuples(st.just("reply"), user, index, bodies, warnings),
    st.tuples(st.just("edit_comment_cw"), st.none() | user, index, bodies, st.none() | warnings),
    # A post's language (Mastodon's `language`): set, changed alone, cleared, refused.
    st.tuples(st.just("post_language"), user, bodies, languages),
    st.tuples(st.just("edit_post_language"), st.none() | user, index, bodies, languages),
    # Safety and privacy: locked accounts and follow requests, blocks, mutes.
    st.tuples(st.just("lock"), user, st.booleans()),
    st.tuples(st.just("approve"), user, user),
    st.tuples(st.just("reject"), user, user),
    st.tuples(st.just("block"), user, user),
    st.tuples(st.just("unblock"), user, user),
    st.tuples(st.just("mute"), user, user, st.booleans(), st.sampled_from([None, 0, 60, -5])),
    st.tuples(st.just("unmute"), user, user),
)


def run(cmd: tuple, users: list[User]) -> None:
    kind, who, *args = cmd
    posts = list(Post.objects.order_by("id").values_list("id", "author_id")) or [(0, users[0].pk)]
    comments = list(Comment.objects.order_by("id").values_list("id", "author_id")) or [(0, users[0].pk)]
    if who is None:
        rows = comments if "comment" in kind else posts
        actor = User.objects.get(pk=rows[args[0] % len(rows)][1])
    else:
        actor = User.objects.get(pk=users[who].pk)
    pick_post = lambda i: posts[i % len(posts)][0]  # noqa: E731
    pick_comment = lambda i: comments[i % len(comments)][0]  # noqa: E731
    match kind:
        case "profile":
            profile_update(user_id=actor.pk, display_name=args[0], bio=args[1])
        case "deactivate":
            user_deactivate(user_id=users[args[0]].pk, actor=actor)
        case "suspend":
            user_suspend(user_id=users[args[0]].pk, actor=actor)
        case "unsuspend":
            user_unsuspend(user_id=users[args[0]].pk, actor=actor)
        case "post":
            post_create(author=actor, body=args[0])
        case "edit_post":
            post_edit(post_id=pick_post(args[0]), actor=actor, body=args[1])
        case "delete_post":
            post_delete(post_id=pick_post(args[0]), actor=actor)
        case "comment":
            comment_create(post_id=pick_post(args[0]), author=actor, body=args[1])
        case "edit_comment":
            comment_edit(comment_id=pick_comment(args[0]), actor=actor, body=args[1])
        case "delete_comment":
            comment_delete(comment_id=pick_comment(args[0]), actor=actor)
        case "like":
            post_like(post_id=pick_post(args[0]), user=actor)
        case "unlike":
            post_unlike(post_id=pick_post(args[0]), user=actor)
        case "follow":
            user_follow(follower=actor, username=users[args[0]].username)
        case "unfollow":
            user_unfollow(follower=actor, username=users[args[0]].username)
        case "post_cw":
            post_create(author=actor, body=args[0], spoiler_text=args[1], sensitive=args[2])
        case "edit_post_cw":
            post_edit(post_id=pick_post(args[0]), actor=actor, body=args[1], spoiler_text=args[2], sensitive=args[3])
        case "post_language":
            post_create(author=actor, body=args[0], language=args[1])
        case "edit_post_language":
            post_edit(post_id=pick_post(args[0]), actor=actor, body=args[1], language=args[2])
        case "reply":
            answered = Comment.objects.filter(pk=pick_comment(args[0])).values_list("post_id", flat=True).first()
            comment_create(
                post_id=answered or 0,
                author=actor,
                body=args[1],
                in_reply_to_id=pick_comment(args[0]),
                spoiler_text=args[2],
            )
        case "edit_comment_cw":
            comment_edit(comment_id=pick_comment(args[0]), actor=actor, body=args[1], spoiler_text=args[2])
        case "lock":
            profile_update(user_id=actor.pk, locked=args[0])
        case "approve":
            follow_request_approve(owner=actor, follower_id=users[args[0]].pk)
        case "reject":
            follow_request_reject(owner=actor, follower_id=users[args[0]].pk)
        case "block":
            user_block(actor=actor, target_id=users[args[0]].pk)
        case "unblock":
            user_unblock(actor=actor, target_id=users[args[0]].pk)
        case "mute":
            user_mute(actor=actor, target_id=users[args[0]].pk, notifications=args[1], duration=args[2])
        case "unmute":
            user_unmute(actor=actor, target_id=users[args[0]].pk)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(commands=st.lists(command, min_size=1, max_size=30))
def test_folding_the_log_gives_the_write_tables(commands):
    with transaction.atomic():  # every example starts from empty and leaves nothing behind
        users = [make_user(f"user_{i}", is_staff=(i == 0)) for i in range(USERS)]
        # Seed content, so that short sequences already edit, like and delete something.
        seeded = [post_create(author=u, body=f"seed #s{u.pk}") for u in users]
        comment_create(post_id=seeded[0].id, author=users[1], body="seed comment")
        comment_create(post_id=seeded[1].id, author=users[2], body="another")
        for cmd in commands:
            before = Event.objects.count()
            snapshot_before = replay.snapshot()
            try:
                run(cmd, users)
            except DomainError:
                assert Event.objects.count() == before, cmd  # refused: nothing appended ...
                assert replay.snapshot() == snapshot_before, cmd  # ... and nothing changed
        assert replay.replay_log() == replay.snapshot()
        versions: dict[tuple[str, str], list[int]] = defaultdict(list)
        for aggregate_type, aggregate_id, version in Event.objects.order_by("position").values_list(
            "aggregate_type", "aggregate_id", "aggregate_version"
        ):
            versions[(aggregate_type, aggregate_id)].append(version)
        assert all(v == list(range(1, len(v) + 1)) for v in versions.values())
        transaction.set_rollback(True)


def test_fold_is_pure_and_follows_alternating_like_versions():
    def ev(event_type, aggregate_type, aggregate_id, version, **payload):
        return {
            "event_type": event_type,
            "aggregate_type": aggregate_type,
            "aggregate_id": aggregate_id,
            "aggregate_version": version,
            "payload": payload,
        }

    log = [
        ev("post.liked", "like", "10:2", 1, post_id=10, user_id=2),
        ev("post.unliked", "like", "10:2", 2, post_id=10, user_id=2),
        ev("user.followed", "follow", "2:3", 1, follower_id=2, followee_id=3),
    ]
    state = replay.fold(log)
    assert state["likes"] == {(10, 2): {"active": False, "version": 2}}
    assert state["follows"] == {(2, 3): {"active": True, "version": 1}}
    assert replay.fold(log) == state  # no hidden state between folds
    with pytest.raises(ValueError):
        replay.fold([ev("post.teleported", "post", "1", 1)])
