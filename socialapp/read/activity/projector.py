"""The `activity` projector: the staff dashboard's per-minute counters, from every event.

It handles every event type, so it must be cheap: a batch is applied with ONE statement (data-
modifying CTEs over the batch unnested from arrays) that adds to the per-minute event and command
counters and inserts the (minute, actor) and (hour, actor) rows of active users. Buckets come from
each event's `occurred_at`, never from the clock, and counters only add, so any order of delivery
gives the same rows; the tracking table (Projector.apply_batch) makes each event count once.

`tables` makes `projections rebuild activity` and `projections check activity` work. Rows older
than the retention settings are pruned (socialapp.read.activity.sampling); the check compares
only the rows inside retention (`check`), since a replay recreates the pruned ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from socialapp.events.catalogue import EventType
from socialapp.events.projector import CheckReport, EventMessage, Projector, handles, register
from socialapp.events.rebuild import replay_check
from socialapp.read.activity.commands import command_of
from socialapp.read.common.sql import execute

EVENT_TABLE, COMMAND_TABLE = "activity_event_minute", "activity_command_minute"
ACTOR_MINUTE_TABLE, ACTOR_HOUR_TABLE = "activity_actor_minute", "activity_actor_hour"
TABLES = (EVENT_TABLE, COMMAND_TABLE, ACTOR_MINUTE_TABLE, ACTOR_HOUR_TABLE)

# Rows are inserted in key order: two batches adding to the same counters lock them in one order.
APPLY_BATCH_SQL = f"""
WITH e AS (
    SELECT date_trunc('minute', t.at) AS minute, t.event_type, t.command, t.actor_id
    FROM unnest(%s::timestamptz[], %s::text[], %s::text[], %s::bigint[]) AS t(at, event_type, command, actor_id)
), counted_events AS (
    INSERT INTO {EVENT_TABLE} AS c (bucket, event_type, events)
    SELECT minute, event_type, count(*) FROM e GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (bucket, event_type) DO UPDATE SET events = c.events + EXCLUDED.events
), counted_commands AS (
    INSERT INTO {COMMAND_TABLE} AS c (bucket, command, commands)
    SELECT minute, command, count(*) FROM e GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (bucket, command) DO UPDATE SET commands = c.commands + EXCLUDED.commands
), by_minute AS (
    INSERT INTO {ACTOR_MINUTE_TABLE} (bucket, actor_id)
    SELECT DISTINCT minute, actor_id FROM e WHERE actor_id IS NOT NULL ORDER BY 1, 2
    ON CONFLICT DO NOTHING
)
INSERT INTO {ACTOR_HOUR_TABLE} (bucket, actor_id)
SELECT DISTINCT date_trunc('hour', minute), actor_id FROM e WHERE actor_id IS NOT NULL ORDER BY 1, 2
ON CONFLICT DO NOTHING
"""


@register
class ActivityProjector(Projector):
    name = "activity"
    tables = TABLES

    @handles(*EventType)
    def count(self, event: EventMessage) -> None:
        """Every event counts (one at a time here; `handle` does whole batches)."""
        self.handle([event])

    def handle(self, events: Sequence[EventMessage]) -> None:
        """The whole batch in one statement (see APPLY_BATCH_SQL)."""
        execute(
            APPLY_BATCH_SQL,
            [
                [e.occurred_at for e in events],
                [e.event_type for e in events],
                [command_of(e.event_type) for e in events],
                [e.actor_id for e in events],
            ],
        )

    def check(self) -> CheckReport:
        """The default replay check, comparing only the rows inside retention: the live tables
        were pruned, a replay of every applied event is not (both are equal above the cutoffs)."""
        from socialapp.read.activity.sampling import retention_cutoffs

        cutoffs = retention_cutoffs()
        return replay_check(
            self,
            compare={table: _rows_since(table, cutoffs[table]) for table in TABLES},
        )


def _rows_since(table: str, cutoff: datetime) -> str:
    """The compare view of a table: its rows from `cutoff` on (a literal: the check formats it)."""
    return f"SELECT * FROM {{schema}}.{table} WHERE bucket >= '{cutoff.isoformat()}'::timestamptz"
