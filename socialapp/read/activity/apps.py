from django.apps import AppConfig


class ActivityConfig(AppConfig):
    name = "socialapp.read.activity"
    label = "read_activity"
    database = "read"
