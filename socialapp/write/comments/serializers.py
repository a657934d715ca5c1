"""Output shape of the comment commands (input: socialapp.write.posts.serializers.StatusIn)."""

from typing import Any

from rest_framework import serializers

from socialapp.common.visibility import VALUES as VISIBILITIES
from socialapp.write.posts.serializers import AuthorOut, MentionOut, datetime_out


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


def comment_out(comment: Any) -> dict[str, Any]:
    """`CommentOut(comment).data`, built directly (why: socialapp.write.posts.serializers.post_out);
    tests/write/test_post_out.py checks that both give the same JSON."""
    author = comment.author
    return {
        "id": str(comment.id),
        "post_id": str(comment.post_id),
        "author": {"id": str(author.pk), "username": str(author.username), "display_name": str(author.display_name)},
        "body": str(comment.body),
        "mentions": [{"user_id": str(m["user_id"]), "username": str(m["username"])} for m in comment.mentions],
        "visibility": comment.visibility,
        "created_at": datetime_out(comment.created_at),
        "edited_at": None if comment.edited_at is None else datetime_out(comment.edited_at),
        "version": int(comment.version),
    }
