from rest_framework import serializers

from socialapp.common.fields import StrictRegexField

KINDS = ["follow", "like", "comment", "mention", "follow_request", "report_resolved"]


class NotificationOut(serializers.Serializer):
    """`follow_request`: the actor asks to follow you (shown while pending). `report_resolved`:
    a report you filed was resolved (`report`: its id and the action taken); the actor is you."""

    id = serializers.CharField(source="seq", help_text="stable id, increasing in the order notifications arrive")
    kind = serializers.ChoiceField(choices=KINDS)
    actor = serializers.SerializerMethodField()
    post_id = serializers.CharField(allow_null=True)
    comment_id = serializers.CharField(allow_null=True)
    report = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    unread = serializers.BooleanField()

    class ActorOut(serializers.Serializer):
        id = serializers.CharField()
        username = serializers.CharField()

    class NotificationReportOut(serializers.Serializer):
        id = serializers.CharField()
        action = serializers.ChoiceField(choices=["none", "suspend", "delete_post"])

    def get_actor(self, row: dict) -> dict:
        return {"id": str(row["actor_id"]), "username": row["actor_username"]}

    def get_report(self, row: dict) -> dict | None:
        if row.get("report_id") is None:
            return None
        return {"id": str(row["report_id"]), "action": row["report_action"]}


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
