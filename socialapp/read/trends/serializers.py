"""Input and output shapes of the trends endpoints (explicit fields: nothing leaks)."""

from rest_framework import serializers

from socialapp.read.feeds.serializers import PublicPostOut
from socialapp.read.trends.ranking import DEFAULT_WINDOW, WINDOWS

MAX_OFFSET = 10_000


def _trends_in(default_limit: int) -> type[serializers.Serializer]:
    class In(serializers.Serializer):
        window = serializers.ChoiceField(
            choices=list(WINDOWS), default=DEFAULT_WINDOW, help_text="the period ranked (docs/analytics.md)"
        )
        limit = serializers.IntegerField(min_value=1, max_value=100, default=default_limit)
        offset = serializers.IntegerField(min_value=0, max_value=MAX_OFFSET, default=0)

    return In


class TrendingTagsIn(_trends_in(10)):  # type: ignore[misc]
    pass


class TrendingPostsIn(_trends_in(20)):  # type: ignore[misc]
    pass


class TrendingTagOut(serializers.Serializer):
    name = serializers.CharField()
    score = serializers.FloatField(help_text="(observed - expected)^2 / max(expected, 1): docs/analytics.md")
    uses = serializers.IntegerField(help_text="uses in the window")
    accounts = serializers.IntegerField(help_text="distinct accounts that used it in the window")


class TrendingTagsOut(serializers.Serializer):
    window = serializers.ChoiceField(choices=list(WINDOWS))
    results = TrendingTagOut(many=True)


class TrendingPostsOut(serializers.Serializer):
    window = serializers.ChoiceField(choices=list(WINDOWS))
    results = PublicPostOut(many=True)


class TagDayOut(serializers.Serializer):
    day = serializers.DateField(help_text="a UTC day")
    uses = serializers.IntegerField()
    accounts = serializers.IntegerField(help_text="distinct accounts that used the tag that day")


class TagHistoryOut(serializers.Serializer):
    tag = serializers.CharField()
    history = TagDayOut(many=True, help_text="7 days, today (UTC) first")
