from django.apps import AppConfig


class FeedsConfig(AppConfig):
    name = "socialapp.read.feeds"
    label = "read_feeds"
    database = "read"
