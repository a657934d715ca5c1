"""Thin SQL helpers on the `read` alias. Projectors use SQL directly because their effects are
set-based (fan-out, counts) and need explicit row locks; the ORM would hide both.

Routing lives here, once: `fetch*` without `using` read from `query_alias()`, which is the
request's pinned replica inside a query request (READ_REPLICA_URLS, socialapp/common/replicas.py)
and the primary `read` everywhere else (projectors, jobs, commands, tools) and inside any
transaction on `read`. `execute` always writes the primary, refuses a replica alias, and keeps
the rest of its request on the primary.

Every statement goes through a `PreparingCursor`: parameters are bound on the server and each
statement is prepared once per connection (READ_DATABASE_PREPARED). A projector's handlers run
the same dozen statements for every event, and a trickle of events makes each of them a
transaction of its own: parsing and planning them again every time was a large share of what
PostgreSQL spent per event, and client-side quoting a share of the worker's own CPU.
"""

from __future__ import annotations

from typing import Any

from django.db import connections
from django.db.backends.postgresql.base import CursorDebugWrapper, ServerBindingCursor
from django.db.backends.utils import CursorWrapper

from socialapp.common.replicas import is_replica, query_alias, stick_to_primary

READ = "read"


class PreparingCursor(ServerBindingCursor):
    """A psycopg cursor that binds parameters on the server and prepares every statement it runs
    (psycopg keeps the prepared statements per connection, by statement text and parameter
    types). For the fixed statements of the hottest reads (`prepare=True` below): PostgreSQL then
    plans them once per connection instead of parsing and planning them on every request (the
    home feed's statement: ~1.3 ms unprepared, ~0.8 ms prepared). It needs `prepare_threshold`
    set on the alias (settings: READ_DATABASE_PREPARED); without it psycopg runs the statement
    unprepared, with server-side binding only. Not for statements whose text varies."""

    def execute(
        self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: bool | None = None
    ) -> Any:
        return super().execute(query, params, prepare=True if prepare is None else prepare, binary=binary)


class PreparedDebugWrapper(CursorDebugWrapper):
    """The queries log (DEBUG, the tests' CaptureQueriesContext) of a PreparingCursor: the
    statement with its parameters inlined. Django's own wrapper reads it back from psycopg's last
    client-side query, which a prepared execution does not have (it logged None)."""

    def execute(self, sql: Any, params: Any = None) -> Any:
        with self.debug_sql(self.db.ops.compose_sql(sql, params)):
            return CursorWrapper.execute(self, sql, params)


def _cursor(alias: str, prepare: bool) -> Any:
    """Django's cursor on `alias`; with `prepare`, Django's wrapper (execute wrappers, the
    queries log of tests and DEBUG) around a PreparingCursor on the same connection."""
    connection = connections[alias]
    if not prepare:
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        raw = PreparingCursor(connection.connection)
    return PreparedDebugWrapper(raw, connection) if connection.queries_logged else connection.make_cursor(raw)


def execute(sql: str, params: Any = None, *, using: str = READ) -> int:
    if is_replica(using):
        raise ValueError(f"refusing to write through the read replica alias {using!r}")
    stick_to_primary()
    with _cursor(using, True) as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def fetchone(sql: str, params: Any = None, *, using: str | None = None, prepare: bool = True) -> tuple | None:
    """`prepare=False`: a statement whose text varies with its input (not worth a prepared copy)."""
    with _cursor(using or query_alias(), prepare) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def fetchall(sql: str, params: Any = None, *, using: str | None = None, prepare: bool = True) -> list[tuple]:
    """`prepare=False`: a statement whose text varies with its input (not worth a prepared copy)."""
    with _cursor(using or query_alias(), prepare) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def fetchdicts(sql: str, params: Any = None, *, using: str | None = None) -> list[dict[str, Any]]:
    with _cursor(using or query_alias(), True) as cursor:
        cursor.execute(sql, params)
        names = [c.name for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def versioned_toggle(table: str, key: dict[str, Any], version: int, *, active: bool, **values: Any) -> bool | None:
    """Apply one event of a toggled aggregate (a like, a follow) to its row: `active`, `values`
    and `version`, unless the row already holds this version or a newer one. The row is locked
    (or inserted) first, so racing events of one aggregate serialise. Returns None for a stale
    or repeated event (nothing changed), else whether the row was active before."""
    columns, params = list(key), list(key.values())
    changes = {"active": active, **values, "version": version}
    where = " AND ".join(f"{c} = %s" for c in columns)
    select = f"SELECT active, version FROM {table} WHERE {where} FOR UPDATE"
    row = fetchone(select, params, using=READ)  # a write's lock: always the primary
    if row is None:
        names = [*columns, *changes]
        if execute(
            f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))}) ON CONFLICT DO NOTHING",
            [*params, *changes.values()],
        ):
            return False
        row = fetchone(select, params, using=READ)  # a racing event of this aggregate inserted it first (and committed)
        assert row is not None
    was_active, held = row
    if held >= version:
        return None
    execute(f"UPDATE {table} SET {', '.join(f'{c} = %s' for c in changes)} WHERE {where}", [*changes.values(), *params])
    return bool(was_active)
