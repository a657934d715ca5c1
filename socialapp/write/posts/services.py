"""Post and like commands. Lock order and versioning: socialapp.write.common.aggregates."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from socialapp.common import languages, rows
from socialapp.common.errors import NotAuthorized, NotFound, ValidationFailed
from socialapp.common.text import clean_body, clean_spoiler, parse_hashtags, parse_mentions
from socialapp.common.visibility import VALUES as VISIBILITIES
from socialapp.events.catalogue import EventType
from socialapp.write.accounts.models import User
from socialapp.write.accounts.selectors import mentions_resolve
from socialapp.write.common.aggregates import append_to, lock_active_actor, save_and_append, set_active
from socialapp.write.posts.models import Like, Post
from socialapp.write.relations.services import refuse_if_blocked


def live_post(post_id: int, *, for_update: bool, moderator: bool = False) -> Post:
    """The post, locked (FOR UPDATE to change it, FOR SHARE to attach a like or comment to it),
    if it exists, is not deleted and its author is not deactivated or suspended (a moderator
    still sees such a user's post)."""
    if for_update:
        post = Post.objects.select_for_update(of=("self",)).select_related("author").filter(pk=post_id).first()
        author_gone = post is not None and (post.author.deactivated_at or post.author.suspended_at) is not None
    else:
        found = rows.fetch(
            Post,
            f"SELECT {rows.columns(Post, 'p')}, COALESCE(u.deactivated_at, u.suspended_at) FROM posts_post p"
            " JOIN accounts_user u ON u.id = p.author_id WHERE p.id = %s FOR SHARE OF p",
            [post_id],
            extra=("author_deactivated_at",),
        )
        post = found[0] if found else None
        author_gone = post is not None and post.author_deactivated_at is not None
    if post is None or post.deleted_at is not None or (author_gone and not moderator):
        raise NotFound("No such post.")
    return post


def content_warning(spoiler_text: object, sensitive: bool | None, *, current: tuple[str, bool]) -> tuple[str, bool]:
    """The (spoiler_text, sensitive) a post or comment gets from a command: None keeps the
    current value; a content warning makes the status sensitive (as Mastodon does), so a client
    that sets one never shows the text unwarned."""
    spoiler = current[0] if spoiler_text is None else clean_spoiler(spoiler_text)
    flag = current[1] if sensitive is None else bool(sensitive)
    return spoiler, flag or bool(spoiler)


def clean_visibility(value: object) -> str:
    """One of public, unlisted, followers, direct (our vocabulary: Mastodon's `private` is
    translated by the Mastodon face); anything else is refused, never guessed."""
    if not isinstance(value, str) or value not in VISIBILITIES:
        raise ValidationFailed.on("visibility", f"Must be one of: {', '.join(VISIBILITIES)}.")
    return value


def clean_language(value: object) -> str:
    """A post's language: an ISO 639-1 code of socialapp.common.languages (any case, stored
    lower-case), or "" for none given. Anything else (`eng`, `en-US`, `english`) is refused
    rather than kept, since every reader (search's stemming, `language:xx`) compares codes."""
    if value is None or value == "":
        return ""
    code = languages.normalise(value) if isinstance(value, str) else None
    if code is None:
        raise ValidationFailed.on("language", languages.INVALID)
    return code


def unchanged_visibility(asked: object, current: str) -> None:
    """An edit may repeat a status's visibility but never change it (docs/privacy.md: widening
    would show it where it was kept out, narrowing would leave copies already delivered)."""
    if asked is not None and clean_visibility(asked) != current:
        raise ValidationFailed.on("visibility", "visibility can't be changed by an edit.")


@transaction.atomic
def post_create(
    *,
    author: User,
    body: str,
    spoiler_text: str = "",
    sensitive: bool = False,
    visibility: str = "public",
    language: str | None = None,
) -> Post:
    """A post with its visibility (fixed from now on); its audience is the users it mentions.
    `language`: the ISO 639-1 code the client gives (None or "": not given)."""
    visibility = clean_visibility(visibility)
    language = clean_language(language)
    lock_active_actor(author.pk)
    text = clean_body(body)
    spoiler, sensitive = content_warning(spoiler_text, sensitive, current=("", False))
    post = rows.insert(  # an INSERT built once per process, not the ORM's compiler (socialapp.common.rows)
        Post(
            author=author,
            body=text,
            hashtags=parse_hashtags(text),
            mentions=mentions_resolve(usernames=parse_mentions(text)),
            spoiler_text=spoiler,
            sensitive=sensitive,
            visibility=visibility,
            language=language,
            created_at=timezone.now(),
            version=1,
        )
    )
    append_to(
        post,
        event_type=EventType.POST_CREATED,
        actor_id=author.pk,
        payload={
            "post_id": post.id,
            "author_id": author.pk,
            "author_username": author.username,
            "author_display_name": author.display_name,
            "body": post.body,
            "hashtags": post.hashtags,
            "mentions": post.mentions,
            "spoiler_text": post.spoiler_text,
            "sensitive": post.sensitive,
            "visibility": post.visibility,
            "language": post.language,
            "created_at": post.created_at.isoformat(),
        },
    )
    return post


@transaction.atomic
def post_edit(
    *,
    post_id: int,
    actor: User,
    body: str,
    spoiler_text: str | None = None,
    sensitive: bool | None = None,
    visibility: str | None = None,
    language: str | None = None,
) -> Post:
    """Author only. The same content again changes nothing and appends nothing. `spoiler_text`,
    `sensitive` and `language` left out (None) keep their values (`language=""` clears it); a new
    language alone is an edit like any other; `visibility` may only repeat the post's."""
    lock_active_actor(actor.pk)
    post = live_post(post_id, for_update=True)
    if post.author_id != actor.pk:
        raise NotAuthorized("Only the author may edit a post.")
    unchanged_visibility(visibility, post.visibility)
    lang = post.language if language is None else clean_language(language)
    text = clean_body(body)
    spoiler, sensitive = content_warning(spoiler_text, sensitive, current=(post.spoiler_text, post.sensitive))
    if (text, spoiler, sensitive, lang) == (post.body, post.spoiler_text, post.sensitive, post.language):
        return post
    post.body, post.spoiler_text, post.sensitive, post.language = text, spoiler, sensitive, lang
    post.hashtags = parse_hashtags(text)
    post.mentions = mentions_resolve(usernames=parse_mentions(text))
    post.edited_at = timezone.now()
    save_and_append(
        post,
        update_fields=["body", "hashtags", "mentions", "spoiler_text", "sensitive", "language", "edited_at"],
        event_type=EventType.POST_EDITED,
        actor_id=actor.pk,
        payload={
            "post_id": post.id,
            "author_id": post.author_id,
            "body": post.body,
            "hashtags": post.hashtags,
            "mentions": post.mentions,
            "spoiler_text": post.spoiler_text,
            "sensitive": post.sensitive,
            "visibility": post.visibility,
            "language": post.language,
            "edited_at": post.edited_at.isoformat(),
        },
    )
    return post


@transaction.atomic
def post_delete(*, post_id: int, actor: User) -> Post:
    """Author or moderator. Soft: the row stays; its comments and likes die with it (no
    events of their own, as docs/events.md says of `post.deleted`)."""
    lock_active_actor(actor.pk)
    post = live_post(post_id, for_update=True, moderator=actor.is_staff)
    if post.author_id != actor.pk and not actor.is_staff:
        raise NotAuthorized("Only the author or a moderator may delete a post.")
    post.deleted_at = timezone.now()
    post.deleted_by = actor
    save_and_append(
        post,
        update_fields=["deleted_at", "deleted_by"],
        event_type=EventType.POST_DELETED,
        actor_id=actor.pk,
        payload={
            "post_id": post.id,
            "author_id": post.author_id,
            "deleted_at": post.deleted_at.isoformat(),
            "deleted_by": actor.pk,
        },
    )
    return post


def _set_like(*, post_id: int, user: User, active: bool) -> tuple[Like | None, bool]:
    lock_active_actor(user.pk)
    post = live_post(post_id, for_update=False)
    if active:  # unliking stays possible: it only takes something back
        refuse_if_blocked(user.pk, post.author_id)
    return set_active(
        Like,
        {"post_id": post.id, "user_id": user.pk},
        active=active,
        event_type=EventType.POST_LIKED if active else EventType.POST_UNLIKED,
        actor_id=user.pk,
        payload=lambda like: {
            "post_id": post.id,
            "user_id": user.pk,
            "username": user.username,
            "post_author_id": post.author_id,
            "at": like.changed_at.isoformat(),
        },
    )


@transaction.atomic
def post_like(*, post_id: int, user: User) -> tuple[Like, bool]:
    """Like a post. Returns (like, changed); liking again changes nothing and appends nothing
    (racing duplicates: socialapp.write.common.aggregates.set_active)."""
    return _set_like(post_id=post_id, user=user, active=True)  # type: ignore[return-value]  # never None


@transaction.atomic
def post_unlike(*, post_id: int, user: User) -> tuple[Like | None, bool]:
    """Unlike a post. Unliking what is not liked changes nothing and appends nothing."""
    return _set_like(post_id=post_id, user=user, active=False)
