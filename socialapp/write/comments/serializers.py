"""Output shape of the comment commands (input: socialapp.write.posts.serializers.BodyIn)."""

from rest_framework import serializers

from socialapp.write.posts.serializers import AuthorOut, MentionOut


class CommentOut(serializers.Serializer):
    id = serializers.CharField()
    post_id = serializers.CharField()
    author = AuthorOut()
    body = serializers.CharField()
    mentions = MentionOut(many=True)
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField()
