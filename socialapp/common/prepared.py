"""Statements prepared once per connection, for both sides' fixed hand-written SQL.

Django's cursors bind parameters on the client: psycopg quotes every value into the statement's
text, and PostgreSQL parses and plans the text again on every execution. A `PreparingCursor` binds
them on the server and prepares each statement the first time a connection runs it (psycopg keeps
the prepared statements per connection, keyed by text and parameter types): later executions send
only the parameters. It needs `prepare_threshold` in the alias's OPTIONS (settings:
READ_DATABASE_PREPARED for `read` and its replicas, WRITE_DATABASE_PREPARED for `default`);
without it psycopg binds on the server but prepares nothing.

Used by the read side's SQL helpers (socialapp/read/common/sql.py: the home feed, the
projectors) and, through `cursor()`, by the command path's written-out statements on `default`
(socialapp/common/rows.py, the token lookup, the locks, the block check, the relay's NOTIFY):
every command request runs the same few statements, so each connection plans them once.

What stays true with preparing on: psycopg forgets its prepared statements (DEALLOCATE ALL) on a
ROLLBACK, a ROLLBACK TO SAVEPOINT, a DROP or an ALTER, and prepares them again when next run, so a
failed command or a test's savepoint only costs the next statements their re-preparation; the
statements name their columns (never `SELECT *`), so a column added by a migration does not change
a prepared statement's result type. A transaction-pooling proxy (PgBouncer in transaction mode
before 1.21, or without `max_prepared_statements`) hands each transaction another server
connection, where the statement was never prepared: turn the setting off behind one.
"""

from __future__ import annotations

from typing import Any

from django.db import connections
from django.db.backends.postgresql.base import CursorDebugWrapper, ServerBindingCursor
from django.db.backends.utils import CursorWrapper
from psycopg.types.numeric import Int8


class PreparingCursor(ServerBindingCursor):
    """A psycopg cursor that binds parameters on the server and prepares every statement it runs
    (`prepare=True` unless the caller says otherwise). Not for statements whose text varies."""

    def execute(
        self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: bool | None = None
    ) -> Any:
        return super().execute(query, params, prepare=True if prepare is None else prepare, binary=binary)


class BigintPreparingCursor(PreparingCursor):
    """A PreparingCursor that binds every integer of a sequence of parameters (and of a list
    among them) as bigint: psycopg would pick int2, int4 or int8 by each value's size, and every
    combination would be a prepared statement of its own. The command path's ids are bigint
    columns; integer columns take a bigint parameter by assignment."""

    def execute(
        self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: bool | None = None
    ) -> Any:
        if isinstance(params, (list, tuple)):
            params = [_bigint(p) for p in params]
        return super().execute(query, params, prepare=prepare, binary=binary)


def _bigint(value: Any) -> Any:
    if type(value) is int:  # not bool, not an IntEnum's own dumper
        return Int8(value)
    if type(value) is list and value and all(type(v) is int for v in value):
        return [Int8(v) for v in value]
    return value


class PreparedDebugWrapper(CursorDebugWrapper):
    """The queries log (DEBUG, the tests' CaptureQueriesContext) of a PreparingCursor: the
    statement with its parameters inlined. Django's own wrapper reads it back from psycopg's last
    client-side query, which a prepared execution does not have (it logged None)."""

    def execute(self, sql: Any, params: Any = None) -> Any:
        with self.debug_sql(self.db.ops.compose_sql(sql, params)):
            return CursorWrapper.execute(self, sql, params)


def preparing_cursor(alias: str, cursor_class: type[PreparingCursor] = PreparingCursor) -> Any:
    """Django's wrapper (execute wrappers, the queries log of tests and DEBUG, error translation)
    around a PreparingCursor on `alias`'s connection, opened or health-checked as Django's own
    `connection.cursor()` would."""
    connection = connections[alias]
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        raw = cursor_class(connection.connection)
    return PreparedDebugWrapper(raw, connection) if connection.queries_logged else connection.make_cursor(raw)


def prepares(alias: str) -> bool:
    """Whether statements on `alias` are prepared (its setting put `prepare_threshold` in OPTIONS)."""
    return "prepare_threshold" in connections[alias].settings_dict.get("OPTIONS", {})


def cursor(alias: str = "default") -> Any:
    """For a fixed statement with positional parameters: a preparing cursor (integers bound as
    bigint) when `alias` prepares, else Django's plain cursor, binding on the client as before."""
    if prepares(alias):
        return preparing_cursor(alias, BigintPreparingCursor)
    return connections[alias].cursor()
