from django.apps import AppConfig


class OAuthConfig(AppConfig):
    name = "socialapp.write.oauth"
    label = "oauth"
    database = "default"
    verbose_name = "OAuth"
