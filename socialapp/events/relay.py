"""The outbox relay: publishes the event log to RabbitMQ, marking each row only after its confirm.

Work list = rows with `published_at IS NULL`, taken in batches with `FOR UPDATE SKIP LOCKED`, so
several relays share the work and never publish the same row in normal operation. There is no
"highest position seen" cursor: positions commit out of order, and a cursor would skip the late
ones. Each message is published persistent, with `mandatory` and a publisher confirm; a
`basic.return` (unroutable), a nack or a confirm timeout leaves the row unpublished for the
next pass. A crash between publish and mark republishes the row: consumers drop the duplicate
by `message_id` = `event_id`.

The relay wakes on PostgreSQL NOTIFY (sent after every commit that appended events, see
`notify_committed`) and sweeps every EVENTS_RELAY_SWEEP_SECONDS anyway, so a lost notification
or a crash costs at most one sweep interval.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from typing import Any

import psycopg
from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone
from kombu import Connection, Producer

from socialapp.events import metrics
from socialapp.events.models import Event
from socialapp.events.topology import EVENTS_EXCHANGE, broker_connection, declare, subscribed_event_types

log = logging.getLogger(__name__)

# Fault injection for tests/events: after publishing a batch and before marking it, create
# this file and hang, so that the test can kill -9 the relay exactly "between publish and mark".
HOLD_BEFORE_MARK_ENV = "SOCIALAPP_RELAY_HOLD_BEFORE_MARK"


class PublishFailed(Exception):
    pass


def notify_committed() -> None:
    """on_events_committed listener: wake the relays (NOTIFY is cheap and coalesced per commit)."""
    if not settings.EVENTS_RELAY_NOTIFY:
        return
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, '')", [settings.EVENTS_NOTIFY_CHANNEL])
    except Exception:  # the command has committed: a lost wake-up only costs one sweep interval
        log.warning("could not notify the relay", exc_info=True)


class Relay:
    def __init__(self, *, batch_size: int | None = None) -> None:
        self.batch_size = batch_size or settings.EVENTS_RELAY_BATCH
        self._connection: Connection | None = None
        self._producer: Producer | None = None
        self._returned: set[str] = set()
        self._subscribed: set[str] = set()

    # ------------------------------------------------------------------ broker
    def _on_return(self, exc: Exception, exchange: str, routing_key: str, message: Any) -> None:
        message_id = message.properties.get("message_id")
        log.warning("broker returned %s (%s): unroutable, left unpublished", message_id, routing_key)
        self._returned.add(str(message_id))

    def _ensure_producer(self) -> Producer:
        if self._producer is None:
            connection = broker_connection()
            connection.ensure_connection(max_retries=1)
            declare(connection)
            self._subscribed = subscribed_event_types()
            self._connection = connection
            self._producer = Producer(connection.channel(), on_return=self._on_return)
        return self._producer

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.release()
            except Exception:
                log.debug("error closing the broker connection", exc_info=True)
        self._connection = None
        self._producer = None

    def _publish(self, producer: Producer, event: Event) -> None:
        message_id = str(event.event_id)
        producer.publish(
            event.as_message(),
            exchange=EVENTS_EXCHANGE,
            routing_key=event.event_type,
            serializer="json",
            delivery_mode=2,  # persistent
            mandatory=True,
            message_id=message_id,
            type=event.event_type,
            retry=False,
            confirm_timeout=10,
        )
        # A basic.return arrives before the confirm of the same message on the same channel.
        if message_id in self._returned:
            self._returned.discard(message_id)
            raise PublishFailed(f"event {message_id} ({event.event_type}) is unroutable")

    # ------------------------------------------------------------------ work
    def publish_batch(self) -> int:
        """Publish one batch of unpublished rows; returns how many were marked published."""
        producer = self._ensure_producer()
        error: Exception | None = None
        with transaction.atomic(using="default"):
            rows = list(
                Event.objects.using("default")
                .select_for_update(skip_locked=True)
                .filter(published_at__isnull=True)
                .order_by("position")[: self.batch_size]
            )
            if not rows:
                return 0
            done: list[int] = []
            for event in rows:
                if event.event_type not in self._subscribed:
                    done.append(event.position)  # no projector subscribes: nothing to deliver
                    continue
                try:
                    self._publish(producer, event)
                except PublishFailed as exc:
                    log.warning("%s", exc)
                    metrics.RELAY_FAILED.inc()
                    continue
                except Exception as exc:  # broker gone: mark what was confirmed, then reconnect
                    error = exc
                    break
                done.append(event.position)
            self._maybe_hold_before_mark(done)
            if done:
                Event.objects.using("default").filter(position__in=done).update(published_at=timezone.now())
        metrics.EVENTS_PUBLISHED.inc(len(done))
        if error is not None:
            self.close()
            raise error
        return len(done)

    def publish_pending(self) -> int:
        total = 0
        while True:
            count = self.publish_batch()
            total += count
            if count < self.batch_size:
                return total

    def _maybe_hold_before_mark(self, done: list[int]) -> None:
        path = os.environ.get(HOLD_BEFORE_MARK_ENV)
        if path and done and not os.path.exists(path):
            with open(path, "w") as fh:
                fh.write(",".join(map(str, done)))
            log.warning("holding before marking %d published rows (fault injection)", len(done))
            while True:
                time.sleep(1)

    # ------------------------------------------------------------------ process
    def run(self, stop: threading.Event | None = None) -> None:
        """Publish on every NOTIFY and every sweep until `stop` is set; survive broker and DB outages."""
        stop = stop or threading.Event()
        listener: psycopg.Connection | None = None
        failures = 0
        while not stop.is_set():
            try:
                if listener is None or listener.closed:
                    listener = self._listen()
                self.publish_pending()
                failures = 0
                # Wait for a commit's NOTIFY, or sweep after the interval anyway.
                for _ in listener.notifies(timeout=settings.EVENTS_RELAY_SWEEP_SECONDS, stop_after=1):
                    pass
            except Exception as exc:
                failures += 1
                delay = min(10.0, 0.1 * 2**failures) * random.uniform(0.5, 1.0)
                log.warning("relay pass failed (%s: %s); retrying in %.1fs", type(exc).__name__, exc, delay)
                self.close()
                for conn in connections.all():
                    conn.close()
                if listener is not None:
                    listener.close()
                    listener = None
                stop.wait(delay)
        self.close()
        if listener is not None:
            listener.close()

    def _listen(self) -> psycopg.Connection:
        s = connections["default"].settings_dict
        conn = psycopg.connect(
            host=s["HOST"] or None,
            port=s["PORT"] or None,
            dbname=s["NAME"],
            user=s["USER"],
            password=s["PASSWORD"],
            autocommit=True,
            connect_timeout=5,
        )
        conn.execute(f"LISTEN {settings.EVENTS_NOTIFY_CHANNEL}")
        return conn
