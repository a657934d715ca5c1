"""Input and output shapes of the post and like commands. Ids are strings in JSON."""

from rest_framework import serializers

from socialapp.common.fields import StrictCharField
from socialapp.common.text import BODY_MAX_LENGTH, raw_input_cap
from socialapp.common.visibility import VALUES as VISIBILITIES


class BodyIn(serializers.Serializer):
    """A body to write; its rules (length, characters) are the service's, shared with comments.
    Here: a JSON string, and a cap on the raw input before the service's per-character work."""

    body = StrictCharField(trim_whitespace=False, allow_blank=True, max_length=raw_input_cap(BODY_MAX_LENGTH))


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
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField()


class LikeOut(serializers.Serializer):
    post_id = serializers.CharField()
    user_id = serializers.CharField()
    liked = serializers.BooleanField()
