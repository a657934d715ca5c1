"""Fault tests of the pipeline against the real PostgreSQL and RabbitMQ, with real processes.

Each one ends with the convergence checker: zero lost, duplicated or unexpected entries.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connections
from kombu import Producer

from socialapp.events.deadletters import list_dead
from socialapp.events.faults import RELAY_HOLD_BEFORE_MARK, fault_env
from socialapp.events.models import OutboxEntry
from socialapp.events.topology import broker_connection, queue_name
from tests.events.helpers import append_probe_events, marked_aggregate, poisoned_among, probe_env
from tests.events.probe import ProbeProjector
from tests.pipeline_support import running_pipeline, start_relay, start_worker, wait_applied
from tests.support import service_stopped, wait_for

pytestmark = [
    pytest.mark.slow,
    pytest.mark.faults,
    pytest.mark.timeout(240),
    pytest.mark.django_db(transaction=True, databases=["default", "read"]),
]


def probe_count() -> int:
    with connections["read"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM probe_applied")
        return cursor.fetchone()[0]


def assert_converged() -> None:
    report = ProbeProjector().check()
    assert report.ok, report
    call_command("projections", "check", "probe")  # the operator's view agrees (raises otherwise)


@pytest.mark.parametrize("batch", ["1", "20"], ids=["one-by-one", "batches"])
def test_worker_killed_mid_batch_applies_every_event_exactly_once(probe_tables, batch: str):
    relay = start_relay(env=probe_env())
    try:
        slow_env = probe_env(PROBE_DELAY_SECONDS="0.02", PROBE_BATCH_SIZE=batch)
        slow = start_worker(["probe"], name="probe-slow", env=slow_env)
        events = append_probe_events(150, per_transaction=10)
        wait_for(lambda: probe_count() >= 30, timeout=60, what="the worker to be mid-batch")
        slow.stop(signal.SIGKILL)  # kill -9: prefetched messages are unacked, some effects committed
        assert probe_count() < len(events)
        fresh = start_worker(["probe"], name="probe-fresh", env=probe_env(PROBE_BATCH_SIZE=batch))
        try:
            wait_applied(events, ["probe"], timeout=90)
        finally:
            fresh.stop()
    finally:
        relay.stop()
    assert_converged()
    assert list_dead("probe") == []


def test_relay_killed_between_publish_and_mark_duplicate_is_absorbed(probe_tables, tmp_path: Path):
    hold = tmp_path / "held"
    worker = start_worker(["probe"], name="probe-dup", env=probe_env())
    try:
        events = append_probe_events(20, per_transaction=20)
        crashing = start_relay(name="relay-crash", env=probe_env(**fault_env(**{RELAY_HOLD_BEFORE_MARK: str(hold)})))
        wait_for(hold.exists, timeout=60, what="the relay to publish and hold before marking")
        held = [int(p) for p in hold.read_text().split(",")]
        crashing.stop(signal.SIGKILL)
        assert len(held) == 20
        assert OutboxEntry.objects.filter(position__in=held).count() == 20
        wait_applied(events, ["probe"], timeout=60)  # delivered although never marked

        relay = start_relay(env=probe_env())  # republishes the unmarked rows
        try:
            wait_for(lambda: not OutboxEntry.objects.exists(), timeout=60, what="marking")
            wait_for(lambda: worker.log().count("skipped duplicate") >= 20, timeout=60, what="duplicates delivered")
        finally:
            relay.stop()
    finally:
        worker.stop()
    assert_converged()


@pytest.mark.parametrize("batch", ["1", "20"], ids=["one-by-one", "batches"])
def test_poison_event_is_dead_lettered_others_flow_and_retry_applies_it_once_fixed(probe_tables, batch: str):
    """In batches, the poisoned event fails the batch's transaction; the batch is applied again
    one event per transaction, so only the poisoned one is requeued (and its neighbours once)."""
    poison = marked_aggregate("probe_poison")
    with running_pipeline(["probe"], env=probe_env(PROBE_BATCH_SIZE=batch)) as pipeline:
        bad, dead = poisoned_among(pipeline, poison, 10)
        assert [d.event_id for d in dead] == [str(bad.event_id)]
        assert dead[0].reason == "delivery_limit"
        assert "requeued (bounded by the delivery limit)" in pipeline.workers["probe"].log()

        with connections["read"].cursor() as cursor:  # the fix ships
            cursor.execute("DELETE FROM probe_poison")
        call_command("deadletters", "retry", "probe")
        pipeline.wait_applied([bad], timeout=60)
    assert list_dead("probe") == []
    assert_converged()


def test_malformed_message_goes_straight_to_dead_letters(probe_tables):
    with running_pipeline(["probe"], relay=False, env=probe_env()) as pipeline:
        with broker_connection() as connection:
            Producer(connection.channel()).publish(
                {"event_type": "post.created", "no": "envelope"}, exchange="", routing_key=queue_name("probe"),
                serializer="json", delivery_mode=2, message_id="malformed-1", retry=False,
            )  # fmt: skip
        dead = wait_for(lambda: list_dead("probe"), timeout=30, what="the malformed message dead-lettered")
        assert dead[0].reason == "rejected" and dead[0].deaths == 1
        assert "malformed event message, dead-lettered" in pipeline.workers["probe"].log()
    call_command("deadletters", "purge", "probe")
    assert list_dead("probe") == []


def test_duplicates_and_reordering_within_an_aggregate_converge(probe_tables):
    """Every event of three aggregates delivered twice, newest first: same state as in order."""
    events = []
    for _ in range(3):
        events += append_probe_events(5, per_transaction=5)
    scrambled = sorted(events, key=lambda e: -e.aggregate_version) + events[::2] + events
    with running_pipeline(["probe"], relay=False, env=probe_env()) as pipeline:
        with broker_connection() as connection:
            producer = Producer(connection.channel())
            for event in scrambled:
                producer.publish(
                    event.as_message(), exchange="", routing_key=queue_name("probe"), serializer="json",
                    delivery_mode=2, message_id=str(event.event_id), retry=False,
                )  # fmt: skip
        pipeline.wait_applied(events, timeout=60)
        wait_for(
            lambda: pipeline.workers["probe"].log().count("skipped duplicate") == len(scrambled) - len(events),
            timeout=30,
            what="every duplicate delivered and skipped",
        )
    with connections["read"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM probe_aggregate WHERE value = 'v5' AND version = 5")
        assert cursor.fetchone()[0] == 3
    assert_converged()


def test_rabbitmq_restart_while_commands_keep_coming_loses_nothing(probe_tables):
    with running_pipeline(["probe"], env=probe_env()) as pipeline:
        events = append_probe_events(10)
        pipeline.wait_applied(events, timeout=60)
        with service_stopped("rabbitmq"):
            events += append_probe_events(20, per_transaction=2)  # commands commit while the broker is down
        events += append_probe_events(10)
        pipeline.wait_applied(events, timeout=120)
        assert pipeline.relay is not None and pipeline.relay.proc.poll() is None  # resumed by itself
    assert not OutboxEntry.objects.exists()
    assert_converged()


def test_transient_errors_are_retried_with_backoff_never_dead_lettered(probe_tables):
    flaky = marked_aggregate("probe_flaky")
    with running_pipeline(["probe"], env=probe_env()) as pipeline:
        bad = append_probe_events(1, aggregate_id=flaky)
        log = pipeline.workers["probe"].log
        # In-place retries with backoff, then back to the tail of the queue (no delivery used up).
        wait_for(lambda: "back to the tail of the queue" in log(), timeout=60, what="retries exhausted once")
        assert log().count(f"transient error on {bad[0].event_id}") >= 6
        with connections["read"].cursor() as cursor:  # the service is back
            cursor.execute("DELETE FROM probe_flaky")
        pipeline.wait_applied(bad, timeout=60)
    assert list_dead("probe") == []
    assert_converged()
