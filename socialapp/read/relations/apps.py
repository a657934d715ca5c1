from django.apps import AppConfig


class RelationsConfig(AppConfig):
    name = "socialapp.read.relations"
    label = "read_relations"
    database = "read"

    def ready(self) -> None:
        from socialapp.read.relations import projector  # noqa: F401 - registers the projector
