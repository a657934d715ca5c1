"""Input and output shapes of the post and like commands. Ids are strings in JSON."""

from rest_framework import serializers


class BodyIn(serializers.Serializer):
    """A body to write; its rules (length, characters) are the service's, shared with comments."""

    body = serializers.CharField(trim_whitespace=False, allow_blank=True)


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
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField()


class LikeOut(serializers.Serializer):
    post_id = serializers.CharField()
    user_id = serializers.CharField()
    liked = serializers.BooleanField()
