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

`replay_check` replays the events a projector applied into a scratch copy of its tables and
compares. Both replays go through `ShadowTables`, which runs them within `Projector.replay()`:
the projector skips its side effects outside the transaction while `replaying` is true. The log
is read with the readers of socialapp.events.log.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings
from django.db import OperationalError, connections, transaction

from socialapp.events.log import EventMessage, events_by_id, log_events, log_head
from socialapp.events.sqlstate import LOCK_NOT_AVAILABLE, sqlstate

log = logging.getLogger(__name__)
SHADOW_BATCH = 100  # events per apply_batch when replaying into a shadow or scratch schema


class ProjectorLike(Protocol):
    """What a rebuild and a check use of a projector (socialapp.events.projector.Projector, whose
    default `rebuild_strategy()` and `check()` are this module's: it imports this module, never
    the other way round)."""

    name: str
    database: str
    tables: tuple[str, ...]

    @property
    def lock_key(self) -> str: ...
    def event_types(self) -> tuple[str, ...]: ...
    def apply_batch(self, events: Sequence[EventMessage]) -> list[bool | Exception]: ...
    def replay(self) -> AbstractContextManager[None]: ...


@dataclass
class CheckReport:
    """What `projections check` prints: keys of read-model entries that disagree with the log."""

    projector: str
    lost: list[str] = field(default_factory=list)  # implied by the log, missing from the read model
    duplicated: list[str] = field(default_factory=list)  # present more than once / applied twice
    unexpected: list[str] = field(default_factory=list)  # present, but not implied by the log
    checked: int = 0

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.unexpected)


class ShadowTables:
    """Fresh copies of a projector's `tables` and of the tracking table in a schema of their own,
    and the projector's replay into them: the rebuild's shadow and the check's scratch copy.

    Everything that runs against the copies runs `within()`: one transaction on the projector's
    database with `search_path = <schema>, public` (the unchanged handlers write the copies) and
    the projector's `replay()` flag set (it skips side effects outside the transaction)."""

    def __init__(self, projector: ProjectorLike, schema: str) -> None:
        self.projector = projector
        self.db = projector.database
        self.schema = schema.replace(".", "_").replace("-", "_")
        self.owned = (*projector.tables, "projection_applied_event")

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run one statement on the projector's database; its rows (none for a statement without)."""
        with connections[self.db].cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def create(self) -> None:
        """(Re)create the schema with empty copies (indexes and constraints included)."""
        self.drop()
        self.query(f"CREATE SCHEMA {self.schema}")
        for table in self.owned:
            self.query(f"CREATE TABLE {self.schema}.{table} (LIKE public.{table} INCLUDING ALL)")
            self._keep_index_names(table)

    def drop(self) -> None:
        self.query(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")

    def _indexes(self, schema: str, table: str) -> dict[str, str]:
        """{definition without its name and schema: index name}."""
        rows = self.query(
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
        for definition, name in self._indexes(self.schema, table).items():
            wanted = live.get(definition)
            if wanted and wanted != name:
                self.query(f'ALTER INDEX {self.schema}."{name}" RENAME TO "{wanted}"')

    @contextmanager
    def within(self) -> Iterator[None]:
        """A transaction in which unqualified table names mean the copies, as a replay."""
        with self.projector.replay(), transaction.atomic(using=self.db):
            self.query(f"SET LOCAL search_path TO {self.schema}, public")
            yield

    def apply(self, events: list[EventMessage]) -> int:
        """Apply in order, in one transaction (the projector's batch path: one tracking insert,
        and whatever its `handle` shares across a batch); an event's error fails the whole call."""
        applied = 0
        with self.within():
            for start in range(0, len(events), SHADOW_BATCH):
                for outcome in self.projector.apply_batch(events[start : start + SHADOW_BATCH]):
                    if isinstance(outcome, Exception):
                        raise outcome
                    applied += bool(outcome)
        return applied

    def applied_ids(self) -> list[str]:
        """The ids of the events the live projector applied, in log position order."""
        return [
            r[0]
            for r in self.query(
                "SELECT event_id::text FROM public.projection_applied_event WHERE projector = %s"
                " ORDER BY position, event_id",
                [self.projector.name],
            )
        ]

    def missing(self) -> list[str]:
        """The ids of the events the live projector applied that the copies have not."""
        rows = self.query(
            f"SELECT p.event_id::text FROM public.projection_applied_event p WHERE p.projector = %s AND NOT EXISTS"
            f" (SELECT 1 FROM {self.schema}.projection_applied_event s WHERE s.projector = %s AND s.event_id = p.event_id)",
            [self.projector.name, self.projector.name],
        )
        return [r[0] for r in rows]

    def compare(self, table: str, view: str, *, limit: int) -> tuple[int, list[str], list[str]]:
        """Compare a live table with its copy through `view` (a SELECT with a `{schema}`
        placeholder): (live rows, first column of up to `limit` rows only in the copy, ... only live)."""
        live, fresh = view.format(schema="public"), view.format(schema=self.schema)
        count = self.query(f"SELECT count(*) FROM ({live}) t")[0][0]
        only_fresh = [r[0] for r in self.query(f"({fresh}) EXCEPT ALL ({live}) LIMIT {int(limit)}")]
        only_live = [r[0] for r in self.query(f"({live}) EXCEPT ALL ({fresh}) LIMIT {int(limit)}")]
        return int(count), only_fresh, only_live


class SchemaSwapRebuild:
    """The default rebuild (the module docstring's steps 1-4): `copies` is the shadow schema
    `rebuild_<name>` (kept when the switch gives up; a rerun recreates it)."""

    def __init__(self, projector: ProjectorLike) -> None:
        if not projector.tables:
            raise ValueError(f"projector {projector.name!r} declares no `tables` and no rebuild_strategy()")
        self.projector = projector
        self.db = projector.database
        self.copies = ShadowTables(projector, f"rebuild_{projector.name}")
        self.shadow = self.copies.schema
        self.retired = f"retired_{projector.name}".replace(".", "_").replace("-", "_")

    def prepare(self) -> None:
        self.copies.create()

    def apply_to_shadow(self, events: list[EventMessage]) -> int:
        return self.copies.apply(events)

    def missing_from_shadow(self) -> list[str]:
        return self.copies.missing()

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
                if sqlstate(exc) != LOCK_NOT_AVAILABLE or attempt == attempts:
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
        with transaction.atomic(using=self.db):
            self.copies.query("SELECT set_config('lock_timeout', %s, true)", [settings.REBUILD_SWITCH_LOCK_TIMEOUT])
            # Statistics for the comparison of the tracking rows, taken before the lock.
            self.copies.query(f"ANALYZE {self.shadow}.projection_applied_event")
            self.copies.query("SELECT pg_advisory_xact_lock(hashtext(%s))", [self.projector.lock_key])
            caught_up = self.apply_to_shadow(events_by_id(self.missing_from_shadow()))
            self.copies.query(f"DROP SCHEMA IF EXISTS {self.retired} CASCADE")
            self.copies.query(f"CREATE SCHEMA {self.retired}")
            for table in self.projector.tables:
                self.copies.query(f"ALTER TABLE public.{table} SET SCHEMA {self.retired}")
                self.copies.query(f"ALTER TABLE {self.shadow}.{table} SET SCHEMA public")
            self._replace_tracking()
            self.copies.query(f"DROP SCHEMA {self.shadow} CASCADE")
        self.copies.query(f"DROP SCHEMA IF EXISTS {self.retired} CASCADE")
        return caught_up

    def _replace_tracking(self) -> None:
        """Within the switch: the shadow's tracking rows replace the live ones. When the live
        table has rows of this projector, only those that differ are written (usually none are
        deleted: the shadow has applied everything applied live), the rows to add collected
        first: an anti-join against the table being filled could scan the rows it adds
        (quadratic, with a plan made for an empty table), and ON CONFLICT DO NOTHING's
        speculative inserts were several times slower per row. Else one plain INSERT."""
        name, shadow = self.projector.name, self.shadow
        columns = "projector, event_id, position, applied_at"
        if not self.copies.query("SELECT 1 FROM public.projection_applied_event WHERE projector = %s LIMIT 1", [name]):
            self.copies.query(
                f"INSERT INTO public.projection_applied_event ({columns})"
                f" SELECT {columns} FROM {shadow}.projection_applied_event WHERE projector = %s",
                [name],
            )
            return
        self.copies.query(
            "DELETE FROM public.projection_applied_event p WHERE p.projector = %s AND NOT EXISTS (SELECT 1"
            f" FROM {shadow}.projection_applied_event s WHERE s.projector = p.projector AND s.event_id = p.event_id)",
            [name],
        )
        # A second switch in one transaction (a test's, or two rebuilds under one atomic block)
        # would find the first one's table: ON COMMIT DROP has not run yet.
        self.copies.query("DROP TABLE IF EXISTS pg_temp.rebuild_tracking_added")
        self.copies.query(
            f"CREATE TEMP TABLE rebuild_tracking_added ON COMMIT DROP AS SELECT {columns}"
            f" FROM {shadow}.projection_applied_event s WHERE s.projector = %s AND NOT EXISTS"
            " (SELECT 1 FROM public.projection_applied_event p WHERE p.projector = s.projector AND p.event_id = s.event_id)",
            [name],
        )
        self.copies.query(
            f"INSERT INTO public.projection_applied_event ({columns}) SELECT {columns} FROM rebuild_tracking_added"
        )

    def replay(self, progress: Callable[[int], None] | None = None) -> tuple[int, int]:
        """Step 2, the log into the fresh copies: (events applied, the position replayed up to)."""
        replayed, last = 0, 0
        for batch in log_events(self.projector.event_types()):
            replayed += self.apply_to_shadow(batch)
            last = batch[-1].position
            if progress:
                progress(len(batch))
        return replayed, last

    def run(self, progress: Callable[[int], None] | None = None) -> dict[str, int]:
        self.prepare()
        replayed, last = self.replay(progress)
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


def unapplied_from_log(projector: ProjectorLike, upto: int, *, limit: int = SAMPLE) -> list[str]:
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
    projector: ProjectorLike,
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
    scratch = ShadowTables(projector, f"check_{projector.name}")
    report = CheckReport(projector=projector.name)
    report.lost += unapplied_from_log(projector, head)
    scratch.create()
    try:
        ids = scratch.applied_ids()
        for start in range(0, len(ids), CHECK_BATCH):
            scratch.apply(events_by_id(ids[start : start + CHECK_BATCH]))
        if after_replay is not None:
            with scratch.within():
                after_replay()
        for table in projector.tables:
            view = (compare or {}).get(table, f"SELECT * FROM {{schema}}.{table}")
            checked, only_fresh, only_live = scratch.compare(table, view, limit=SAMPLE)
            report.checked += checked
            report.lost += [f"{table}:{key}" for key in only_fresh]
            report.unexpected += [f"{table}:{key}" for key in only_live]
    finally:
        scratch.drop()
    return report
