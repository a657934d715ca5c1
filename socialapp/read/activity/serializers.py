"""The dashboard endpoint's query parameters and response (explicit, for the OpenAPI schema)."""

from __future__ import annotations

from rest_framework import serializers

from socialapp.read.activity.selectors import DEFAULT_WINDOW, WINDOWS


class DashboardQueryIn(serializers.Serializer):
    window = serializers.ChoiceField(choices=list(WINDOWS), required=False, default=DEFAULT_WINDOW)


class NamedSeriesOut(serializers.Serializer):
    name = serializers.CharField(help_text="command name or event type")
    values = serializers.ListField(child=serializers.IntegerField(), help_text="one count per bucket")
    total = serializers.IntegerField(help_text="the window's total")


class ActiveUsersOut(serializers.Serializer):
    values = serializers.ListField(child=serializers.IntegerField(), help_text="distinct accounts per bucket")
    total = serializers.IntegerField(help_text="distinct accounts in the whole window")


class PostsPerHourOut(serializers.Serializer):
    buckets = serializers.ListField(child=serializers.DateTimeField(), help_text="hour starts, oldest first")
    values = serializers.ListField(child=serializers.IntegerField(), help_text="posts created per hour")


class TopTagOut(serializers.Serializer):
    name = serializers.CharField()
    score = serializers.FloatField()
    uses = serializers.IntegerField()
    accounts = serializers.IntegerField()


class ProjectionSeriesOut(serializers.Serializer):
    name = serializers.CharField(help_text="projector")
    lag = serializers.ListField(
        child=serializers.IntegerField(allow_null=True),
        help_text="largest sampled lag (events not applied yet) per bucket; null: no sample",
    )
    dead = serializers.ListField(
        child=serializers.IntegerField(allow_null=True),
        help_text="largest sampled dead-letter count per bucket; null: no sample or broker API unreachable",
    )


class DashboardOut(serializers.Serializer):
    window = serializers.ChoiceField(choices=list(WINDOWS))
    bucket_seconds = serializers.IntegerField()
    generated_at = serializers.DateTimeField()
    buckets = serializers.ListField(child=serializers.DateTimeField(), help_text="bucket starts, oldest first")
    commands = NamedSeriesOut(many=True, help_text="commands per bucket by type, busiest first")
    events = NamedSeriesOut(many=True, help_text="events per bucket by type, busiest first")
    active_users = ActiveUsersOut()
    posts_per_hour = PostsPerHourOut()
    top_tags = TopTagOut(many=True)
    projections = ProjectionSeriesOut(many=True)
