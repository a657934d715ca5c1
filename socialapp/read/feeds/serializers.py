"""Output serializers of the post-shaped query endpoints (explicit fields: nothing leaks)."""

from rest_framework import serializers


class PostAuthorRead(serializers.Serializer):
    id = serializers.CharField(source="author_id", help_text="64-bit id as a string")
    username = serializers.CharField(source="author_username")
    display_name = serializers.CharField(source="author_display_name")


class MentionRead(serializers.Serializer):
    user_id = serializers.CharField()
    username = serializers.CharField()


class PostRead(serializers.Serializer):
    id = serializers.CharField(source="post_id", help_text="64-bit id as a string")
    author = PostAuthorRead(source="*")
    body = serializers.CharField()
    hashtags = serializers.ListField(child=serializers.CharField())
    mentions = MentionRead(many=True)
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)
    like_count = serializers.IntegerField()
    comment_count = serializers.IntegerField()
    liked_by_me = serializers.BooleanField(help_text="false for anonymous callers")


class PostPageRead(serializers.Serializer):
    results = PostRead(many=True)
    next = serializers.CharField(allow_null=True, help_text="cursor of the next page; null on the last page")


class CommentRead(serializers.Serializer):
    id = serializers.CharField(source="comment_id")
    post_id = serializers.CharField()
    author = PostAuthorRead(source="*")
    body = serializers.CharField()
    mentions = MentionRead(many=True)
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)


class CommentPageRead(serializers.Serializer):
    results = CommentRead(many=True)
    next = serializers.CharField(allow_null=True)
