"""Entity rows (socialapp.mastodon.common.entities) from the write model, for command answers.

A command answers from what its service returned, completed from the write model (counts, the
caller's favourite): never from a read model, which may not have the write yet. The counts follow
the read side's rules (socialapp.mastodon.queries.rows): likes and comments of deactivated or
suspended users don't count, a post's replies are its live comments, a comment's replies the
live comments answering it; an account's `statuses_count` is its live posts.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from socialapp.common.text import parse_hashtags
from socialapp.mastodon.common import entities
from socialapp.mastodon.common.entities import AccountRow, StatusRow
from socialapp.write.accounts.models import User
from socialapp.write.comments.models import Comment
from socialapp.write.follows.models import Follow
from socialapp.write.posts.models import Like, Post
from socialapp.write.relations.models import Block, FollowRequest, Mute


def _live(prefix: str) -> Q:
    return Q(**{f"{prefix}__deactivated_at__isnull": True, f"{prefix}__suspended_at__isnull": True})


def account_row(user: User) -> AccountRow:
    return AccountRow(
        id=user.pk,
        username=user.username,
        display_name=user.display_name,
        note=user.bio,
        created_at=user.date_joined,
        followers_count=Follow.objects.filter(_live("follower"), followee_id=user.pk, active=True).count(),
        following_count=Follow.objects.filter(_live("followee"), follower_id=user.pk, active=True).count(),
        statuses_count=Post.objects.filter(author_id=user.pk, deleted_at__isnull=True).count(),
        locked=user.locked,
    )


def account(user: User, *, base_url: str) -> dict[str, Any]:
    return entities.account(account_row(user), base_url=base_url)


def credential_account(user: User, *, base_url: str) -> dict[str, Any]:
    row = account_row(user)
    row["follow_requests_count"] = FollowRequest.objects.filter(
        _live("follower"), followee_id=user.pk, active=True
    ).count()
    return entities.credential_account(row, base_url=base_url)


def _live_comments() -> Q:
    return Q(deleted_at__isnull=True) & _live("author")


def status_row(status: Post | Comment, *, viewer: User) -> StatusRow:
    """The row of a post or comment as the service returned it (a deleted one too: the answer
    to a delete shows what was deleted)."""
    if isinstance(status, Post):
        post_id = status.pk
        hashtags = list(status.hashtags)
        in_reply_to_id = in_reply_to_account_id = None
        replies = Comment.objects.filter(_live_comments(), post_id=post_id).count()
    else:
        post_id = status.post_id
        hashtags = parse_hashtags(status.body)  # comments keep no tag list (as on the read side)
        if status.in_reply_to_id is not None:
            in_reply_to_id = status.in_reply_to_id
            in_reply_to_account_id = Comment.objects.values_list("author_id", flat=True).get(pk=status.in_reply_to_id)
        else:
            in_reply_to_id = post_id
            in_reply_to_account_id = Post.objects.values_list("author_id", flat=True).get(pk=post_id)
        replies = Comment.objects.filter(_live_comments(), in_reply_to_id=status.pk).count()
    if isinstance(status, Post):
        likes = Like.objects.filter(_live("user"), post_id=post_id, active=True)
        favourites = likes.count()
        favourited = likes.filter(user_id=viewer.pk).exists()
    else:
        favourites, favourited = 0, False  # comments can't be liked in our model
    author = status.author if status.author_id != viewer.pk else viewer
    return StatusRow(
        id=status.pk,
        account=account_row(author),
        body=status.body,
        created_at=status.created_at,
        edited_at=status.edited_at,
        spoiler_text=status.spoiler_text,
        sensitive=status.sensitive,
        hashtags=hashtags,
        mentions=list(status.mentions or []),
        in_reply_to_id=in_reply_to_id,
        in_reply_to_account_id=in_reply_to_account_id,
        favourites_count=favourites,
        replies_count=replies,
        favourited=favourited,
        visibility=status.visibility,
        language=status.language if isinstance(status, Post) else "",  # comments have none
    )


def status(status: Post | Comment, *, viewer: User, base_url: str) -> dict[str, Any]:
    return entities.status(status_row(status, viewer=viewer), base_url=base_url)


def relationship(user: User, other_id: int) -> dict[str, Any]:
    """The caller's relationship to `other_id` from the write model, as the command just left it:
    follows, pending requests, blocks both ways, and the caller's mute (in effect: an expired
    mute is no mute)."""
    pair = Q(follower_id=user.pk, followee_id=other_id) | Q(follower_id=other_id, followee_id=user.pk)
    follows = set(Follow.objects.filter(pair, active=True).values_list("follower_id", flat=True))
    requests = set(FollowRequest.objects.filter(pair, active=True).values_list("follower_id", flat=True))
    blocks = set(
        Block.objects.filter(
            Q(blocker_id=user.pk, blocked_id=other_id) | Q(blocker_id=other_id, blocked_id=user.pk), active=True
        ).values_list("blocker_id", flat=True)
    )
    mute = Mute.objects.filter(muter_id=user.pk, muted_id=other_id, active=True).first()
    muting = mute is not None and mute.in_effect
    return entities.relationship(
        other_id,
        following=user.pk in follows,
        followed_by=other_id in follows,
        requested=user.pk in requests,
        requested_by=other_id in requests,
        blocking=user.pk in blocks,
        blocked_by=other_id in blocks,
        muting=muting,
        muting_notifications=muting and mute is not None and mute.notifications,
    )


def base_url(request: Any) -> str:
    """scheme://host[:port] of the request: the prefix of every uri/url we render."""
    return request.build_absolute_uri("/").rstrip("/")
