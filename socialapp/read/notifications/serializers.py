from rest_framework import serializers

from socialapp.common.fields import StrictRegexField


class NotificationOut(serializers.Serializer):
    id = serializers.CharField(source="seq", help_text="stable id, increasing in the order notifications arrive")
    kind = serializers.ChoiceField(choices=["follow", "like", "comment", "mention"])
    actor = serializers.SerializerMethodField()
    post_id = serializers.CharField(allow_null=True)
    comment_id = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    unread = serializers.BooleanField()

    class ActorOut(serializers.Serializer):
        id = serializers.CharField()
        username = serializers.CharField()

    def get_actor(self, row: dict) -> dict:
        return {"id": str(row["actor_id"]), "username": row["actor_username"]}


class NotificationPageOut(serializers.Serializer):
    results = NotificationOut(many=True)
    next = serializers.CharField(allow_null=True)
    unread_count = serializers.IntegerField()


class MarkReadIn(serializers.Serializer):
    up_to = StrictRegexField(
        r"^[0-9]{1,18}$",
        max_length=18,
        required=False,
        help_text="id of the newest notification to mark read; default: all current ones",
    )


class MarkReadOut(serializers.Serializer):
    unread_count = serializers.IntegerField()
