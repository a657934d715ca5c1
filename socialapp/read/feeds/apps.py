from django.apps import AppConfig


class FeedsConfig(AppConfig):
    name = "socialapp.read.feeds"
    label = "read_feeds"
    database = "read"

    def ready(self) -> None:
        from socialapp.read.feeds.projectors import home_feed, posts  # noqa: F401 - registers projectors
