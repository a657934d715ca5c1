"""Collecting batches (EVENTS_BATCH_COLLECT_MS): under a slow trickle, a projector worker lets a
partial batch wait for more instead of committing one transaction per event, and a lone event
is still applied once the wait is over, with no more traffic to wake the worker."""

import pytest
from django.db import connections

from socialapp.events.models import OutboxEntry
from tests.events.helpers import append_probe_events, probe_env
from tests.pipeline_support import running_pipeline
from tests.support import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, databases=["default", "read"])]


def _transactions(events: list) -> int:
    """How many projector transactions applied `events` (a batch's tracking rows share now())."""
    with connections["read"].cursor() as cursor:
        cursor.execute(
            "SELECT count(DISTINCT applied_at) FROM projection_applied_event"
            " WHERE projector = 'probe' AND event_id = ANY(%s::uuid[])",
            [[str(e.event_id) for e in events]],
        )
        return cursor.fetchone()[0]


def _lag_seconds(event: object) -> float:
    """From the event's commit (occurred_at, set in its transaction) to its application."""
    with connections["read"].cursor() as cursor:
        cursor.execute(
            "SELECT extract(epoch FROM applied_at) FROM projection_applied_event"
            " WHERE projector = 'probe' AND event_id = %s",
            [str(event.event_id)],  # type: ignore[attr-defined]
        )
        applied = cursor.fetchone()[0]
    return float(applied) - event.occurred_at.timestamp()  # type: ignore[attr-defined]


def _trickle(count: int) -> list:
    """`count` events, each committed alone and published before the next is appended: without
    a collecting wait, each would reach an idle worker on its own."""
    events = []
    for _ in range(count):
        events += append_probe_events(1)
        wait_for(lambda: not OutboxEntry.objects.exists(), timeout=30, what="the relay to publish the event")
    return events


def test_a_trickle_is_applied_in_few_transactions_when_batches_collect(probe_tables):
    with running_pipeline(["probe"], env=probe_env(EVENTS_BATCH_COLLECT_MS="1500", PROBE_BATCH_SIZE="100")) as pipeline:
        events = _trickle(6)
        pipeline.wait_applied(events, timeout=60)
    assert _transactions(events) <= 2


def test_a_trickle_is_applied_event_by_event_without_collecting(probe_tables):
    """The control: the same trickle, no collecting wait (the adaptive batch applies at once)."""
    with running_pipeline(["probe"], env=probe_env(EVENTS_BATCH_COLLECT_MS="0", PROBE_BATCH_SIZE="100")) as pipeline:
        events = []
        for _ in range(4):
            event = _trickle(1)
            pipeline.wait_applied(event, timeout=60)
            events += event
    assert _transactions(events) == 4


def test_a_lone_event_is_applied_when_its_wait_is_over(probe_tables):
    with running_pipeline(["probe"], env=probe_env(EVENTS_BATCH_COLLECT_MS="200", PROBE_BATCH_SIZE="100")) as pipeline:
        warm = append_probe_events(1)  # connections opened, plans cached
        pipeline.wait_applied(warm, timeout=60)
        lone = append_probe_events(1)
        pipeline.wait_applied(lone, timeout=60)
    lag = _lag_seconds(lone[0])
    # It waited for company (the collecting wait), then was applied without more traffic.
    assert 0.2 <= lag < 1.5, lag
