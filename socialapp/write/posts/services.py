"""Post and like commands. Lock order and versioning: socialapp.write.common.aggregates."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from socialapp.common.errors import NotAuthorized, NotFound
from socialapp.common.text import clean_body, parse_hashtags, parse_mentions
from socialapp.events.catalogue import AggregateType, EventType
from socialapp.events.log import append_event
from socialapp.write.accounts.models import User
from socialapp.write.accounts.selectors import mentions_resolve
from socialapp.write.common.aggregates import lock_active_actor, save_and_append
from socialapp.write.posts.models import Like, Post


def live_post(post_id: int, *, for_update: bool) -> Post:
    """The post, locked (FOR UPDATE to change it, FOR SHARE to attach a like or comment to it),
    if it exists, is not deleted and its author is not deactivated."""
    if for_update:
        post = Post.objects.select_for_update(of=("self",)).select_related("author").filter(pk=post_id).first()
        author_gone = post is not None and post.author.deactivated_at is not None
    else:
        rows = Post.objects.raw(
            "SELECT p.*, u.deactivated_at AS author_deactivated_at FROM posts_post p"
            " JOIN accounts_user u ON u.id = p.author_id WHERE p.id = ANY(%s) FOR SHARE OF p",
            [[post_id]],
        )
        post = next(iter(rows), None)
        author_gone = post is not None and post.author_deactivated_at is not None
    if post is None or post.deleted_at is not None or author_gone:
        raise NotFound("No such post.")
    return post


@transaction.atomic
def post_create(*, author: User, body: str) -> Post:
    lock_active_actor(author.pk)
    text = clean_body(body)
    post = Post.objects.create(
        author=author,
        body=text,
        hashtags=parse_hashtags(text),
        mentions=mentions_resolve(usernames=parse_mentions(text)),
        created_at=timezone.now(),
        version=1,
    )
    append_event(
        event_type=EventType.POST_CREATED,
        aggregate_type=AggregateType.POST,
        aggregate_id=post.id,
        aggregate_version=1,
        actor_id=author.pk,
        payload={
            "post_id": post.id,
            "author_id": author.pk,
            "author_username": author.username,
            "author_display_name": author.display_name,
            "body": post.body,
            "hashtags": post.hashtags,
            "mentions": post.mentions,
            "created_at": post.created_at.isoformat(),
        },
    )
    return post


@transaction.atomic
def post_edit(*, post_id: int, actor: User, body: str) -> Post:
    """Author only. The same body again changes nothing and appends nothing."""
    lock_active_actor(actor.pk)
    post = live_post(post_id, for_update=True)
    if post.author_id != actor.pk:
        raise NotAuthorized("Only the author may edit a post.")
    text = clean_body(body)
    if text == post.body:
        return post
    post.body = text
    post.hashtags = parse_hashtags(text)
    post.mentions = mentions_resolve(usernames=parse_mentions(text))
    post.edited_at = timezone.now()
    save_and_append(
        post,
        update_fields=["body", "hashtags", "mentions", "edited_at"],
        event_type=EventType.POST_EDITED,
        aggregate_type=AggregateType.POST,
        aggregate_id=post.id,
        actor_id=actor.pk,
        payload={
            "post_id": post.id,
            "author_id": post.author_id,
            "body": post.body,
            "hashtags": post.hashtags,
            "mentions": post.mentions,
            "edited_at": post.edited_at.isoformat(),
        },
    )
    return post


@transaction.atomic
def post_delete(*, post_id: int, actor: User) -> Post:
    """Author or moderator. Soft: the row stays; its comments and likes die with it (no
    events of their own, as docs/events.md says of `post.deleted`)."""
    lock_active_actor(actor.pk)
    post = Post.objects.select_for_update(of=("self",)).select_related("author").filter(pk=post_id).first()
    # A moderator may still remove a deactivated user's post; nobody else sees it.
    if post is None or post.deleted_at is not None or (post.author.deactivated_at is not None and not actor.is_staff):
        raise NotFound("No such post.")
    if post.author_id != actor.pk and not actor.is_staff:
        raise NotAuthorized("Only the author or a moderator may delete a post.")
    post.deleted_at = timezone.now()
    post.deleted_by = actor
    save_and_append(
        post,
        update_fields=["deleted_at", "deleted_by"],
        event_type=EventType.POST_DELETED,
        aggregate_type=AggregateType.POST,
        aggregate_id=post.id,
        actor_id=actor.pk,
        payload={
            "post_id": post.id,
            "author_id": post.author_id,
            "deleted_at": post.deleted_at.isoformat(),
            "deleted_by": actor.pk,
        },
    )
    return post


def _like_payload(like: Like, post: Post, user: User) -> dict[str, object]:
    assert like.changed_at is not None
    return {
        "post_id": post.id,
        "user_id": user.pk,
        "username": user.username,
        "post_author_id": post.author_id,
        "at": like.changed_at.isoformat(),
    }


@transaction.atomic
def post_like(*, post_id: int, user: User) -> tuple[Like, bool]:
    """Like a post. Returns (like, changed); liking again changes nothing and appends nothing.

    Racing duplicates: the row is made to exist with INSERT .. ON CONFLICT DO NOTHING (the
    loser waits for the winner's commit), then locked; the second command finds it active."""
    lock_active_actor(user.pk)
    post = live_post(post_id, for_update=False)
    Like.objects.bulk_create([Like(post_id=post.id, user_id=user.pk)], ignore_conflicts=True)
    like = Like.objects.select_for_update().get(post_id=post.id, user_id=user.pk)
    if like.active:
        return like, False
    like.active, like.changed_at = True, timezone.now()
    save_and_append(
        like,
        update_fields=["active", "changed_at"],
        event_type=EventType.POST_LIKED,
        aggregate_type=AggregateType.LIKE,
        aggregate_id=like.aggregate_id,
        actor_id=user.pk,
        payload=_like_payload(like, post, user),
    )
    return like, True


@transaction.atomic
def post_unlike(*, post_id: int, user: User) -> tuple[Like | None, bool]:
    """Unlike a post. Unliking what is not liked changes nothing and appends nothing."""
    lock_active_actor(user.pk)
    post = live_post(post_id, for_update=False)
    like = Like.objects.select_for_update().filter(post_id=post.id, user_id=user.pk).first()
    if like is None or not like.active:
        return like, False
    like.active, like.changed_at = False, timezone.now()
    save_and_append(
        like,
        update_fields=["active", "changed_at"],
        event_type=EventType.POST_UNLIKED,
        aggregate_type=AggregateType.LIKE,
        aggregate_id=like.aggregate_id,
        actor_id=user.pk,
        payload=_like_payload(like, post, user),
    )
    return like, True
