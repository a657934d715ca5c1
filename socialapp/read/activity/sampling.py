"""Projection health over time, and the retention of the dashboard's rows.

`sample_projections` records, per registered projector, what `projections status` prints (its
lag: events of its types in the log it has not applied; its queue depth and dead letters from the
RabbitMQ management API, None when that is unreachable) into `activity_projection_sample`. Celery
beat runs it every ACTIVITY_SAMPLE_SECONDS (task `activity.sample_projections`, tasks.py), and
the same run prunes rows older than the retention settings (`prune`). Tests call both directly.

The lag is computed as `projections status` computes it (socialapp.events.status): one count of
the log per event type and one of the tracking table per projector, i.e. two scans per sample.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from socialapp.events.status import projector_status
from socialapp.read.common.sql import READ, execute

SAMPLE_TABLE = "activity_projection_sample"


def retention_cutoffs(now: datetime | None = None) -> dict[str, datetime]:
    """The oldest bucket kept, per table: per-minute actor rows ACTIVITY_ACTOR_MINUTE_RETENTION_HOURS
    (they are the largest: one row per active account per minute), the rest ACTIVITY_RETENTION_DAYS."""
    now = now or timezone.now()
    days = now - timedelta(days=settings.ACTIVITY_RETENTION_DAYS)
    hours = now - timedelta(hours=settings.ACTIVITY_ACTOR_MINUTE_RETENTION_HOURS)
    return {
        "activity_event_minute": days,
        "activity_command_minute": days,
        "activity_actor_minute": hours,
        "activity_actor_hour": days,
        SAMPLE_TABLE: days,
    }


def sample_projections(now: datetime | None = None) -> int:
    """Record one sample per registered projector at `now` (default: the clock); returns how many."""
    at = now or timezone.now()
    rows = projector_status()
    execute(
        f"INSERT INTO {SAMPLE_TABLE} (sampled_at, projector, applied, lag, ready, dead)"
        " SELECT %s, * FROM unnest(%s::text[], %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[])"
        " ON CONFLICT (sampled_at, projector) DO NOTHING",
        [
            at,
            [r.name for r in rows],
            [r.applied for r in rows],
            [r.lag for r in rows],
            [r.ready for r in rows],
            [r.dead for r in rows],
        ],
    )
    return len(rows)


def prune(now: datetime | None = None) -> dict[str, int]:
    """Delete the rows older than the retention settings; rows deleted per table."""
    deleted = {}
    with transaction.atomic(using=READ):
        for table, cutoff in retention_cutoffs(now).items():
            column = "sampled_at" if table == SAMPLE_TABLE else "bucket"
            deleted[table] = execute(f"DELETE FROM {table} WHERE {column} < %s", [cutoff])
    return deleted
