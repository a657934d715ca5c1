"""The documented shapes of the caller's relation lists (the bytes are rendered by PostgreSQL:
selectors.py; tests/read/test_relations_api.py checks they match these)."""

from rest_framework import serializers


class RelatedAccountOut(serializers.Serializer):
    id = serializers.CharField()
    username = serializers.CharField()
    display_name = serializers.CharField()


class MutedAccountOut(RelatedAccountOut):
    notifications = serializers.BooleanField(help_text="whether their notifications are muted too")
    expires_at = serializers.DateTimeField(allow_null=True, help_text="when the mute ends by itself; null: never")


class RequestingAccountOut(RelatedAccountOut):
    requested_at = serializers.DateTimeField(allow_null=True, help_text="when they asked to follow you")


class BlockPageOut(serializers.Serializer):
    results = RelatedAccountOut(many=True)
    next = serializers.CharField(allow_null=True)


class MutePageOut(serializers.Serializer):
    results = MutedAccountOut(many=True)
    next = serializers.CharField(allow_null=True)


class FollowRequestPageOut(serializers.Serializer):
    results = RequestingAccountOut(many=True)
    next = serializers.CharField(allow_null=True)
