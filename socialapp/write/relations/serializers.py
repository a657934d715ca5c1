"""Input and output shapes of the block, mute and follow-request commands. Ids are strings in JSON."""

from rest_framework import serializers

from socialapp.common.fields import StrictBooleanField, StrictIntegerField
from socialapp.write.relations.services import MUTE_DURATION_MAX


class MuteIn(serializers.Serializer):
    notifications = StrictBooleanField(
        required=False, default=True, help_text="also hide the notifications they cause (default true)"
    )
    duration = StrictIntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=0,
        max_value=MUTE_DURATION_MAX,
        help_text="seconds until the mute ends by itself; 0 or null: forever (default)",
    )


class BlockOut(serializers.Serializer):
    blocker_id = serializers.CharField()
    blocked_id = serializers.CharField()
    blocked_username = serializers.CharField()
    blocking = serializers.BooleanField()


class MuteOut(serializers.Serializer):
    muter_id = serializers.CharField()
    muted_id = serializers.CharField()
    muted_username = serializers.CharField()
    muting = serializers.BooleanField()
    notifications = serializers.BooleanField(help_text="their notifications are hidden too")
    expires_at = serializers.DateTimeField(allow_null=True, help_text="null: until unmuted")


class FollowRequestOut(serializers.Serializer):
    follower_id = serializers.CharField()
    followee_id = serializers.CharField()
    follower_username = serializers.CharField()
    outcome = serializers.ChoiceField(choices=["approved", "rejected"])
    followed_by = serializers.BooleanField(help_text="whether they follow you now")
