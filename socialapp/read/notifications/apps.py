from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "socialapp.read.notifications"
    label = "read_notifications"
    database = "read"

    def ready(self) -> None:
        from socialapp.read.notifications import projector  # noqa: F401 - registers projectors
