"""Rebuilding a read model from the log while live events keep flowing.

The default strategy, `SchemaSwapRebuild`, needs only the projector's `tables` (the read-DB
tables it alone writes) and handlers that use unqualified table names:

1. create fresh, empty copies of those tables and of the tracking table in a shadow schema
   `rebuild_<name>` (`CREATE TABLE ... (LIKE ... INCLUDING ALL)`);
2. replay the log into them: each batch runs with `search_path = rebuild_<name>, public`, so the
   unchanged handlers write the copies, while live workers keep applying to the live tables;
3. catch up without blocking anyone: apply to the shadow every event the live projector applied
   meanwhile (live tracking minus shadow tracking) and the events appended since the replay
   (up to the head of the log at that moment: a rebuild never chases a growing log);
4. switch in one transaction that holds the projector's advisory lock exclusively (every live
   apply holds it shared, so in-flight applies finish first and new ones wait a moment): a last
   catch-up, then `ALTER TABLE ... SET SCHEMA` moves the live tables out and the fresh ones in,
   and the shadow's tracking rows replace the live ones.

Nothing is lost at the switch: an event applied live before it is in the fresh tables (step 4
catches it up under the lock); an event not applied live yet is still in its queue or
unpublished, and will be applied to the fresh tables, or skipped if the replay already did.
So correctness rests on "shadow contains everything applied live" at the switch, never on
positions (which commit out of order); the log catch-ups only shorten the work left to workers.
Readers see the old tables until the commit, then the new ones: no empty read model, ever.

A projector whose storage is not tables (Elasticsearch) overrides `rebuild_strategy()` with an
object that has `run(progress) -> dict` (for example: a fresh index, a replay, an alias swap).
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import OperationalError, connections, transaction

from socialapp.events.projector import CheckReport, EventMessage, Projector

log = logging.getLogger(__name__)
BATCH = 1000
LOCK_NOT_AVAILABLE = "55P03"  # SQLSTATE of a lock_timeout expiry
SHADOW_BATCH = 100  # events per apply_batch when replaying into a shadow or scratch schema
_COLUMNS = "event_id, position, event_type, aggregate_type, aggregate_id, aggregate_version, actor_id, occurred_at, schema_version, payload"


def _messages(rows: list[tuple[Any, ...]]) -> list[EventMessage]:
    return [
        EventMessage(
            event_id=r[0], position=r[1], event_type=r[2], aggregate_type=r[3], aggregate_id=r[4],
            aggregate_version=r[5], actor_id=r[6], occurred_at=r[7].isoformat(), schema_version=r[8],
            payload=r[9] if isinstance(r[9], dict) else json.loads(r[9]),
        )
        for r in rows
    ]  # fmt: skip


def log_head() -> int:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT coalesce(max(position), 0) FROM event_log")
        return int(cursor.fetchone()[0])


def log_events(
    event_types: tuple[str, ...], *, after: int = 0, upto: int | None = None
) -> Iterator[list[EventMessage]]:
    """The log's events of these types, in position order, in batches (keyset pagination), up to
    `upto` (default: the head now), so that a replay never chases a log that keeps growing."""
    last = after
    upto = log_head() if upto is None else upto
    while True:
        with connections["default"].cursor() as cursor:
            cursor.execute(
                f"SELECT {_COLUMNS} FROM event_log WHERE event_type = ANY(%s) AND position > %s AND position <= %s"
                " ORDER BY position LIMIT %s",
                [list(event_types), last, upto, BATCH],
            )
            rows = cursor.fetchall()
        if not rows:
            return
        last = rows[-1][1]
        yield _messages(rows)


def events_by_id(event_ids: list[str]) -> list[EventMessage]:
    out: list[EventMessage] = []
    for start in range(0, len(event_ids), BATCH):
        with connections["default"].cursor() as cursor:
            cursor.execute(
                f"SELECT {_COLUMNS} FROM event_log WHERE event_id = ANY(%s::uuid[]) ORDER BY position",
                [event_ids[start : start + BATCH]],
            )
            out += _messages(cursor.fetchall())
    return out


def handled_count(event_types: tuple[str, ...]) -> int:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM event_log WHERE event_type = ANY(%s)", [list(event_types)])
        return int(cursor.fetchone()[0])


@contextmanager
def _replaying(projector: Projector) -> Iterator[None]:
    """`projector.replaying` while events are replayed into a shadow or scratch schema."""
    before, projector.replaying = projector.replaying, True
    try:
        yield
    finally:
        projector.replaying = before


class SchemaSwapRebuild:
    def __init__(self, projector: Projector) -> None:
        if not projector.tables:
            raise ValueError(f"projector {projector.name!r} declares no `tables` and no rebuild_strategy()")
        self.projector = projector
        self.db = projector.database
        self.shadow = f"rebuild_{projector.name}".replace(".", "_").replace("-", "_")
        self.retired = f"retired_{projector.name}".replace(".", "_").replace("-", "_")
        self.owned = (*projector.tables, "projection_applied_event")

    def _execute(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        with connections[self.db].cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def prepare(self) -> None:
        self._execute(f"DROP SCHEMA IF EXISTS {self.shadow} CASCADE")
        self._execute(f"CREATE SCHEMA {self.shadow}")
        for table in self.owned:
            self._execute(f"CREATE TABLE {self.shadow}.{table} (LIKE public.{table} INCLUDING ALL)")
            self._keep_index_names(table)

    def _indexes(self, schema: str, table: str) -> dict[str, str]:
        """{definition without its name and schema: index name}."""
        rows = self._execute(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
            " JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace"
            " WHERE n.nspname = %s AND t.relname = %s",
            [schema, table],
        )
        return {re.sub(r"INDEX \S+ ON \S+", "INDEX ON", definition): name for name, definition in rows}

    def _keep_index_names(self, table: str) -> None:
        """LIKE generates its own index names; give the copies the live names (constraints follow
        their index), so that later migrations find the indexes they name."""
        live = self._indexes("public", table)
        for definition, name in self._indexes(self.shadow, table).items():
            wanted = live.get(definition)
            if wanted and wanted != name:
                self._execute(f'ALTER INDEX {self.shadow}."{name}" RENAME TO "{wanted}"')

    def apply_to_shadow(self, events: list[EventMessage]) -> int:
        """Apply in order, in one transaction (the projector's batch path: one tracking insert,
        and whatever its `handle` shares across a batch); an event's error fails the whole call."""
        applied = 0
        with _replaying(self.projector), transaction.atomic(using=self.db):
            self._execute(f"SET LOCAL search_path TO {self.shadow}, public")
            for start in range(0, len(events), SHADOW_BATCH):
                for outcome in self.projector.apply_batch(events[start : start + SHADOW_BATCH]):
                    if isinstance(outcome, Exception):
                        raise outcome
                    applied += bool(outcome)
        return applied

    def missing_from_shadow(self) -> list[str]:
        rows = self._execute(
            f"SELECT p.event_id::text FROM public.projection_applied_event p WHERE p.projector = %s AND NOT EXISTS"
            f" (SELECT 1 FROM {self.shadow}.projection_applied_event s WHERE s.projector = %s AND s.event_id = p.event_id)",
            [self.projector.name, self.projector.name],
        )
        return [r[0] for r in rows]

    def catch_up(self, after: int) -> tuple[int, int]:
        """Apply what the live side applied meanwhile and what was appended since `after`."""
        count = self.apply_to_shadow(events_by_id(self.missing_from_shadow()))
        last = after
        for batch in log_events(self.projector.event_types(), after=after):
            count += self.apply_to_shadow(batch)
            last = batch[-1].position
        return count, last

    def switch(self, after: int) -> int:
        """The swap, retried: `ALTER TABLE ... SET SCHEMA` needs an ACCESS EXCLUSIVE lock, and while
        it waits behind one long reader every new reader of the table queues behind it. So each
        attempt waits at most REBUILD_SWITCH_LOCK_TIMEOUT for its locks, gives up (rolling back,
        which lets the queue drain), and tries again after a short pause; after
        REBUILD_SWITCH_ATTEMPTS the error propagates (the shadow schema is kept for a rerun)."""
        attempts = max(1, settings.REBUILD_SWITCH_ATTEMPTS)
        for attempt in range(1, attempts + 1):
            try:
                return self._switch_once()
            except OperationalError as exc:
                if (
                    getattr(getattr(exc, "__cause__", None), "sqlstate", None) != LOCK_NOT_AVAILABLE
                    or attempt == attempts
                ):
                    raise
                pause = min(5.0, 0.2 * 2**attempt) * random.uniform(0.5, 1.0)
                log.warning(
                    "rebuild %s: switch attempt %d/%d waited too long for a lock; retrying in %.1fs",
                    self.projector.name,
                    attempt,
                    attempts,
                    pause,
                )
                time.sleep(pause)
        raise AssertionError("unreachable")

    def _switch_once(self) -> int:
        name = self.projector.name
        with transaction.atomic(using=self.db):
            self._execute("SELECT set_config('lock_timeout', %s, true)", [settings.REBUILD_SWITCH_LOCK_TIMEOUT])
            self._execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [self.projector.lock_key])
            caught_up = self.apply_to_shadow(events_by_id(self.missing_from_shadow()))
            self._execute(f"DROP SCHEMA IF EXISTS {self.retired} CASCADE")
            self._execute(f"CREATE SCHEMA {self.retired}")
            for table in self.projector.tables:
                self._execute(f"ALTER TABLE public.{table} SET SCHEMA {self.retired}")
                self._execute(f"ALTER TABLE {self.shadow}.{table} SET SCHEMA public")
            self._execute("DELETE FROM public.projection_applied_event WHERE projector = %s", [name])
            self._execute(
                "INSERT INTO public.projection_applied_event (projector, event_id, position, applied_at)"
                f" SELECT projector, event_id, position, applied_at FROM {self.shadow}.projection_applied_event"
                " WHERE projector = %s",
                [name],
            )
            self._execute(f"DROP SCHEMA {self.shadow} CASCADE")
        self._execute(f"DROP SCHEMA IF EXISTS {self.retired} CASCADE")
        return caught_up

    def run(self, progress: Callable[[int], None] | None = None) -> dict[str, int]:
        types = self.projector.event_types()
        self.prepare()
        replayed, last = 0, 0
        for batch in log_events(types):
            replayed += self.apply_to_shadow(batch)
            last = batch[-1].position
            if progress:
                progress(len(batch))
        caught_up, last = self.catch_up(last)
        at_switch = self.switch(last)
        log.info(
            "rebuilt %s: %d replayed, %d caught up, %d at the switch",
            self.projector.name,
            replayed,
            caught_up,
            at_switch,
        )
        return {"replayed": replayed, "caught_up": caught_up, "at_switch": at_switch}


CHECK_BATCH = 1000
SAMPLE = 20  # keys reported per kind of difference


def unapplied_from_log(projector: Projector, upto: int, *, limit: int = SAMPLE) -> list[str]:
    """`event:<id>` for each event of the log, of a type the projector handles, at a position up
    to `upto`, that its tracking table does not have (at most `limit`). The log is on the write
    database and the tracking table on the projector's, so the ids are compared batch by batch."""
    missing: list[str] = []
    for batch in log_events(projector.event_types(), upto=upto):
        ids = [e.event_id for e in batch]
        with connections[projector.database].cursor() as cursor:
            cursor.execute(
                "SELECT event_id FROM projection_applied_event WHERE projector = %s AND event_id = ANY(%s::uuid[])",
                [projector.name, ids],
            )
            applied = {str(r[0]) for r in cursor.fetchall()}
        missing += [f"event:{i}" for i in ids if str(i) not in applied]
        if len(missing) >= limit:
            return missing[:limit]
    return missing


def replay_check(
    projector: Projector,
    *,
    compare: dict[str, str] | None = None,
    after_replay: Callable[[], None] | None = None,
) -> CheckReport:
    """The default convergence check of a projector whose read model is its `tables`.

    1. Nothing lost on the way: every event of the log of a type the projector handles, up to
       the head of the log when the check starts, is in its tracking table (else `event:<id>`
       is `lost`: it never arrived, or it is dead-lettered).
    2. The tables equal a replay of exactly the events it has applied, replayed in log position
       order (deterministic; handlers are order-independent, so any order must give the same
       rows) into fresh copies in a scratch schema, compared row by row. Rows only in the replay
       are `lost`, rows only in the live tables `unexpected`.

    Run it when the queues are drained. `compare` maps a table to the SELECT to compare it by
    (default: all rows)."""
    head = log_head()
    scratch = SchemaSwapRebuild(projector)
    scratch.shadow = f"check_{projector.name}"
    report = CheckReport(projector=projector.name)
    db = projector.database

    rows = scratch._execute

    report.lost += unapplied_from_log(projector, head)
    scratch.prepare()
    try:
        ids = [
            r[0]
            for r in rows(
                "SELECT event_id::text FROM projection_applied_event WHERE projector = %s ORDER BY position, event_id",
                [projector.name],
            )
        ]
        for start in range(0, len(ids), CHECK_BATCH):
            scratch.apply_to_shadow(events_by_id(ids[start : start + CHECK_BATCH]))
        if after_replay is not None:
            with transaction.atomic(using=db):
                rows(f"SET LOCAL search_path TO {scratch.shadow}, public")
                after_replay()
        for table in projector.tables:
            view = (compare or {}).get(table, f"SELECT * FROM {{schema}}.{table}")
            live, fresh = view.format(schema="public"), view.format(schema=scratch.shadow)
            report.checked += rows(f"SELECT count(*) FROM ({live}) t")[0][0]
            report.lost += [f"{table}:{r[0]}" for r in rows(f"({fresh}) EXCEPT ALL ({live}) LIMIT {SAMPLE}")]
            report.unexpected += [f"{table}:{r[0]}" for r in rows(f"({live}) EXCEPT ALL ({fresh}) LIMIT {SAMPLE}")]
    finally:
        rows(f"DROP SCHEMA IF EXISTS {scratch.shadow} CASCADE")
    return report
