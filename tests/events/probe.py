"""The probe projector: the pipeline's own test projector (loaded with
EVENTS_EXTRA_PROJECTOR_MODULES=tests.events.probe).

It records every application in `probe_applied` (times > 1 would be a double effect) and keeps
one row per aggregate in `probe_aggregate` holding the newest version's value, guarded by the
aggregate version, as every read model must. An aggregate id listed in `probe_poison` makes the
handler fail like a bug would; removing it "fixes the code". One listed in `probe_flaky` makes it
raise TransientError, as an unreachable service would, until the row is removed. One listed in
`probe_sqlstate` makes PostgreSQL itself raise an error with that SQLSTATE (a real database error,
as psycopg and Django wrap it). PROBE_DELAY_SECONDS slows each
application down so that a test can kill a worker mid-batch; PROBE_BATCH_SIZE > 1 makes workers hand it
batches (Projector.batch_size), as they do the search projector.
"""

from __future__ import annotations

import os
import time

from django.conf import settings
from django.db import connections

from socialapp.events.catalogue import EventType
from socialapp.events.projector import CheckReport, EventMessage, Projector, TransientError, handles, register

TABLES_SQL = [
    "CREATE TABLE IF NOT EXISTS probe_applied (event_id uuid PRIMARY KEY, position bigint NOT NULL,"
    " aggregate_id text NOT NULL, version int NOT NULL, times int NOT NULL DEFAULT 1)",
    "CREATE TABLE IF NOT EXISTS probe_aggregate (aggregate_id text PRIMARY KEY, version int NOT NULL,"
    " value text NOT NULL)",
    "CREATE TABLE IF NOT EXISTS probe_poison (aggregate_id text PRIMARY KEY)",
    "CREATE TABLE IF NOT EXISTS probe_flaky (aggregate_id text PRIMARY KEY)",
    "CREATE TABLE IF NOT EXISTS probe_sqlstate (aggregate_id text PRIMARY KEY, sqlstate char(5) NOT NULL)",
    "CREATE INDEX IF NOT EXISTS probe_aggregate_value_a1b2c3 ON probe_aggregate (value)",  # Django-style name
]
PROBE_TYPES = (EventType.POST_CREATED, EventType.POST_EDITED, EventType.POST_DELETED)


def create_tables() -> None:
    with connections["read"].cursor() as cursor:
        for sql in TABLES_SQL:
            cursor.execute(sql)


def reset_tables() -> None:
    with connections["read"].cursor() as cursor:
        cursor.execute("TRUNCATE probe_applied, probe_aggregate, probe_poison, probe_flaky, probe_sqlstate")
        cursor.execute("DELETE FROM projection_applied_event WHERE projector = 'probe'")


class PoisonedEvent(Exception):
    pass


def raise_sqlstate(cursor: object, code: str) -> None:
    """Make the server raise an error with SQLSTATE `code` (the driver maps it to its class)."""
    if not (len(code) == 5 and code.isalnum()):
        raise ValueError(code)
    cursor.execute(f"DO $$ BEGIN RAISE EXCEPTION 'probe: sqlstate {code}' USING ERRCODE = '{code}'; END $$")  # type: ignore[attr-defined]


class ProbeProjector(Projector):
    name = "probe"
    tables = ("probe_applied", "probe_aggregate")

    @property
    def batch_size(self) -> int:  # type: ignore[override]
        return int(os.environ.get("PROBE_BATCH_SIZE", "1") or 1)

    @handles(*PROBE_TYPES)
    def on_event(self, event: EventMessage) -> None:
        delay = float(os.environ.get("PROBE_DELAY_SECONDS", "0") or 0)
        if delay:  # simulated slow work (so a worker can be killed mid-batch), not synchronisation
            time.sleep(delay)
        with connections[self.database].cursor() as cursor:
            cursor.execute("SELECT 1 FROM probe_poison WHERE aggregate_id = %s", [event.aggregate_id])
            if cursor.fetchone():
                raise PoisonedEvent(f"poisoned aggregate {event.aggregate_id}")
            cursor.execute("SELECT sqlstate FROM probe_sqlstate WHERE aggregate_id = %s", [event.aggregate_id])
            if row := cursor.fetchone():
                raise_sqlstate(cursor, row[0])
            cursor.execute("SELECT 1 FROM probe_flaky WHERE aggregate_id = %s", [event.aggregate_id])
            if cursor.fetchone():
                raise TransientError(f"flaky aggregate {event.aggregate_id}")
            cursor.execute(
                "INSERT INTO probe_applied (event_id, position, aggregate_id, version) VALUES (%s, %s, %s, %s)"
                " ON CONFLICT (event_id) DO UPDATE SET times = probe_applied.times + 1",
                [event.event_id, event.position, event.aggregate_id, event.aggregate_version],
            )
            value = "deleted" if event.event_type == "post.deleted" else str(event.payload.get("value", ""))
            cursor.execute(
                "INSERT INTO probe_aggregate (aggregate_id, version, value) VALUES (%s, %s, %s)"
                " ON CONFLICT (aggregate_id) DO UPDATE SET version = EXCLUDED.version, value = EXCLUDED.value"
                " WHERE probe_aggregate.version < EXCLUDED.version",
                [event.aggregate_id, event.aggregate_version, value],
            )

    def check(self) -> CheckReport:
        """Every handled event of the log applied exactly once; every aggregate at its last version."""
        report = CheckReport(projector=self.name)
        with connections["default"].cursor() as cursor:
            cursor.execute(
                "SELECT event_id::text, event_type, aggregate_id, aggregate_version, payload->>'value'"
                " FROM event_log WHERE event_type = ANY(%s)",
                [list(PROBE_TYPES)],
            )
            log_rows = cursor.fetchall()
        with connections[self.database].cursor() as cursor:
            cursor.execute("SELECT event_id::text, times FROM probe_applied")
            applied = dict(cursor.fetchall())
            cursor.execute("SELECT aggregate_id, version, value FROM probe_aggregate")
            aggregates = {a: (v, val) for a, v, val in cursor.fetchall()}
        expected: dict[str, tuple[int, str]] = {}
        for event_id, event_type, aggregate_id, version, value in log_rows:
            times = applied.pop(event_id, 0)
            if times == 0:
                report.lost.append(f"event {event_id}")
            elif times > 1:
                report.duplicated.append(f"event {event_id} x{times}")
            if version > expected.get(aggregate_id, (0, ""))[0]:
                expected[aggregate_id] = (version, "deleted" if event_type == "post.deleted" else value or "")
        report.unexpected += [f"event {event_id}" for event_id in applied]
        for aggregate_id, state in expected.items():
            if aggregate_id not in aggregates:
                report.lost.append(f"aggregate {aggregate_id}")
            elif aggregates.pop(aggregate_id) != state:
                report.unexpected.append(f"aggregate {aggregate_id} state differs from v{state[0]}")
        report.unexpected += [f"aggregate {a}" for a in aggregates]
        report.checked = len(log_rows)
        return report


def install() -> None:
    """Register the probe in this process (the tests' fixture does; child processes do on import)."""
    from socialapp.events.projector import REGISTRY

    if "probe" not in REGISTRY:
        register(ProbeProjector)


def uninstall() -> None:
    from socialapp.events.projector import REGISTRY

    REGISTRY.pop("probe", None)


if __name__ in settings.EVENTS_EXTRA_PROJECTOR_MODULES:  # a worker or relay started for the tests
    install()
