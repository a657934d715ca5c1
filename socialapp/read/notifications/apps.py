from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "socialapp.read.notifications"
    label = "read_notifications"
    database = "read"
