from django.apps import AppConfig


class AuditConfig(AppConfig):
    """No models: the audit trail reads the event log (socialapp.events) on `default`. An app so
    that its admin templates are found and its path converters registered before the URLconf."""

    name = "socialapp.write.audit"
    label = "audit"
    database = "default"

    def ready(self) -> None:
        from socialapp.write.audit import converters

        converters.register()
