"""A RabbitMQ restart (`rabbitmqctl shutdown`, as `scripts/services` does) while the relay is
mid-way through the log: every row it marks published must be in the projector's queue afterwards.

No worker runs, so the queue holds exactly what the broker confirmed and kept across the
restart; the test drains it and compares the message ids with the log.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connections
from kombu import Consumer

from socialapp.events.models import Event, OutboxEntry
from socialapp.events.topology import broker_connection, projector_queue
from tests.events.helpers import append_probe_events, probe_env
from tests.events.probe import ProbeProjector
from tests.pipeline_support import start_relay
from tests.support import service_stopped, wait_for

pytestmark = [
    pytest.mark.slow,
    pytest.mark.faults,
    pytest.mark.timeout(240),
    pytest.mark.django_db(transaction=True, databases=["default", "read"]),
]


def queued_message_ids(expected: set[str], timeout: float = 60.0) -> set[str]:
    """Drain projector.probe (acking) until every expected id arrived or `timeout` passed."""
    seen: set[str] = set()

    def on_message(body: dict, message: object) -> None:
        seen.add(str(message.properties.get("message_id")))  # type: ignore[attr-defined]
        message.ack()  # type: ignore[attr-defined]

    deadline = time.monotonic() + timeout
    with broker_connection() as connection:
        queue = projector_queue(ProbeProjector())
        with Consumer(connection, queues=[queue], callbacks=[on_message], accept=["json"], prefetch_count=500):
            while not expected <= seen and time.monotonic() < deadline:
                try:
                    connection.drain_events(timeout=1)
                except TimeoutError:
                    continue
    return seen


def published_count() -> int:
    return Event.objects.exclude(position__in=OutboxEntry.objects.values("position")).count()


def test_rows_marked_published_across_a_broker_restart_are_all_in_the_queue(probe_tables):
    """A writer keeps appending during the whole restart, so the relay has work in hand when the
    broker goes down however fast it publishes (a fixed backlog can be gone before the stop)."""
    events = append_probe_events(2000, per_transaction=100)
    written: list[Event] = []
    stop_writing = threading.Event()

    def keep_writing() -> None:
        try:
            while not stop_writing.is_set():
                written.extend(append_probe_events(20, per_transaction=20))
        finally:
            connections.close_all()

    relay = start_relay(env=probe_env())
    writer = threading.Thread(target=keep_writing, daemon=True)
    try:
        writer.start()
        wait_for(lambda: published_count() >= 100, timeout=60, interval=0.01, what="the relay to be publishing")
        with service_stopped("rabbitmq"):
            wait_for(lambda: len(written) >= 200, timeout=60, what="appends while the broker is down")
            marked_while_down = published_count()
            appended_while_down = Event.objects.count()
        stop_writing.set()
        writer.join(timeout=60)
        wait_for(
            lambda: not OutboxEntry.objects.exists(),
            timeout=120,
            what="every row marked published after the restart",
        )
    finally:
        stop_writing.set()
        relay.stop()
    assert not writer.is_alive()
    assert marked_while_down < appended_while_down, "the relay had nothing left to publish; the test proved nothing"
    assert "relay pass failed" in relay.log()  # the restart did reach the relay mid-publish
    ids = {str(e.event_id) for e in events + written}
    seen = queued_message_ids(ids)
    missing = ids - seen
    assert not missing, f"{len(missing)} rows marked published are not in the queue (e.g. {sorted(missing)[:3]})"
