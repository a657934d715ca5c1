from importlib import import_module

from django.apps import AppConfig


class EventsConfig(AppConfig):
    """The event log and its transport. The log table lives with the write model (`default`)
    because it is appended in the same transaction as every change."""

    name = "socialapp.events"
    label = "events"
    database = "default"
    verbose_name = "Event log"

    def ready(self) -> None:
        from django.conf import settings

        from socialapp.events.log import on_events_committed
        from socialapp.events.relay import notify_committed

        on_events_committed(notify_committed)
        for module in settings.EVENTS_EXTRA_PROJECTOR_MODULES:
            import_module(module)  # registers its projectors
