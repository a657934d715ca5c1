from django.apps import AppConfig


class ActivityConfig(AppConfig):
    name = "socialapp.read.activity"
    label = "read_activity"
    database = "read"
    verbose_name = "Activity"

    def ready(self) -> None:
        from django.contrib import admin

        from socialapp.read.activity import projector  # noqa: F401 - registers the projector

        # The admin index links the dashboard page (Django's index, with one module above the apps).
        admin.site.index_template = "admin/activity/index.html"
