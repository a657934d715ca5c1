from django.apps import AppConfig


class TrendsConfig(AppConfig):
    name = "socialapp.read.trends"
    label = "read_trends"
    database = "read"
