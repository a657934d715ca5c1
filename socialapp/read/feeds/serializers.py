"""Output serializers of the post-shaped query endpoints (explicit fields: nothing leaks).

`Public...Out`: a post or comment as every reader sees it (counters, `liked_by_me`), named apart
from the command side's `PostOut`/`CommentOut` (the author's copy, with `version`), since both
are components of the one OpenAPI document.
"""

from rest_framework import serializers

from socialapp.read.common.visibility import RESTRICTION

VISIBILITIES = [v.value for v in RESTRICTION]
VISIBILITY_HELP = "who may see it (docs/privacy.md); a comment's is at least its post's"


class PublicAuthorOut(serializers.Serializer):
    id = serializers.CharField(source="author_id", help_text="64-bit id as a string")
    username = serializers.CharField(source="author_username")
    display_name = serializers.CharField(source="author_display_name")


class PublicMentionOut(serializers.Serializer):
    user_id = serializers.CharField()
    username = serializers.CharField()


class PublicPostOut(serializers.Serializer):
    id = serializers.CharField(source="post_id", help_text="64-bit id as a string")
    author = PublicAuthorOut(source="*")
    body = serializers.CharField()
    hashtags = serializers.ListField(child=serializers.CharField())
    mentions = PublicMentionOut(many=True)
    visibility = serializers.ChoiceField(choices=VISIBILITIES, help_text=VISIBILITY_HELP)
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)
    like_count = serializers.IntegerField()
    comment_count = serializers.IntegerField()
    liked_by_me = serializers.BooleanField(help_text="false for anonymous callers")


class PublicPostPageOut(serializers.Serializer):
    results = PublicPostOut(many=True)
    next = serializers.CharField(allow_null=True, help_text="cursor of the next page; null on the last page")


class PublicCommentOut(serializers.Serializer):
    id = serializers.CharField(source="comment_id")
    post_id = serializers.CharField()
    author = PublicAuthorOut(source="*")
    body = serializers.CharField()
    mentions = PublicMentionOut(many=True)
    visibility = serializers.ChoiceField(choices=VISIBILITIES, help_text=VISIBILITY_HELP)
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)


class PublicCommentPageOut(serializers.Serializer):
    results = PublicCommentOut(many=True)
    next = serializers.CharField(allow_null=True)
