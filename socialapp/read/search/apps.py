from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "socialapp.read.search"
    label = "read_search"
    database = "read"

    def ready(self) -> None:
        from socialapp.read.search import projector  # noqa: F401 - registers the search projector
