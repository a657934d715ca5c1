"""Input and output shapes of the post and like commands. Ids are strings in JSON."""

from typing import Any

from rest_framework import serializers

from socialapp.common.fields import StrictRegexField, clean_text_field
from socialapp.common.languages import CODE_PATTERN as LANGUAGE_CODE_PATTERN
from socialapp.common.languages import INVALID as INVALID_LANGUAGE
from socialapp.common.languages import MAX_LENGTH as LANGUAGE_MAX_LENGTH
from socialapp.common.text import BODY_MAX_LENGTH
from socialapp.common.visibility import VALUES as VISIBILITIES


class BodyIn(serializers.Serializer):
    """A body to write; its rules (length, characters) are the service's, shared with comments.
    Here: a JSON string, and a cap on the raw input before the service's per-character work."""

    body = clean_text_field(BODY_MAX_LENGTH, min_length=1)


class StatusIn(BodyIn):
    """A body and, optional, its visibility (docs/privacy.md). On creation: a post's default is
    `public`, a comment's its post's (never less restricted than the post). On an edit it may
    only repeat the status's visibility: a different one is a 400 problem naming `visibility`."""

    visibility = serializers.ChoiceField(
        choices=VISIBILITIES,
        required=False,
        help_text="public, unlisted, followers (approved followers and those mentioned) or direct"
        " (those mentioned only); fixed at creation.",
    )


class LanguageIn(serializers.Serializer):
    """A post's language, optional: an ISO 639-1 code (any case, stored lower-case; `""` for
    none). On an edit, left out keeps the post's language, `""` clears it. The pattern lists the
    codes (socialapp.common.languages.CODE_PATTERN): `xx` has the shape of one but is refused."""

    language = StrictRegexField(
        LANGUAGE_CODE_PATTERN,
        max_length=LANGUAGE_MAX_LENGTH,
        required=False,
        allow_blank=True,
        error_messages={"invalid_format": INVALID_LANGUAGE},
        help_text="The language the post is written in: an ISO 639-1 code such as `en` or `fr`"
        ' (any case; stored lower-case), or `""` for none. Left out on an edit: unchanged.',
    )


class PostIn(StatusIn, LanguageIn):
    """A post's body and visibility and, optional, its language (LanguageIn)."""


class PostEditIn(BodyIn, LanguageIn):
    """An edit of a post, as documented: its body and, optional, its language. The visibility is
    fixed at creation: an edit may repeat it (PostIn is what the view reads), a different one is
    a 400 problem naming `visibility`; left out, it is unchanged."""


class AuthorOut(serializers.Serializer):
    id = serializers.CharField()
    username = serializers.CharField()
    display_name = serializers.CharField()


class MentionOut(serializers.Serializer):
    user_id = serializers.CharField()
    username = serializers.CharField()


class PostOut(serializers.Serializer):
    id = serializers.CharField()
    author = AuthorOut()
    body = serializers.CharField()
    hashtags = serializers.ListField(child=serializers.CharField())
    mentions = MentionOut(many=True)
    visibility = serializers.ChoiceField(choices=VISIBILITIES)
    language = serializers.CharField(help_text='ISO 639-1 code the client gave, `""` if none.')
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField()


_DATETIME = serializers.DateTimeField()  # unbound: its to_representation needs no parent


def datetime_out(value: Any) -> str:
    """A datetime as a DateTimeField answers it (ISO 8601 in UTC, `Z`)."""
    return _DATETIME.to_representation(value)


def post_out(post: Any) -> dict[str, Any]:
    """`PostOut(post).data`, built directly: every post create and edit answers with it, and a
    serializer instance deep-copies its ten declared fields (and its nested serializers') on
    every call, which cost more CPU than the post's INSERT. PostOut stays the documented shape;
    tests/write/test_post_out.py checks that both give the same JSON."""
    author = post.author
    return {
        "id": str(post.id),
        "author": {"id": str(author.pk), "username": str(author.username), "display_name": str(author.display_name)},
        "body": str(post.body),
        "hashtags": [str(tag) for tag in post.hashtags],
        "mentions": [{"user_id": str(m["user_id"]), "username": str(m["username"])} for m in post.mentions],
        "visibility": post.visibility,
        "language": str(post.language),
        "created_at": datetime_out(post.created_at),
        "edited_at": None if post.edited_at is None else datetime_out(post.edited_at),
        "version": int(post.version),
    }


class LikeOut(serializers.Serializer):
    post_id = serializers.CharField()
    user_id = serializers.CharField()
    liked = serializers.BooleanField()


def like_out(post_id: int, user_id: int) -> dict[str, Any]:
    """`LikeOut({...}).data` of a like, built directly (as `post_out`): a like answers with it,
    and the serializer instance deep-copied its fields on every request (tests/write/test_post_out.py)."""
    return {"post_id": str(post_id), "user_id": str(user_id), "liked": True}
