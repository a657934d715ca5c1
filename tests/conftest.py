"""Test set-up against the real services (`scripts/services up` starts them; `make test` does).

Each run gets its own RabbitMQ vhost, Elasticsearch index prefix and Redis key prefix
(settings.test), so runs with different SOCIALAPP_TEST_TAG values can share one machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import quote

import pytest
import requests
from django.conf import settings

from socialapp.events.status import management_api
from tests.support import delete_vhost, recreate_vhost

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper


@pytest.fixture(scope="session", autouse=True)
def amqp_vhost() -> Iterator[str]:
    """A fresh vhost for this run: no queue or message of an earlier run can leak in."""
    recreate_vhost(settings.TEST_AMQP_VHOST)
    yield settings.TEST_AMQP_VHOST
    delete_vhost(settings.TEST_AMQP_VHOST)


@pytest.fixture(scope="session", autouse=True)
def elasticsearch_clean() -> Iterator[None]:
    """Remove this run's indexes before and after the run."""
    from socialapp.read.search.client import get_client

    pattern = f"{settings.ELASTICSEARCH_INDEX_PREFIX}-*"
    get_client().options(ignore_status=404).indices.delete(index=pattern, expand_wildcards="all")
    yield
    get_client().options(ignore_status=404).indices.delete(index=pattern, expand_wildcards="all")


@pytest.fixture(scope="session", autouse=True)
def cache_clean() -> Iterator[None]:
    """Remove this run's keys from the shared Redis before and after the run (throttle counters,
    cached metrics of an earlier run with the same tag)."""
    from tests.support import clear_cache_keys

    clear_cache_keys()
    yield
    clear_cache_keys()


# What post_migrate writes after every flush (content types, permissions), and a digest of it.
POST_MIGRATE_TABLES = {
    "django_content_type": "id, app_label, model",
    "auth_permission": "id, content_type_id, codename, name",
}


def _post_migrate_digest(connection: BaseDatabaseWrapper) -> str | None:
    """md5 of the content types and permissions (None where they are not tables)."""
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    if not set(POST_MIGRATE_TABLES) <= set(tables):
        return None
    parts = [f"(SELECT md5(coalesce(string_agg(r::text, ',' ORDER BY r::text), '')) FROM (SELECT {columns}"
             f" FROM {table}) AS r)" for table, columns in POST_MIGRATE_TABLES.items()]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {' || '.join(parts)}")
        return cursor.fetchone()[0]


@pytest.fixture(scope="session", autouse=True)
def flush_only_written_tables() -> Iterator[None]:
    """After a transactional test, TRUNCATE only the tables that hold rows (CASCADE: those that
    reference them too), not all of them, and keep the content types and permissions when they
    are exactly what post_migrate left after the previous flush.

    Django's flush truncates every table of a database in one statement, and PostgreSQL pays per
    table (a new file for each): ~0.5 s a database on this machine, then post_migrate writes the
    content types and permissions again (~0.4 s), after each of ~300 transactional tests, though
    a test writes a few tables. The state afterwards is the same: every table empty but the
    content types and permissions, post_migrate's (kept with their ids: nothing depends on those,
    which are new after every flush otherwise; post_migrate still runs and finds them complete).
    Tables that other connections have not committed to look empty here, as they would after the
    full TRUNCATE waited for them: the tests stop their child processes before the flush.
    `reset_sequences` flushes (which must reset every table's sequences) keep Django's statement."""
    from django.apps import apps
    from django.core.management.commands import flush
    from django.db import connections
    from django.db.models.signals import post_migrate

    full = flush.sql_flush
    digests: dict[str, str | None] = {}

    def sql_flush(
        style: object, connection: BaseDatabaseWrapper, reset_sequences: bool = True, allow_cascade: bool = False
    ) -> list[str]:
        if reset_sequences:
            return full(style, connection, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
        if not tables:
            return []
        name = connection.ops.quote_name
        probe = " UNION ALL ".join(f"SELECT %s FROM (SELECT FROM {name(t)} LIMIT 1) AS probe" for t in tables)
        with connection.cursor() as cursor:
            cursor.execute(probe, tables)
            written = [row[0] for row in cursor.fetchall()]
        digest = digests.get(connection.alias)
        if digest is not None and _post_migrate_digest(connection) == digest:
            written = [t for t in written if t not in POST_MIGRATE_TABLES]
        return connection.ops.sql_flush(style, written, reset_sequences=False, allow_cascade=True)

    def remember(sender: object, using: str, **kwargs: object) -> None:
        """After post_migrate's own receivers (connected earlier, so called first) ran for the
        last application (post_migrate is sent once per application with models)."""
        if sender is [a for a in apps.get_app_configs() if a.models_module is not None][-1]:
            digests[using] = _post_migrate_digest(connections[using])

    flush.sql_flush = sql_flush
    post_migrate.connect(remember, dispatch_uid="tests.flush_only_written_tables")
    yield
    post_migrate.disconnect(dispatch_uid="tests.flush_only_written_tables")
    flush.sql_flush = full


@pytest.fixture(autouse=True)
def empty_broker(amqp_vhost: str) -> None:
    """Start every test with no queue in this run's vhost.

    Test databases are flushed between tests, but messages left in a projector queue by an
    earlier test (published for a projector no worker of that test ran) would otherwise reach
    a later test's worker and project events whose rows no longer exist. Relays and workers
    declare the topology again when they start.
    """
    base, auth = management_api()
    vhost = quote(amqp_vhost, safe="")
    response = requests.get(f"{base}/api/queues/{vhost}?columns=name", auth=auth, timeout=10)
    response.raise_for_status()
    for queue in response.json():
        requests.delete(f"{base}/api/queues/{vhost}/{quote(queue['name'], safe='')}", auth=auth, timeout=10)
