from django.apps import AppConfig


class ProfilesConfig(AppConfig):
    name = "socialapp.read.profiles"
    label = "read_profiles"
    database = "read"
