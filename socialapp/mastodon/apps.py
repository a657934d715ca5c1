from django.apps import AppConfig


class MastodonConfig(AppConfig):
    """The Mastodon-compatible face: no models; its templates and the default avatar."""

    name = "socialapp.mastodon"
    label = "mastodon"
    verbose_name = "Mastodon client API"
