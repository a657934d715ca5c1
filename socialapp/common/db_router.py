"""The read/write split, explicit in code.

Every AppConfig states its side with a `database` attribute: command-side apps and the event
log say "default", query-side apps say "read". Apps that say nothing (Django's own, DRF's
token) belong to the write side. Relations never cross the two databases.

Reads of query-side models inside a query request go to the request's pinned replica when
READ_REPLICA_URLS configures any (socialapp/common/replicas.py); writes and migrations always
go to the primary alias of their side, so nothing ever writes through a replica alias.
"""

from django.apps import apps
from django.db.models import Model

from socialapp.common.replicas import query_alias

WRITE_ALIAS = "default"
READ_ALIAS = "read"


def alias_for_app(app_label: str) -> str:
    try:
        config = apps.get_app_config(app_label)
    except LookupError:
        return WRITE_ALIAS
    return getattr(config, "database", WRITE_ALIAS)


class SideRouter:
    def db_for_read(self, model: type[Model], **hints: object) -> str:
        alias = alias_for_app(model._meta.app_label)
        return query_alias() if alias == READ_ALIAS else alias

    def db_for_write(self, model: type[Model], **hints: object) -> str:
        return alias_for_app(model._meta.app_label)

    def allow_relation(self, obj1: Model, obj2: Model, **hints: object) -> bool:
        return alias_for_app(obj1._meta.app_label) == alias_for_app(obj2._meta.app_label)

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: object) -> bool:
        return db == alias_for_app(app_label)  # a replica alias is never a side's alias: never migrated
