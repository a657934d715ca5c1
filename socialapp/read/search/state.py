"""The search projector's rows in memory: loaded with one locking read per table and batch,
written back with one statement per table and batch, which also lists the changed documents in
`search_pending` (no ORM instances, no statement per row).

Rows that do not exist yet are created in memory (`new`) and inserted at write-back with
`ON CONFLICT DO NOTHING`; if another worker created one of them meanwhile, the write-back raises
`ConcurrentCreation` (a TransientError: the pipeline retries the batch, which then finds and
locks the row). So each row is written once per batch: no placeholder insert followed by an
update, and no third write to mark it synced (the flush deletes its pending row instead).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from django.db import connections

from socialapp.events.projector import TransientError

DB = "read"
NEXT_VERSION = "nextval('search_doc_version_seq')"


class ConcurrentCreation(TransientError):
    """Another worker created a row this batch meant to create: retry the batch."""


class Table:
    """A state table the projector changes in memory: key column, and every other column with
    its SQL type and its value in a row that does not exist yet (`doc_version` aside)."""

    def __init__(self, kind: str, name: str, pk: str, pk_type: str, columns: tuple[tuple[str, str, Any], ...]) -> None:
        self.kind, self.name, self.pk, self.pk_type, self.columns = kind, name, pk, pk_type, columns
        self.names = [pk, *(c for c, _t, _d in columns)]
        self._defaults = {c: d for c, _t, d in columns}
        self._lists = [c for c, _t, d in columns if isinstance(d, list)]

    def blank(self, pk: Any) -> Row:
        values = dict(self._defaults)
        for column in self._lists:
            values[column] = []
        values[self.pk] = pk
        return Row(self, values, new=True)


class Row:
    """One state row: its columns as attributes (`post.body`, `user.deactivated`)."""

    def __init__(self, table: Table, values: dict[str, Any], *, new: bool) -> None:
        self.__dict__.update(values)
        self._table = table
        self._new = new

    @property
    def pk(self) -> Any:
        return self.__dict__[self._table.pk]

    def values(self) -> list[Any]:
        return [self.__dict__[name] for name in self._table.names]


POSTS = Table(
    "posts",
    "search_post",
    "post_id",
    "bigint",
    (
        ("author_id", "bigint", None),
        ("author_username", "varchar", ""),
        ("author_display_name", "varchar", ""),
        ("body", "text", ""),
        ("hashtags", "varchar[]", []),
        ("mentions", "varchar[]", []),
        ("created_at", "timestamptz", None),
        ("edited_at", "timestamptz", None),
        ("version", "integer", 0),
        ("deleted", "boolean", False),
        ("author_deactivated", "boolean", False),
        ("like_count", "integer", 0),
        ("visibility", "varchar", "public"),
        ("language", "varchar", ""),
        ("sensitive", "boolean", False),
        ("comment_count", "integer", 0),
    ),
)
USERS = Table(
    "users",
    "search_user",
    "user_id",
    "bigint",
    (
        ("username", "varchar", None),
        ("display_name", "varchar", ""),
        ("version", "integer", 0),
        ("deactivated", "boolean", False),
        ("suspended", "boolean", False),
        ("suspension_version", "integer", 0),
    ),
)


def load_locked(table: Table, pks: Iterable[Any]) -> dict[Any, Row]:
    """The existing rows, locked FOR UPDATE in key order (no new row versions: a lock is not a
    write), and blank in-memory rows for the missing ones."""
    wanted = sorted(set(pks))
    if not wanted:
        return {}
    names = table.names
    with connections[DB].cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(names)} FROM {table.name} WHERE {table.pk} = ANY(%s::{table.pk_type}[])"
            f" ORDER BY {table.pk} FOR UPDATE",
            [wanted],
        )
        found = {
            values[0]: Row(table, dict(zip(names, values, strict=True)), new=False) for values in cursor.fetchall()
        }
    return {pk: found.get(pk) or table.blank(pk) for pk in wanted}


def _write_sql(table: Table) -> str:
    names = table.names
    record = ", ".join(
        f"{name} {sql_type}" for name, sql_type in [(table.pk, table.pk_type), *[(c, t) for c, t, _ in table.columns]]
    )
    others = [c for c, _t, _d in table.columns]
    return (
        f"WITH d AS (SELECT * FROM jsonb_to_recordset(%s::jsonb) AS d(is_new boolean, {record})),"
        f" ins AS (INSERT INTO {table.name} ({', '.join(names)}, doc_version)"
        f" SELECT {', '.join(names)}, {NEXT_VERSION} FROM d WHERE d.is_new ORDER BY d.{table.pk}"
        f" ON CONFLICT ({table.pk}) DO NOTHING RETURNING {table.pk} AS k, doc_version),"
        f" upd AS (UPDATE {table.name} AS t SET {', '.join(f'{c} = d.{c}' for c in others)},"
        f" doc_version = {NEXT_VERSION} FROM d WHERE NOT d.is_new AND t.{table.pk} = d.{table.pk}"
        f" RETURNING t.{table.pk} AS k, t.doc_version),"
        " pend AS (INSERT INTO search_pending (kind, key, doc_version)"
        f" SELECT '{table.kind}', k::text, doc_version FROM (SELECT * FROM ins UNION ALL SELECT * FROM upd) AS w"
        " ON CONFLICT (kind, key) DO UPDATE SET doc_version = EXCLUDED.doc_version RETURNING 1)"
        " SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM pend)"
    )


_WRITE = {table.name: _write_sql(table) for table in (POSTS, USERS)}


def write(table: Table, rows: Iterable[Row]) -> None:
    """Write changed rows back in one statement, each with a new `doc_version`, and list them as
    pending; raises ConcurrentCreation if a row to create already exists."""
    rows = list(rows)
    if not rows:
        return
    names = table.names
    records = [{"is_new": row._new, **dict(zip(names, row.values(), strict=True))} for row in rows]
    with connections[DB].cursor() as cursor:
        cursor.execute(_WRITE[table.name], [orjson.dumps(records).decode()])
        inserted, _pending = cursor.fetchone()
    if inserted != sum(1 for row in rows if row._new):
        raise ConcurrentCreation(f"search: another worker created {table.name} rows of this batch; retrying")
    for row in rows:
        row._new = False


def add_tags(adds: dict[str, list[Any]]) -> None:
    """Posts added to tags (tag -> [count, newest created_at]), one upsert; the tags are pending."""
    if not adds:
        return
    tags = sorted(adds)
    with connections[DB].cursor() as cursor:
        cursor.execute(
            "WITH up AS (INSERT INTO search_hashtag (tag, post_count, last_used_at, doc_version)"
            f" SELECT t, n, at, {NEXT_VERSION}"
            " FROM unnest(%s::varchar[], %s::int[], %s::timestamptz[]) AS d(t, n, at) ORDER BY t"
            " ON CONFLICT (tag) DO UPDATE SET post_count = search_hashtag.post_count + EXCLUDED.post_count,"
            " last_used_at = GREATEST(search_hashtag.last_used_at, EXCLUDED.last_used_at),"
            " doc_version = EXCLUDED.doc_version RETURNING tag, doc_version)" + _PEND_TAGS,
            [tags, [adds[t][0] for t in tags], [adds[t][1] for t in tags]],
        )


_PEND_TAGS = (
    " INSERT INTO search_pending (kind, key, doc_version) SELECT 'hashtags', tag, doc_version FROM up"
    " ON CONFLICT (kind, key) DO UPDATE SET doc_version = EXCLUDED.doc_version"
)


def remove_tags(tags: list[str], counts: list[int], latest: Any) -> None:
    """Posts taken away from tags; `last_used_at` recomputed only when the newest may be gone."""
    with connections[DB].cursor() as cursor:
        cursor.execute(
            "WITH up AS (UPDATE search_hashtag AS h SET post_count = h.post_count - d.n,"
            f" doc_version = {NEXT_VERSION},"
            " last_used_at = CASE WHEN h.last_used_at IS NULL OR h.last_used_at > %s THEN h.last_used_at"
            " ELSE (SELECT max(p.created_at) FROM search_post p WHERE p.hashtags @> ARRAY[h.tag]"
            " AND NOT p.deleted AND NOT p.author_deactivated AND p.created_at IS NOT NULL) END"
            " FROM unnest(%s::varchar[], %s::int[]) AS d(tag, n) WHERE h.tag = d.tag RETURNING h.tag, h.doc_version)"
            + _PEND_TAGS,
            [latest, tags, counts],
        )
