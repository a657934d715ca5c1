"""Thin SQL helpers on the `read` alias. Projectors use SQL directly because their effects are
set-based (fan-out, counts) and need explicit row locks; the ORM would hide both.

Routing lives here, once: `fetch*` without `using` read from `query_alias()`, which is the
request's pinned replica inside a query request (READ_REPLICA_URLS, socialapp/common/replicas.py)
and the primary `read` everywhere else (projectors, jobs, commands, tools) and inside any
transaction on `read`. `execute` always writes the primary, refuses a replica alias, and keeps
the rest of its request on the primary.

Every statement goes through a `PreparingCursor` (socialapp/common/prepared.py): parameters are
bound on the server and each statement is prepared once per connection (READ_DATABASE_PREPARED).
A projector's handlers run the same dozen statements for every event, and a trickle of events
makes each of them a transaction of its own: parsing and planning them again every time was a
large share of what PostgreSQL spent per event, and client-side quoting a share of the worker's
own CPU.
"""

from __future__ import annotations

from typing import Any

from django.db import connections

from socialapp.common.prepared import preparing_cursor
from socialapp.common.replicas import is_replica, query_alias, stick_to_primary

READ = "read"


def _cursor(alias: str, prepare: bool) -> Any:
    """Django's cursor on `alias`; with `prepare`, Django's wrapper (execute wrappers, the
    queries log of tests and DEBUG) around a PreparingCursor on the same connection."""
    return preparing_cursor(alias) if prepare else connections[alias].cursor()


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
