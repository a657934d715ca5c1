from django.apps import AppConfig


class CommonConfig(AppConfig):
    """Shared plumbing: errors, auth, ids, health. Its migrations live on the write side."""

    name = "socialapp.common"
    label = "common"
    database = "default"

    def ready(self) -> None:
        # The API's path converters must exist before the first URLconf is loaded.
        from socialapp.common import converters

        converters.register()
