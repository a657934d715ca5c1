from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "socialapp.read.search"
    label = "read_search"
    database = "read"
