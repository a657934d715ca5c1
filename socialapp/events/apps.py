from django.apps import AppConfig


class EventsConfig(AppConfig):
    """The event log and its transport. The log table lives with the write model (`default`)
    because it is appended in the same transaction as every change."""

    name = "socialapp.events"
    label = "events"
    database = "default"
    verbose_name = "Event log"
