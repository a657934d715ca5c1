"""Convergence check for table-backed projectors (`projections check`).

The read model must equal a replay of exactly the events it has applied (the projectors are
order-independent, which tests/read/test_projections.py establishes): replay those events into
fresh copies of the tables in a scratch schema, compare row by row, drop the scratch schema.
Rows only in the replay are `lost`, rows only in the live tables `unexpected`. Run it when the
queues are drained; an event in flight shows up as a difference. `TableProjector` makes it the
check of every projector whose read model is its `tables`.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from socialapp.events.projector import CheckReport, Projector
from socialapp.read.common.sql import execute, fetchall

BATCH = 1000
SAMPLE = 20  # keys reported per kind of difference


def replay_check(
    projector: Projector,
    *,
    compare: dict[str, str] | None = None,
    after_replay: Callable[[], None] | None = None,
) -> CheckReport:
    """`compare` maps a table to the SELECT list/filter to compare it by (default: all rows)."""
    from socialapp.events.rebuild import SchemaSwapRebuild, events_by_id

    scratch = SchemaSwapRebuild(projector)
    scratch.shadow = f"check_{projector.name}"
    report = CheckReport(projector=projector.name)
    db = projector.database

    def rows(sql: str, params: list | None = None) -> list[tuple]:
        return fetchall(sql, params, using=db)

    scratch.prepare()
    try:
        ids = [
            r[0]
            for r in rows("SELECT event_id::text FROM projection_applied_event WHERE projector = %s", [projector.name])
        ]
        for start in range(0, len(ids), BATCH):
            scratch.apply_to_shadow(events_by_id(ids[start : start + BATCH]))
        if after_replay is not None:
            with transaction.atomic(using=db):
                execute(f"SET LOCAL search_path TO {scratch.shadow}, public", using=db)
                after_replay()
        for table in projector.tables:
            view = (compare or {}).get(table, f"SELECT * FROM {{schema}}.{table}")
            live, fresh = view.format(schema="public"), view.format(schema=scratch.shadow)
            report.checked += rows(f"SELECT count(*) FROM ({live}) t")[0][0]
            report.lost += [f"{table}:{r[0]}" for r in rows(f"({fresh}) EXCEPT ALL ({live}) LIMIT {SAMPLE}")]
            report.unexpected += [f"{table}:{r[0]}" for r in rows(f"({live}) EXCEPT ALL ({fresh}) LIMIT {SAMPLE}")]
    finally:
        execute(f"DROP SCHEMA IF EXISTS {scratch.shadow} CASCADE", using=db)
    return report


class TableProjector(Projector):
    """A projector whose read model is its `tables` on the read database: its convergence check
    is `replay_check` (override `check` to pass `compare` or `after_replay`)."""

    def check(self) -> CheckReport:
        return replay_check(self)
