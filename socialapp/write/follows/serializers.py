"""Output shape of the follow commands (they take no body). Ids are strings in JSON."""

from rest_framework import serializers


class FollowOut(serializers.Serializer):
    follower_id = serializers.CharField()
    followee_id = serializers.CharField()
    followee_username = serializers.CharField()
    following = serializers.BooleanField()
    requested = serializers.BooleanField(
        help_text="true when the followee is locked: a follow request awaits its approval (following is false)"
    )
