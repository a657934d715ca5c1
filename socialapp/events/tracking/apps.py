from django.apps import AppConfig


class TrackingConfig(AppConfig):
    """Projector bookkeeping. Stored on the read database so that recording an applied event
    commits in the same transaction as the projector's effect on its read model."""

    name = "socialapp.events.tracking"
    label = "projection_tracking"
    database = "read"
