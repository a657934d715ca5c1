"""The outbox relay: publishes the event log to RabbitMQ, marking each row only after its confirm.

Work list = the narrow `event_outbox` table (one row per unpublished event, filled by a trigger on
`event_log`), taken in batches with `FOR UPDATE SKIP LOCKED`, so several relays share the work
and never publish the same row in normal operation. There is no "highest position seen" cursor:
positions commit out of order, and a cursor would skip the late ones. A row leaves the work list
(one DELETE per batch) in the transaction that locked it, after the broker confirmed it.

The message body is built by PostgreSQL (JSON text concatenated in SQL) and published as bytes:
no model instance, no decode and re-encode of the payload in Python. EVERY event is published,
whether or not a projector of this process handles its type: the events exchange has an
alternate exchange, so what no projector queue is bound for lands in `events.unrouted` instead of
being dropped (socialapp.events.topology). Each message is published persistent, with `mandatory`
and a publisher confirm. The queues of the local projectors that handle a batch's types are
checked (passive declare) when not checked for EVENTS_RELAY_QUEUE_CHECK_SECONDS; one that
disappeared makes the relay re-declare the topology before publishing. A `basic.return` (even the
alternate exchange could not route it) also re-declares and publishes the returned rows once
more. A row the broker still returns or nacks is put on its own exponential backoff
(`event_publish_failure`, an error line and `socialapp_relay_rows_backed_off_total`) and skipped
until it is due, so it can never stall the rows behind it; a confirm timeout or a lost connection
leaves the rows unpublished for the next pass. Confirms are pipelined: a batch is published in one
go and its confirms are then awaited together (tracked by delivery tag), so a batch costs one
round trip, not one per event. A crash between publish and mark republishes the row: consumers
drop the duplicate by `message_id` = `event_id`.

The relay wakes on PostgreSQL NOTIFY (sent after every commit that appended events, see
`notify_committed`) and sweeps every EVENTS_RELAY_SWEEP_SECONDS anyway, so a lost notification
or a crash costs at most one sweep interval.
"""

from __future__ import annotations

import gc
import logging
import random
import threading
import time
from typing import Any, NamedTuple

import psycopg
from django.conf import settings
from django.db import connections, transaction
from kombu import Connection

from socialapp.common import prepared
from socialapp.events import faults, metrics
from socialapp.events.confirms import open_confirm_channel, release_quietly, wait_for_confirms
from socialapp.events.topology import EVENTS_EXCHANGE, declare, queue_name, subscribers
from socialapp.events.wire import PublishFrames

log = logging.getLogger(__name__)


def notify_committed() -> None:
    """on_events_committed listener: wake the relays (NOTIFY is cheap and coalesced per commit)."""
    if not settings.EVENTS_RELAY_NOTIFY:
        return
    try:
        with prepared.cursor() as cursor:  # prepared once per connection (WRITE_DATABASE_PREPARED)
            cursor.execute("SELECT pg_notify(%s, '')", [settings.EVENTS_NOTIFY_CHANNEL])
    except Exception as exc:  # the command has committed: a lost wake-up only costs one sweep interval
        log.warning("could not notify the relay (%s: %s)", type(exc).__name__, exc)


#: `occurred_at` exactly as Python's `datetime.isoformat()` writes an aware UTC datetime (what
#: `Event.as_message()` and the log's readers give projectors): microseconds only when non-zero.
_OCCURRED_AT = (
    "to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS')"
    " || CASE WHEN mod(date_part('microseconds', e.occurred_at)::int, 1000000) = 0 THEN ''"
    " ELSE to_char(e.occurred_at AT TIME ZONE 'UTC', '.US') END || '+00:00'"
)

#: One batch of the work list, each row with its message body built by PostgreSQL (the keys of
#: `Event.as_message()`; `payload` is the stored jsonb, never decoded in Python). Concatenated
#: text rather than `json_build_object(...)`: that function looks up how to encode each of its ten
#: arguments on every row, which made it ~20 us of the server's CPU per event, most of the take
#: (bench.pipeline, EXPLAIN ANALYZE); the concatenation costs about half. Strings that are not
#: safe as they are (types, aggregate id) go through `to_json`; ids, numbers and the formatted
#: timestamp need no escaping; `payload::text` is the jsonb's own JSON. The work-list rows are
#: taken (and locked) first, then each one's log row is looked up by primary key (`LATERAL ...
#: OFFSET 0` cannot be turned into a merge join): with statistics that do not know the log has
#: grown (a fresh or truncated log, a bulk append), the planner used to merge-join from the start
#: of `event_log`, walking every published row on every batch (35,000 rows: 230 ms instead of 40).
TAKE_BATCH = (
    "SELECT o.position, e.event_id::text, e.event_type, concat("
    '\'{"event_id":"\', e.event_id, \'","position":\', e.position,'
    " ',\"event_type\":', to_json(e.event_type::text), ',\"aggregate_type\":', to_json(e.aggregate_type::text),"
    " ',\"aggregate_id\":', to_json(e.aggregate_id::text), ',\"aggregate_version\":', e.aggregate_version,"
    " ',\"actor_id\":', coalesce(e.actor_id::text, 'null'),"
    f' \',"occurred_at":"\', {_OCCURRED_AT}, \'","schema_version":\', e.schema_version,'
    " ',\"payload\":', e.payload::text, '}')"
    " FROM (SELECT o.position FROM event_outbox o"
    "  WHERE NOT EXISTS (SELECT 1 FROM event_publish_failure f"
    "   WHERE f.position = o.position AND f.next_attempt_at > now())"
    "  ORDER BY o.position LIMIT %s FOR UPDATE OF o SKIP LOCKED) AS o"
    " CROSS JOIN LATERAL (SELECT * FROM event_log e WHERE e.position = o.position OFFSET 0) AS e"
    " ORDER BY o.position"
)

#: Marking published = leaving the work list (and forgetting any earlier refusal), one statement.
MARK_PUBLISHED = (
    "WITH done AS (DELETE FROM event_outbox WHERE position = ANY(%s))"
    " DELETE FROM event_publish_failure WHERE position = ANY(%s)"
)


class Row(NamedTuple):
    """One unpublished event as the relay needs it: no model instance."""

    position: int
    event_id: str
    event_type: str
    body: str  # the message, JSON text


class Relay:
    def __init__(self, *, batch_size: int | None = None) -> None:
        self.batch_size = batch_size or settings.EVENTS_RELAY_BATCH
        self._connection: Connection | None = None
        self._channel: Any = None
        self._check_channel: Any = None  # passive queue checks (a 404 closes the channel)
        self._checked: dict[str, float] = {}  # queue -> when its passive declare last succeeded
        self._rows_taken = 0  # rows the last batch took (published, refused or backed off)
        self._sent = 0  # delivery tags: the broker numbers confirms 1, 2, ... per channel
        self._settled_upto = 0  # every tag <= this one is settled (a `multiple` confirm)
        self._outstanding: set[int] = set()  # published, neither acked nor nacked yet
        self._acked: set[int] = set()
        self._nacked: set[int] = set()
        self._returned: set[str] = set()
        self._frames: PublishFrames | None = None

    # ------------------------------------------------------------------ broker
    def _on_return(self, exc: Exception, exchange: str, routing_key: str, message: Any) -> None:
        message_id = message.properties.get("message_id")
        log.warning("broker returned %s (%s): unroutable", message_id, routing_key)
        self._returned.add(str(message_id))

    def _on_confirm(self, into: set[int]) -> Any:
        def confirm(delivery_tag: int, multiple: bool) -> None:
            outstanding = self._outstanding
            if multiple:  # every tag up to this one: walk only the tags not walked before
                for tag in range(self._settled_upto + 1, delivery_tag + 1):
                    if tag in outstanding:
                        outstanding.discard(tag)
                        into.add(tag)
                self._settled_upto = max(self._settled_upto, delivery_tag)
            elif delivery_tag in outstanding:
                outstanding.discard(delivery_tag)
                into.add(delivery_tag)

        return confirm

    def _ensure_channel(self) -> Any:
        if self._channel is None:
            connection, channel = open_confirm_channel(
                on_ack=self._on_confirm(self._acked),
                on_nack=self._on_confirm(self._nacked),
                on_return=self._on_return,
                heartbeat=settings.EVENTS_BROKER_HEARTBEAT,
                prepare=declare,
            )
            self._connection, self._channel = connection, channel
            self._sent = self._settled_upto = 0
            self._outstanding.clear()
            self._acked.clear()
            self._nacked.clear()
            self._returned.clear()
        return self._channel

    def close(self) -> None:
        if self._connection is not None:
            release_quietly(self._connection, "the relay's broker connection")
        self._connection = None
        self._channel = None
        self._frames = None
        self._check_channel = None
        self._checked.clear()

    def _redeclare(self, why: str) -> None:
        log.warning("relay: %s; re-declaring the topology", why)
        metrics.RELAY_REDECLARED.inc()
        self._checked.clear()
        declare(self._connection)  # type: ignore[arg-type]

    def _missing_queues(self, rows: list[Row]) -> list[str]:
        """The queues of local projectors handling these rows' types that no longer exist.

        A queue whose passive declare succeeded less than EVENTS_RELAY_QUEUE_CHECK_SECONDS ago is
        not asked again: one round trip per subscriber per interval, not per batch."""
        from amqp.exceptions import NotFound

        now = time.monotonic()
        fresh_after = now - settings.EVENTS_RELAY_QUEUE_CHECK_SECONDS
        missing = []
        for projector in subscribers({row.event_type for row in rows}):
            name = queue_name(projector.name)
            if self._checked.get(name, -1.0) > fresh_after:
                continue
            if self._check_channel is None:
                self._check_channel = self._connection.channel()  # type: ignore[union-attr]
            try:
                self._check_channel.queue_declare(name, passive=True)
                self._checked[name] = now
            except NotFound:
                self._check_channel = None  # the broker closed the channel
                missing.append(name)
        return missing

    def _publish_all(self, channel: Any, rows: list[Row]) -> tuple[list[int], list[tuple[Row, str]], Exception | None]:
        """Publish the rows, then wait for their confirms; returns the positions confirmed (and
        not returned), the rows refused ("returned" or "nacked") and the error that stopped the
        batch, if any."""
        tags: list[tuple[int, Row]] = []
        error: Exception | None = None
        try:
            if self._frames is None or self._frames.channel is not channel:
                self._frames = PublishFrames(channel)
            exchange = EVENTS_EXCHANGE.name
            frames = self._frames.build(
                (exchange, r.event_type, r.body.encode(), r.event_id, r.event_type) for r in rows
            )
            for row in rows:  # the broker numbers confirms 1, 2, ... per channel, in publish order
                self._sent += 1
                self._outstanding.add(self._sent)
                tags.append((self._sent, row))
            self._frames.write(frames, len(rows))
            wait_for_confirms(self._connection, self._outstanding)  # type: ignore[arg-type]
        except Exception as exc:  # broker gone or silent: keep what was confirmed, then reconnect
            error = exc
        done: list[int] = []
        refused: list[tuple[Row, str]] = []
        acked, nacked, returned = self._acked, self._nacked, self._returned
        for tag, row in tags:
            if returned and row.event_id in returned:
                returned.discard(row.event_id)
                metrics.RELAY_FAILED.inc()
                refused.append((row, "returned"))
            elif tag in nacked:
                log.warning("event %s (%s) was nacked by the broker", row.event_id, row.event_type)
                metrics.RELAY_FAILED.inc()
                refused.append((row, "nacked"))
            elif tag in acked:
                done.append(row.position)
        acked.clear()
        nacked.clear()
        return done, refused, error

    # ------------------------------------------------------------------ work
    def publish_batch(self) -> int:
        """Publish one batch of unpublished rows that are not backing off; returns how many were
        marked published."""
        channel = self._ensure_channel()
        with transaction.atomic(using="default"), connections["default"].cursor() as cursor:
            cursor.execute(TAKE_BATCH, [self.batch_size])
            rows = [Row(*record) for record in cursor.fetchall()]
            self._rows_taken = len(rows)
            if not rows:
                return 0
            missing = self._missing_queues(rows)
            if missing:
                self._redeclare(f"queues {', '.join(missing)} disappeared")
            done, refused, error = self._publish_all(channel, rows)
            returned = [row for row, why in refused if why == "returned"]
            if returned and error is None:  # a queue or binding may have gone: declare, then retry once
                self._redeclare(f"the broker returned {len(returned)} messages")
                refused = [(row, why) for row, why in refused if why != "returned"]
                more, refused_again, error = self._publish_all(channel, returned)
                done += more
                refused += refused_again
            if done:
                faults.fault_point(faults.RELAY_HOLD_BEFORE_MARK, ",".join(map(str, done)))
                cursor.execute(MARK_PUBLISHED, [done, done])
            if refused:
                self._back_off(refused)
        metrics.EVENTS_PUBLISHED.inc(len(done))
        if error is not None:
            self.close()
            raise error
        return len(done)

    def _back_off(self, refused: list[tuple[Row, str]]) -> None:
        """Each refused row waits RETRY_BASE * 2^(attempts-1) seconds (capped) before its next try,
        while the rows behind it flow; an error line and a metric alert the operator."""
        base, cap = settings.EVENTS_RELAY_RETRY_BASE_SECONDS, settings.EVENTS_RELAY_RETRY_MAX_SECONDS
        with connections["default"].cursor() as cursor:
            for row, why in refused:
                cursor.execute(
                    "INSERT INTO event_publish_failure AS f (position, attempts, first_failed_at, next_attempt_at,"
                    " last_error) VALUES (%s, 1, now(), now() + least(%s, %s) * interval '1 second', %s)"
                    " ON CONFLICT (position) DO UPDATE SET attempts = f.attempts + 1, last_error = EXCLUDED.last_error,"
                    " next_attempt_at = now() + least(%s, %s * power(2, f.attempts)) * interval '1 second'"
                    " RETURNING attempts, extract(epoch FROM next_attempt_at - now())",
                    [row.position, cap, base, why, cap, base],
                )
                attempts, delay = cursor.fetchone()
                log.error(
                    "relay: event %s (#%s, %s) %s by the broker, attempt %d; next try in %.0fs",
                    row.event_id, row.position, row.event_type, why, attempts, float(delay),
                )  # fmt: skip
                metrics.RELAY_BACKED_OFF.inc()

    def publish_pending(self) -> int:
        total = 0
        while True:
            total += self.publish_batch()
            if self._rows_taken < self.batch_size:
                return total

    # ------------------------------------------------------------------ process
    def run(self, stop: threading.Event | None = None) -> None:
        """Publish on every NOTIFY and every sweep until `stop` is set; survive broker and DB outages."""
        stop = stop or threading.Event()
        gc.freeze()  # what start-up built lives as long as the process: no collection walks it again
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
                if settings.EVENTS_RELAY_COLLECT_MS:
                    stop.wait(settings.EVENTS_RELAY_COLLECT_MS / 1000)
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
