from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "socialapp.write.accounts"
    label = "accounts"
    database = "default"
