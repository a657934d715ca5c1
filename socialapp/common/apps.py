from django.apps import AppConfig


class CommonConfig(AppConfig):
    """Shared plumbing: errors, auth, ids, health. Its migrations live on the write side."""

    name = "socialapp.common"
    label = "common"
    database = "default"
