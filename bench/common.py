"""Set-up shared by the benchmarks: databases and a RabbitMQ vhost of their own (development data
is never touched), and the environment of the relay and worker processes they start.

    use_own_databases("benchpipe")           # benchpipe_socialapp, benchpipe_socialapp_read
    use_own_vhost("socialapp_bench_pipeline")
    env = bench_env(EVENTS_EXTRA_PROJECTOR_MODULES="bench.pipeline")
    ...
    drop_vhost("socialapp_bench_pipeline")

The rest is shared too: data generation in bench/seed.py, load in bench/load.py, measuring in
bench/measure.py, results in bench/report.py; the relay and worker processes come from devkit.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from django.conf import settings
from django.db import connections

from devkit.processes import child_env
from devkit.vhosts import delete_vhost as drop_vhost
from devkit.vhosts import recreate_vhost

__all__ = ["bench_env", "drop_vhost", "sql", "use_own_databases", "use_own_vhost"]


_ORIGINAL_NAMES: dict[str, str] = {}


def use_own_databases(prefix: str, aliases: tuple[str, ...] = ("default", "read")) -> None:
    """Point each alias at `<prefix>_<its database>`, created and migrated like a test database
    (kept between runs: only missing migrations are applied). The name is taken from the
    configured database, not from a previous benchmark's in the same process (`make bench`)."""
    for alias in aliases:
        conn = connections[alias]
        original = _ORIGINAL_NAMES.setdefault(alias, conn.settings_dict["NAME"])
        conn.settings_dict["TEST"]["NAME"] = f"{prefix}_{original}"
        conn.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=True, serialize=False)


def use_own_vhost(vhost: str) -> None:
    """A fresh, empty RabbitMQ vhost, and this process's broker URL pointed at it."""
    recreate_vhost(vhost)
    broker = urlsplit(settings.CELERY_BROKER_URL)
    settings.CELERY_BROKER_URL = broker._replace(path=f"/{quote(vhost, safe='')}").geturl()


def bench_env(**extra: str) -> dict[str, str]:
    """The environment of a relay or worker process on this benchmark's databases, vhost and
    indexes: the tests' one (`devkit.processes.child_env`), but keeping database connections open
    as in production (the tests close them after every use: one reconnect per batch here)."""
    keep = connections["default"].settings_dict["CONN_MAX_AGE"]
    return child_env(DATABASE_CONN_MAX_AGE=str(keep), **extra)


def sql(alias: str, statement: str, params: list | dict | None = None) -> list[tuple]:
    with connections[alias].cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []
