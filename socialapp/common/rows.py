"""Model rows read and written with hand-written SQL on the command path, without the ORM's
query compiler.

Every command request runs the same few statements (its token, the actor's lock, the new row,
the event). Compiling them with the ORM (building the Query, resolving joins, quoting every
column, choosing converters) costs more CPU than PostgreSQL spends answering them;
`Model.objects.raw` still resolves columns per query. Here each model's column list and INSERT
are built once per process; values are prepared by the fields themselves (`get_db_prep_save`)
and rows become instances through `Model.from_db` with the fields' database converters, as the
ORM does, so what is stored and read back is the same. The statements run through
`socialapp.common.prepared.cursor`: prepared once per connection (WRITE_DATABASE_PREPARED).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any, TypeVar

from django.db import connections, models
from django.db.models.expressions import DatabaseDefault

from socialapp.common import prepared

M = TypeVar("M", bound=models.Model)


@cache
def _readers(model: type[models.Model]) -> tuple[tuple[str, ...], tuple[Callable | None, ...]]:
    """(attnames, one converter or None per concrete field)."""
    connection = connections["default"]  # PostgreSQL on every alias: the converters are the same
    converters = []
    for f in model._meta.concrete_fields:
        chain = [*connection.ops.get_db_converters(f), *f.get_db_converters(connection)]
        # Fields without converters read back as psycopg gives them (str, int, aware datetime).
        converters.append(_chained(chain, f) if chain else None)
    return tuple(f.attname for f in model._meta.concrete_fields), tuple(converters)


def _chained(chain: list[Callable], field: models.Field) -> Callable:
    def convert(value: Any) -> Any:
        connection = connections["default"]  # this thread's (converters get the connection)
        for converter in chain:
            value = converter(value, field, connection)
        return value

    return convert


@cache
def columns(model: type[models.Model], alias: str) -> str:
    """`alias."col", ...` for every concrete field of `model`, in `instance`'s order."""
    return ", ".join(f'{alias}."{f.column}"' for f in model._meta.concrete_fields)


def width(model: type[models.Model]) -> int:
    return len(model._meta.concrete_fields)


def instance(model: type[M], values: Sequence[Any], using: str = "default") -> M:
    """A model instance from the values of `columns(model, ...)`, as if the ORM had loaded it."""
    attnames, converters = _readers(model)
    if any(converters):
        values = [v if c is None else c(v) for v, c in zip(values, converters, strict=True)]
    return model.from_db(using, attnames, values)


@cache
def _insert_sql(model: type[models.Model]) -> tuple[tuple[models.Field, ...], str]:
    """The fields an INSERT sends (all but a primary key the database makes: an auto field or a
    `db_default`) and the statement, returning that key."""
    pk = model._meta.pk
    generated = pk.db_returning or pk.has_db_default()
    fields = tuple(f for f in model._meta.concrete_fields if not (generated and f is pk))
    names = ", ".join(f'"{f.column}"' for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f'INSERT INTO "{model._meta.db_table}" ({names}) VALUES ({placeholders}) RETURNING "{pk.column}"'
    return fields, sql


def insert(obj: M, using: str = "default") -> M:
    """INSERT `obj` as `obj.save()` would (the same values, the key the database makes set on
    it), in one statement built once per model."""
    fields, sql = _insert_sql(type(obj))
    connection = connections[using]
    values = []
    for f in fields:
        value = getattr(obj, f.attname)
        if isinstance(value, DatabaseDefault):  # a field left to its db_default: the column default
            raise ValueError(f"rows.insert: give {f.name} a value (db_default is only for the primary key)")
        values.append(f.get_db_prep_save(value, connection))
    with prepared.cursor(using) as cursor:
        cursor.execute(sql, values)
        setattr(obj, type(obj)._meta.pk.attname, cursor.fetchone()[0])
    obj._state.adding = False
    obj._state.db = using
    return obj


def fetch(model: type[M], sql: str, params: Sequence[Any], *, extra: tuple[str, ...] = ()) -> list[M]:
    """Instances of `model` from `sql`, whose first columns are `columns(model, ...)`; the
    columns after them are set on each instance under the names in `extra` (as `raw()` does)."""
    n = width(model)
    with prepared.cursor() as cursor:
        cursor.execute(sql, params)
        found = []
        for row in cursor.fetchall():
            obj = instance(model, row[:n])
            for name, value in zip(extra, row[n:], strict=True):
                setattr(obj, name, value)
            found.append(obj)
    return found
