"""Comment commands. Lock order and versioning: socialapp.write.common.aggregates."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from socialapp.common import rows
from socialapp.common.errors import NotAuthorized, NotFound, ValidationFailed
from socialapp.common.text import clean_body, parse_mentions
from socialapp.common.visibility import most_restricted
from socialapp.events.catalogue import EventType
from socialapp.write.accounts.models import User
from socialapp.write.accounts.selectors import mentions_resolve
from socialapp.write.comments.models import Comment
from socialapp.write.common.aggregates import append_to, lock_active_actor, save_and_append
from socialapp.write.posts.models import Post
from socialapp.write.posts.services import clean_visibility, content_warning, live_post, unchanged_visibility
from socialapp.write.relations.services import refuse_if_blocked


def _answered_comment(comment_id: int, post: Post) -> Comment:
    """The comment a new one answers, locked FOR SHARE (a racing delete of it waits or wins,
    as for the post): live, its author neither deactivated nor suspended, and on `post` (a
    thread never crosses posts)."""
    found = Comment.objects.raw(
        "SELECT c.*, COALESCE(u.deactivated_at, u.suspended_at) AS author_gone_at FROM comments_comment c"
        " JOIN accounts_user u ON u.id = c.author_id WHERE c.id = %s FOR SHARE OF c",
        [comment_id],
    )
    answered = next(iter(found), None)
    if answered is None or answered.deleted_at is not None or answered.author_gone_at is not None:
        raise NotFound("No such comment.")
    if answered.post_id != post.id:
        raise ValidationFailed.on("in_reply_to", "Must be a comment of the same post.")
    return answered


@transaction.atomic
def comment_create(
    *,
    post_id: int,
    author: User,
    body: str,
    in_reply_to_id: int | None = None,
    spoiler_text: str = "",
    sensitive: bool = False,
    visibility: str | None = None,
) -> Comment:
    """On a post that exists and is not deleted (FOR SHARE: a racing delete waits or wins);
    answering the post itself, or (`in_reply_to_id`) a live comment of the same post. Its
    visibility is the most restricted of what was asked (None: the post's) and the post's, so a
    reply never shows more widely than what it answers."""
    asked = None if visibility is None else clean_visibility(visibility)
    lock_active_actor(author.pk)
    post = live_post(post_id, for_update=False)
    answered = None if in_reply_to_id is None else _answered_comment(in_reply_to_id, post)
    refuse_if_blocked(author.pk, post.author_id, answered.author_id if answered else None)
    text = clean_body(body)
    spoiler, sensitive = content_warning(spoiler_text, sensitive, current=("", False))
    comment = rows.insert(  # a prepared INSERT (socialapp.common.rows)
        Comment(
            post=post,
            author=author,
            body=text,
            mentions=mentions_resolve(usernames=parse_mentions(text)),
            in_reply_to=answered,
            spoiler_text=spoiler,
            sensitive=sensitive,
            visibility=most_restricted(asked or post.visibility, post.visibility).value,
            created_at=timezone.now(),
            version=1,
        )
    )
    append_to(
        comment,
        event_type=EventType.COMMENT_CREATED,
        actor_id=author.pk,
        payload={
            "comment_id": comment.id,
            "post_id": post.id,
            "post_author_id": post.author_id,
            "author_id": author.pk,
            "author_username": author.username,
            "author_display_name": author.display_name,
            "body": comment.body,
            "mentions": comment.mentions,
            "in_reply_to_id": answered.id if answered else None,
            "in_reply_to_account_id": answered.author_id if answered else post.author_id,
            "spoiler_text": comment.spoiler_text,
            "sensitive": comment.sensitive,
            "visibility": comment.visibility,
            "created_at": comment.created_at.isoformat(),
        },
    )
    return comment


def _live_comment(comment_id: int, *, moderator: bool) -> Comment:
    comment = (
        Comment.objects.select_for_update(of=("self",))
        .select_related("post", "post__author", "author")
        .filter(pk=comment_id)
        .first()
    )
    if (
        comment is None
        or comment.deleted_at is not None
        or comment.post.deleted_at is not None
        or (
            not moderator
            and (
                comment.author.deactivated_at
                or comment.post.author.deactivated_at
                or comment.author.suspended_at
                or comment.post.author.suspended_at
            )
        )
    ):
        raise NotFound("No such comment.")
    return comment


@transaction.atomic
def comment_edit(
    *,
    comment_id: int,
    actor: User,
    body: str,
    spoiler_text: str | None = None,
    sensitive: bool | None = None,
    visibility: str | None = None,
) -> Comment:
    """Author only; the same content again changes nothing and appends nothing. `spoiler_text`
    and `sensitive` left out (None) keep their values; what it answers never changes, nor does
    its visibility (`visibility` may only repeat it)."""
    lock_active_actor(actor.pk)
    comment = _live_comment(comment_id, moderator=False)
    if comment.author_id != actor.pk:
        raise NotAuthorized("Only the author may edit a comment.")
    unchanged_visibility(visibility, comment.visibility)
    text = clean_body(body)
    spoiler, sensitive = content_warning(spoiler_text, sensitive, current=(comment.spoiler_text, comment.sensitive))
    if (text, spoiler, sensitive) == (comment.body, comment.spoiler_text, comment.sensitive):
        return comment
    comment.body, comment.spoiler_text, comment.sensitive = text, spoiler, sensitive
    comment.mentions = mentions_resolve(usernames=parse_mentions(text))
    comment.edited_at = timezone.now()
    save_and_append(
        comment,
        update_fields=["body", "mentions", "spoiler_text", "sensitive", "edited_at"],
        event_type=EventType.COMMENT_EDITED,
        actor_id=actor.pk,
        payload={
            "comment_id": comment.id,
            "post_id": comment.post_id,
            "body": comment.body,
            "mentions": comment.mentions,
            "spoiler_text": comment.spoiler_text,
            "sensitive": comment.sensitive,
            "edited_at": comment.edited_at.isoformat(),
        },
    )
    return comment


@transaction.atomic
def comment_delete(*, comment_id: int, actor: User) -> Comment:
    """By the comment's author, the post's author or a moderator."""
    lock_active_actor(actor.pk)
    comment = _live_comment(comment_id, moderator=actor.is_staff)
    if actor.pk not in (comment.author_id, comment.post.author_id) and not actor.is_staff:
        raise NotAuthorized("Only the comment's author, the post's author or a moderator may delete it.")
    comment.deleted_at = timezone.now()
    comment.deleted_by = actor
    save_and_append(
        comment,
        update_fields=["deleted_at", "deleted_by"],
        event_type=EventType.COMMENT_DELETED,
        actor_id=actor.pk,
        payload={
            "comment_id": comment.id,
            "post_id": comment.post_id,
            "author_id": comment.author_id,
            "deleted_at": comment.deleted_at.isoformat(),
            "deleted_by": actor.pk,
        },
    )
    return comment
