"""Model instances from hand-written SQL on the command path, without the ORM's query compiler.

Every command request runs the same few reads (its token, the actor's lock). Compiling them with
the ORM (building the Query, resolving joins, quoting every column, choosing converters) costs
more CPU than PostgreSQL spends answering them; `Model.objects.raw` still resolves columns per
query. Here the column list of each model is built once per process, and rows become instances
through `Model.from_db`, with the fields' own database converters applied, as the ORM does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any, TypeVar

from django.db import connections, models

M = TypeVar("M", bound=models.Model)


@cache
def _shape(model: type[models.Model], alias: str) -> tuple[tuple[str, ...], str, tuple[Callable | None, ...]]:
    """(attnames, the quoted column list under `alias`, one converter or None per column)."""
    connection = connections["default"]
    fields = model._meta.concrete_fields
    columns = ", ".join(f'{alias}."{f.column}"' for f in fields)
    converters = []
    for f in fields:
        chain = [*connection.ops.get_db_converters(f), *f.get_db_converters(connection)]
        # Fields without converters read back as psycopg gives them (str, int, aware datetime).
        converters.append(None if not chain else _chained(chain, f))
    return tuple(f.attname for f in fields), columns, tuple(converters)


def _chained(chain: list[Callable], field: models.Field) -> Callable:
    connection = connections["default"]

    def convert(value: Any) -> Any:
        for converter in chain:
            value = converter(value, field, connection)
        return value

    return convert


def columns(model: type[models.Model], alias: str) -> str:
    """`alias."col", ...` for every concrete field of `model`, in `instance`'s order."""
    return _shape(model, alias)[1]


def width(model: type[models.Model]) -> int:
    return len(model._meta.concrete_fields)


def instance(model: type[M], values: Sequence[Any], using: str = "default") -> M:
    """A model instance from the values of `columns(model, ...)`, as if the ORM had loaded it."""
    attnames, _, converters = _shape(model, "_")
    if any(converters):
        values = [v if c is None else c(v) for v, c in zip(values, converters, strict=True)]
    return model.from_db(using, attnames, values)
