from django.apps import AppConfig


class ProfilesConfig(AppConfig):
    name = "socialapp.read.profiles"
    label = "read_profiles"
    database = "read"

    def ready(self) -> None:
        from socialapp.read.profiles import projector  # noqa: F401 - registers projectors
