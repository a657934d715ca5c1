"""Thin SQL helpers on the `read` alias. Projectors use SQL directly because their effects are
set-based (fan-out, counts) and need explicit row locks; the ORM would hide both."""

from __future__ import annotations

from typing import Any

from django.db import connections

READ = "read"


def execute(sql: str, params: Any = None, *, using: str = READ) -> int:
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def fetchone(sql: str, params: Any = None, *, using: str = READ) -> tuple | None:
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def fetchall(sql: str, params: Any = None, *, using: str = READ) -> list[tuple]:
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def fetchdicts(sql: str, params: Any = None, *, using: str = READ) -> list[dict[str, Any]]:
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        names = [c.name for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
