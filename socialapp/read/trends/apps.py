"""Trends: time-bucketed counters of hashtag uses and post engagement, ranked (docs/analytics.md)."""

from django.apps import AppConfig


class TrendsConfig(AppConfig):
    name = "socialapp.read.trends"
    label = "read_trends"
    database = "read"

    def ready(self) -> None:
        from socialapp.read.trends import projector  # noqa: F401 - registers the projector
