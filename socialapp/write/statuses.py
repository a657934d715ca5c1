"""Statuses: posts and comments as one kind of thing, as the Mastodon API sees them.

Posts and comments share one id space (socialapp_next_id), so a status id names either: a post is
a status at the top of a thread, a comment a reply (to the post, or to another comment of it).
These commands pick the right service by id and add what Mastodon has and our own API lacks
(`Idempotency-Key` on creation); the rules stay the post and comment services'.
"""

from __future__ import annotations

from django.db import transaction

from socialapp.common.errors import NotFound
from socialapp.write.accounts.models import User
from socialapp.write.comments import services as comments
from socialapp.write.comments.models import Comment
from socialapp.write.posts import idempotency
from socialapp.write.posts import services as posts
from socialapp.write.posts.models import Post

Status = Post | Comment

_GONE = ("deactivated_at", "suspended_at")


def _author_gone(user: User) -> bool:
    return any(getattr(user, name) is not None for name in _GONE)


def visible_status(status_id: int) -> Status:
    """The post or comment `status_id` if anyone may see it: not deleted, its author (and a
    comment's post and post author) neither deactivated nor suspended. NotFound otherwise."""
    post = Post.objects.select_related("author").filter(pk=status_id).first()
    if post is not None:
        if post.deleted_at is None and not _author_gone(post.author):
            return post
        raise NotFound("No such status.")
    comment = (
        Comment.objects.select_related("author", "post", "post__author", "in_reply_to").filter(pk=status_id).first()
    )
    if (
        comment is None
        or comment.deleted_at is not None
        or comment.post.deleted_at is not None
        or _author_gone(comment.author)
        or _author_gone(comment.post.author)
    ):
        raise NotFound("No such status.")
    return comment


def own_status(status_id: int, user: User) -> Status:
    """The caller's own visible status; anybody else's is NotFound, not NotAuthorized (Mastodon
    looks statuses up among the caller's own for edit and delete, so it answers 404)."""
    status = visible_status(status_id)
    if status.author_id != user.pk:
        raise NotFound("No such status.")
    return status


@transaction.atomic
def status_create(
    *,
    author: User,
    body: str,
    in_reply_to_id: int | None = None,
    spoiler_text: str = "",
    sensitive: bool = False,
    idempotency_key: str | None = None,
    visibility: str | None = None,
    language: str | None = None,
) -> tuple[Status, bool]:
    """A post, or (`in_reply_to_id` a post) a comment on it, or (a comment) a comment answering
    it on the same post. Returns (status, created): with an `idempotency_key` this user already
    used within the hour, the status it created then, and nothing is appended. `visibility` is
    ours (`followers`, not Mastodon's `private`); None: public for a post, the post's for a reply
    (a reply is never less restricted than its post: comment_create). `language` (ISO 639-1,
    None or "": not given) is a post's; our comments have none, so a reply's is checked like a
    post's (a bad code is refused whatever it labels) and then dropped."""
    language = posts.clean_language(language)
    key = idempotency.clean_key(idempotency_key)
    if key is not None:
        earlier = idempotency.claim(author.pk, key)
        if earlier is not None:
            return visible_status(earlier), False
    status: Status
    if in_reply_to_id is None:
        status = posts.post_create(
            author=author,
            body=body,
            spoiler_text=spoiler_text,
            sensitive=sensitive,
            visibility="public" if visibility is None else visibility,
            language=language,
        )
    else:
        post_id, answered_id = in_reply_to_id, None
        if not Post.objects.filter(pk=in_reply_to_id).exists():
            answered = Comment.objects.filter(pk=in_reply_to_id).values_list("post_id", flat=True).first()
            if answered is None:
                raise NotFound("No such status.")
            post_id, answered_id = answered, in_reply_to_id
        status = comments.comment_create(
            post_id=post_id,
            author=author,
            body=body,
            in_reply_to_id=answered_id,
            spoiler_text=spoiler_text,
            sensitive=sensitive,
            visibility=visibility,
        )
    if key is not None:
        idempotency.record(author.pk, key, status.pk)
    return status, True


@transaction.atomic
def status_edit(
    *,
    status_id: int,
    actor: User,
    body: str,
    spoiler_text: str | None = None,
    sensitive: bool | None = None,
    visibility: str | None = None,
    language: str | None = None,
) -> Status:
    """The author's edit of their post or comment (anyone else's: NotFound). `visibility` may
    repeat the status's own; a different one is refused (ValidationFailed). `language` None
    keeps a post's; a comment's is checked and dropped, as on creation."""
    status = own_status(status_id, actor)
    if isinstance(status, Post):
        return posts.post_edit(
            post_id=status.pk,
            actor=actor,
            body=body,
            spoiler_text=spoiler_text,
            sensitive=sensitive,
            visibility=visibility,
            language=language,
        )
    if language is not None:
        posts.clean_language(language)
    return comments.comment_edit(
        comment_id=status.pk,
        actor=actor,
        body=body,
        spoiler_text=spoiler_text,
        sensitive=sensitive,
        visibility=visibility,
    )


@transaction.atomic
def status_delete(*, status_id: int, actor: User) -> Status:
    """The author's deletion of their post or comment (anyone else's, a moderator's or a post
    author's included: NotFound; they have our own API for that)."""
    status = own_status(status_id, actor)
    if isinstance(status, Post):
        return posts.post_delete(post_id=status.pk, actor=actor)
    return comments.comment_delete(comment_id=status.pk, actor=actor)
