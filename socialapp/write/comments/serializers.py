"""Output shape of the comment commands (input: socialapp.write.posts.serializers.StatusIn)."""

from rest_framework import serializers

from socialapp.common.visibility import VALUES as VISIBILITIES
from socialapp.write.posts.serializers import AuthorOut, MentionOut


class CommentOut(serializers.Serializer):
    id = serializers.CharField()
    post_id = serializers.CharField()
    author = AuthorOut()
    body = serializers.CharField()
    mentions = MentionOut(many=True)
    # The most restricted of the asked visibility and the post's.
    visibility = serializers.ChoiceField(choices=VISIBILITIES)
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField()
