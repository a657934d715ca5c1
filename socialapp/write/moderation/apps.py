from django.apps import AppConfig


class ModerationConfig(AppConfig):
    """Reports of accounts and posts, and their resolution by moderators (docs/privacy.md)."""

    name = "socialapp.write.moderation"
    label = "moderation"
    database = "default"
