from django.apps import AppConfig


class RelationsConfig(AppConfig):
    """Blocks, mutes and follow requests: the command side of who may see whom (docs/privacy.md)."""

    name = "socialapp.write.relations"
    label = "relations"
    database = "default"
