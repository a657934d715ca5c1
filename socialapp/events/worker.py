"""Projector workers: a Celery consumer step that consumes plain event messages.

Why not Celery tasks: the relay publishes each event once to a topic exchange, which copies it
into every projector queue bound to its type. A Celery task message names one task, so every
projector would receive the same task name; the alternative (the relay publishing one task per
subscribed projector) would couple the relay to the subscriptions and multiply publishes.
Instead, `celery -A socialapp worker -P solo -Q projector.<name>` runs a normal Celery worker
(its process management, signals, logging, remote control, shutdown) whose consumer blueprint
gets `ProjectorConsumerStep`: the projector queues named with -Q are taken away from Celery's
task consumer and consumed here, with manual acks after the effect committed.

Batches: every projector gets its messages in batches (EVENTS_BATCH_SIZE, or the projector's
own `batch_size`): the handler collects deliveries and applies them with one `apply_batch` (one
transaction, one advisory lock, one tracking insert, one connection health check, one bulk push)
when the batch is full, when the broker's socket has nothing more to read (adaptive: a lone
event waits for nothing, under load batches fill up), or from a timer on the worker's event loop
after EVENTS_BATCH_WAIT_MS. Acks still follow the effect: a batch is acked only after the transaction that applied it
committed (and its `after_commit` push succeeded), with one `basic.ack multiple=True` when the
projector has the channel to itself, so a worker killed mid-batch loses nothing. Bodies are
decoded with orjson from the raw message (kombu's decoder is bypassed).

What happens to a message:
- applied (or a duplicate, skipped): ack;
- undecodable: reject without requeue -> dead-letter queue at once;
- permanent (`PermanentError`, a database error whose SQLSTATE no retry fixes, a document the
  search engine refused): published (confirmed) to the dead letters with the reason in the
  headers `x-socialapp-reason` / `x-socialapp-error`, then acked;
- transient (database or Elasticsearch unreachable, `TransientError`, deadlock...; see
  `socialapp.events.projector.classify_error`): retried in place with exponential backoff and
  full jitter; if still failing, republished (confirmed) to the tail of its own queue and acked,
  so an outage never counts towards the delivery limit. Each such trip is counted in the header
  `x-transient-retries`; after EVENTS_TRANSIENT_RETRIES trips the message is dead-lettered
  (reason `transient_retries`), so an event that fails "transiently" forever cannot cycle forever;
- any other exception (a bug): requeued; the quorum queue's x-delivery-limit dead-letters it
  after EVENTS_DELIVERY_LIMIT redeliveries. A worker killed mid-batch returns its unacked
  messages the same way, and the tracking table absorbs those it had already applied.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import random
import select
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
from celery import bootsteps
from celery.signals import celeryd_after_setup
from kombu import Consumer
from kombu.exceptions import MessageStateError

from socialapp.events.wire import BulkFrameReader

log = logging.getLogger(__name__)

_selected: list[str] = []


@celeryd_after_setup.connect
def _take_projector_queues(sender: str, instance: Any, conf: Any, **kwargs: Any) -> None:
    """Move `projector.*` queues from Celery's task consumer to the projector consumer step."""
    from socialapp.events.topology import projector_for_queue

    queues = instance.app.amqp.queues
    names = [name for name in list(queues.consume_from) if projector_for_queue(name)]
    _selected[:] = [projector_for_queue(name) for name in names]
    if names:
        queues.deselect(names)
        for name in names:
            queues.pop(name, None)  # never declared by Celery with classic-queue arguments


def backoff(attempt: int) -> float:
    """Exponential backoff with full jitter (AWS architecture blog): spreads retrying workers."""
    from django.conf import settings

    return random.uniform(0, min(settings.EVENTS_RETRY_MAX_SECONDS, settings.EVENTS_RETRY_BASE_SECONDS * 2**attempt))


class ProjectorConsumerStep(bootsteps.ConsumerStep):
    """Consumes the selected projector queues on the worker's broker connection."""

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.handlers: list[MessageHandler] = []
        self.batching = False
        self._timer_entry: Any = None
        self._tick: Any = None  # the hub's on_tick callback (adaptive batches)
        self._hub: Any = None
        self._timer: Any = None  # the worker's timer (one-shot waits of collecting batches)

    def start(self, c: Any) -> None:
        from django.conf import settings

        self._timer = getattr(c, "timer", None)
        # Batches need the event loop's timer, which runs in the thread that delivers messages
        # (the hub; `-P solo` on py-amqp has one). Without it every projector takes one at a time.
        self.batching = getattr(c, "hub", None) is not None
        super().start(c)
        # Everything imported and built so far (Django, Celery, the projectors) lives as long as the
        # process: out of the collector's generations, a collection no longer walks it again and
        # again while deliveries allocate (it showed as ~10 % of the worker's CPU under load).
        gc.freeze()
        batching = any(handler.batch_size > 1 for handler in self.handlers)
        watched = self.batching and self._watch_socket(c, batching)
        if batching:
            # The bound on a partial batch's wait where the socket is not watched; where it is,
            # `on_tick` applies a partial batch as soon as the socket is empty, and the timer is
            # only a safety net: 50 wake-ups a second of an idle worker were wasted CPU. A projector
            # that lets partial batches collect (`batch_wait_ms`) or pushes overlapped needs the timer
            # on that scale, since an idle hub wakes for nothing else.
            wait = settings.EVENTS_BATCH_WAIT_MS / 1000
            interval = max(wait, 1.0) if watched else wait
            for handler in self.handlers:
                # A collecting batch has its own one-shot timer (`_collect_timer`); pushes in
                # flight are settled on the next turn, which only this timer guarantees.
                if handler.overlapped is not None or (handler.min_wait and not watched):
                    interval = min(interval, max(handler.min_wait, wait))
            self._timer_entry = c.timer.call_repeatedly(interval, self._drain_all)

    def _watch_socket(self, c: Any, batching: bool) -> bool:
        """On every turn of the event loop: process the frames the bulk reader already holds
        (`wire.BulkFrameReader`); then (adaptive batches) if the broker's socket holds nothing
        more to read, apply the partial batches now rather than at the timer. Under load the
        socket always has more (batches fill up); a lone event is applied at once. The timer
        stays as the bound (EVENTS_BATCH_WAIT_MS)."""
        try:
            connection = c.connection.connection  # py-amqp's connection under kombu's
            fileno = connection.sock.fileno()
        except Exception:
            return False  # another transport: the timer alone decides
        poller = select.poll()
        poller.register(fileno, select.POLLIN)
        reader = connection.transport.__dict__.get("read_frame")
        buffered = reader.has_frame if isinstance(reader, BulkFrameReader) else lambda: False

        def on_tick() -> None:
            # Frames read in bulk but not yet processed: the socket does not look readable, and
            # the hub would sleep in its poll until the next timer. Process them now.
            while buffered():
                try:
                    connection.drain_events(timeout=0)
                except TimeoutError:
                    break
            if batching and any(handler.ready() for handler in self.handlers) and not poller.poll(0) and not buffered():
                self._drain_all()

        self._tick = on_tick
        c.hub.on_tick.add(on_tick)
        self._hub = c.hub
        return True

    def stop(self, c: Any) -> None:
        self._finish()
        super().stop(c)

    def shutdown(self, c: Any) -> None:
        self._finish()
        super().shutdown(c)

    def _finish(self) -> None:
        """Stop the timer and apply what is pending while the channel may still ack it (if it
        cannot, the broker redelivers those messages and the tracking table skips them)."""
        if self._timer_entry is not None:
            self._timer_entry.cancel()
            self._timer_entry = None
        if self._tick is not None:
            self._hub.on_tick.discard(self._tick)
            self._tick = None
        self._drain_all(final=True)
        self.handlers = []

    def _drain_all(self, *, final: bool = False) -> None:
        for handler in self.handlers:
            if final or handler.ready():
                _drain_logged(handler, final=final)

    def get_consumers(self, channel: Any) -> list[Any]:
        from django.conf import settings

        from socialapp.events.projector import REGISTRY
        from socialapp.events.topology import declare_on, projector_queue

        self.handlers = []
        if not _selected:
            return []
        unknown = [name for name in _selected if name not in REGISTRY]
        if unknown:
            raise RuntimeError(f"no registered projector named {unknown} (registered: {sorted(REGISTRY)})")
        projectors = [REGISTRY[name] for name in _selected]
        declare_on(channel, projectors)
        BulkFrameReader.install(channel.connection)  # each (re)connection has a new transport
        self._start_metrics_server()
        consumers = []
        for projector in projectors:
            batch_size = batch_size_of(projector) if self.batching else 1
            # `multiple` acks settle every earlier delivery of the channel: only safe when no
            # other projector's deliveries share it.
            handler = MessageHandler(projector, channel, batch_size=batch_size, multiple_acks=len(projectors) == 1)
            if handler.min_wait and self._timer is not None:
                handler.on_first = self._collect_timer(handler)
            self.handlers.append(handler)
            # Room for the batch being collected, the one applying and (overlapped pushes) the one pushing.
            depth = 3 if handler.overlapped else 2
            prefetch = (
                settings.EVENTS_PREFETCH if batch_size == 1 else max(settings.EVENTS_PREFETCH, depth * batch_size)
            )
            consumers.append(
                DeliveryConsumer(
                    channel,
                    queues=[projector_queue(projector)],
                    on_message=handler,  # raw deliveries: decoded by the handler (orjson)
                    accept=["json"],
                    prefetch_count=prefetch,
                    auto_declare=False,
                )
            )
            log.info("projector %s consuming %s (batches of %d)", projector.name, projector.event_types(), batch_size)
        return consumers

    def _collect_timer(self, handler: MessageHandler) -> Any:
        """What a collecting handler calls when a batch's first message arrives: apply the batch
        once it waited `min_wait`, unless it filled up or the idle socket applied it first. One
        timer entry per batch, not a repeating timer: an idle worker does not wake for nothing."""

        def due() -> None:
            if handler.pending and handler.ready():
                _drain_logged(handler)

        # A hair later than the wait, so that `ready()` holds when the timer fires.
        return lambda: self._timer.call_after(handler.min_wait + 0.001, due)

    _metrics_started = False

    def _start_metrics_server(self) -> None:
        from django.conf import settings
        from prometheus_client import start_http_server

        port = settings.PROJECTOR_METRICS_PORT
        if port and not ProjectorConsumerStep._metrics_started:
            start_http_server(port, addr="127.0.0.1")
            ProjectorConsumerStep._metrics_started = True


class Delivery:
    """One delivery as the handler needs it: body, properties, tag, and settling on its channel.

    kombu's `Message` does the same with more work per message (content-type and decoder set-up,
    copies of the properties); the handler decodes the body itself (orjson), so that work was
    wasted. Settling twice raises, as kombu's does."""

    __slots__ = ("body", "channel", "delivery_info", "delivery_tag", "properties", "state")

    def __init__(self, raw: Any) -> None:
        self.channel = raw.channel
        self.body = raw.body
        self.properties = raw.properties
        self.delivery_info = raw.delivery_info
        self.delivery_tag = raw.delivery_tag
        self.state: str | None = None

    @property
    def headers(self) -> dict[str, Any]:
        return self.properties.get("application_headers") or {}

    @property
    def acknowledged(self) -> bool:
        return self.state is not None

    def _settle(self, state: str) -> None:
        if self.state is not None:
            raise MessageStateError(f"delivery {self.delivery_tag} already settled ({self.state})")
        self.state = state

    def ack(self, multiple: bool = False) -> None:
        self._settle("ACK")
        self.channel.basic_ack(self.delivery_tag, multiple=multiple)

    def reject(self, requeue: bool = False) -> None:
        self._settle("REQUEUED" if requeue else "REJECTED")
        self.channel.basic_reject(self.delivery_tag, requeue=requeue)

    def requeue(self) -> None:
        self.reject(requeue=True)


class DeliveryConsumer(Consumer):
    """A kombu consumer that hands `on_message` a `Delivery` (py-amqp's message, no kombu
    `Message`, no decoding): Celery still starts, cancels and restarts it like any consumer."""

    def _receive_callback(self, message: Any) -> None:
        self.on_message(Delivery(message))  # type: ignore[misc]


def batch_size_of(projector: Any) -> int:
    """The projector's own `batch_size`, or EVENTS_BATCH_SIZE when it sets none (0)."""
    from django.conf import settings

    return max(1, projector.batch_size or settings.EVENTS_BATCH_SIZE)


class MessageHandler:
    """The `on_message` of one projector's consumer: decodes, applies (alone or in batches), acks."""

    def __init__(self, projector: Any, channel: Any, *, batch_size: int = 1, multiple_acks: bool = False) -> None:
        self.projector = projector
        self.channel = channel
        self.batch_size = batch_size
        self.multiple_acks = multiple_acks
        self.pending: list[tuple[Any, Any, Any]] = []  # (event, body, message), not yet applied
        self._checked_at = -1e9  # when the database connections were last checked (monotonic)
        self.first_at = 0.0  # when the oldest pending message arrived
        # A projector may let partial batches collect (`batch_wait_ms`) and push to an external
        # store while its next batch applies (`apply_batch_overlapped`, search): then a batch's
        # messages are settled once its push returned, in order (`inflight`).
        self.min_wait = projector.batch_wait_ms / 1000 if batch_size > 1 else 0.0
        self.overlapped = getattr(projector, "apply_batch_overlapped", None) if batch_size > 1 else None
        self.inflight: list[tuple[list[tuple[Any, Any, Any]], list[Any], Any, float]] = []
        self.on_first: Callable[[], Any] | None = None  # schedules the collecting wait (the worker's timer)

    def __call__(self, message: Any) -> None:
        from socialapp.events import metrics
        from socialapp.events.projector import EventMessage

        try:
            body = orjson.loads(message.body)
            event = EventMessage.from_dict(body)
        except Exception as exc:
            log.error("%s: malformed event message, dead-lettered: %r", self.projector.name, exc)
            metrics.FAILED.labels(self.projector.name, "permanent").inc()
            message.reject(requeue=False)
            return
        first = not self.pending
        if first:
            self.first_at = time.monotonic()
        self.pending.append((event, body, message))
        if first and self.on_first is not None:
            self.on_first()
        if len(self.pending) >= self.batch_size:
            self.drain()

    def ready(self) -> bool:
        """Worth a drain on an idle turn: a partial batch that waited `min_wait`, or a push that
        returned (never wait for one here: the timer also fires between two full batches)."""
        if self.pending:
            return time.monotonic() - self.first_at >= self.min_wait
        return bool(self.inflight) and self.inflight[0][2].done()

    def drain(self, *, final: bool = False) -> None:
        """Apply whatever is pending (the timer calls this for partial batches), and settle the
        batches whose pushes returned (`final`: wait for every push in flight)."""
        items, self.pending = self.pending, []
        try:
            if items:
                self._process(items)
            self._settle_inflight(wait=final)
        except BaseException:
            # Never leave a delivery unsettled: a later `multiple` ack would cover it unapplied.
            for batch in [items, *(entry[0] for entry in self.inflight)]:
                for _event, _body, message in batch:
                    if not message.acknowledged:
                        with contextlib.suppress(Exception):
                            message.requeue()
            self.inflight = []
            raise

    def _settle_inflight(self, *, wait: bool = True) -> None:
        """Settle the batches whose pushes returned, oldest first (`wait`: wait for every push in
        flight); a batch whose push failed is applied again on the synchronous path (duplicates
        for the state, then the push with its retries, backoff and dead letters)."""
        while self.inflight and (wait or self.inflight[0][2].done()):
            items, outcomes, push, elapsed = self.inflight.pop(0)
            try:
                refused = push.result()
            except Exception as exc:
                log.warning("%s: push of a batch of %d failed (%s: %s); applying it again", self.projector.name,
                            len(items), type(exc).__name__, _short(exc))  # fmt: skip
                self._process(items, overlap=False)
                continue
            for index, (event, _body, _message) in enumerate(items):
                if event.event_id in refused and not isinstance(outcomes[index], Exception):
                    outcomes[index] = refused[event.event_id]
            self._settle(items, outcomes, elapsed)

    def _process(self, items: list[tuple[Any, Any, Any]], *, overlap: bool = True) -> None:
        from django.conf import settings
        from django.db import close_old_connections

        from socialapp.events import metrics
        from socialapp.events.projector import is_transient

        name = self.projector.name
        events = [event for event, _body, _message in items]
        what = events[0].event_id if len(events) == 1 else f"a batch of {len(events)}"
        attempt = 0
        push = None
        while True:
            self._check_connections(close_old_connections)
            started = time.perf_counter()
            try:
                if overlap and self.overlapped is not None:
                    outcomes, push = self.overlapped(events)
                else:
                    outcomes = self.projector.apply_batch(events)
                break
            except Exception as exc:
                if not is_transient(exc):  # a bug outside any one event (after_commit, the batch plumbing)
                    log.error(
                        "%s: error applying %s; requeued (bounded by the delivery limit)", name, what, exc_info=exc
                    )
                    metrics.FAILED.labels(name, "error").inc()
                    for _event, _body, message in items:
                        message.requeue()
                    return
                metrics.FAILED.labels(name, "transient").inc()
                self._close_connections()
                self._checked_at = -1e9  # check again before the retry
                if attempt < settings.EVENTS_RETRY_ATTEMPTS:
                    delay = backoff(attempt)
                    attempt += 1
                    # One line per retry, no traceback: an outage is expected, not a bug.
                    log.warning(
                        "%s: transient error on %s (%s: %s); retry %d in %.2fs",
                        name, what, type(exc).__name__, _short(exc), attempt, delay,
                    )  # fmt: skip
                    time.sleep(delay)
                    continue
                log.warning("%s: %s still failing after %d retries; back to the tail of the queue", name, what, attempt)
                for _event, body, message in items:
                    self._requeue_at_tail(body, message, exc)
                return
        elapsed = time.perf_counter() - started
        if push is not None:
            self._settle_inflight()  # the earlier pushes ran while this batch applied
            self.inflight.append((items, outcomes, push, elapsed))
            return
        self._settle(items, outcomes, elapsed)

    def _settle(self, items: list[tuple[Any, Any, Any]], outcomes: list[Any], elapsed: float) -> None:
        """Ack what was applied or skipped, dead-letter or requeue what failed."""
        from socialapp.events import metrics

        name = self.projector.name
        done: list[Any] = []  # acked together, after every failed one was settled on its own
        applied: list[Any] = []
        for (event, body, message), outcome in zip(items, outcomes, strict=True):
            if isinstance(outcome, Exception):
                self._settle_failed(event, body, message, outcome)
                continue
            done.append(message)
            if outcome:
                applied.append(event)
            else:
                metrics.DUPLICATES.labels(name).inc()
                log.info("%s: skipped duplicate %s (#%s)", name, event.event_id, event.position)
        self._ack(done)
        self._observe(applied, elapsed / len(items))

    def _check_connections(self, close_old_connections: Any) -> None:
        """Django's per-request connection upkeep (close obsolete or broken connections; with
        CONN_HEALTH_CHECKS, a `SELECT 1` before the next use), at most once per
        EVENTS_CONNECTION_CHECK_SECONDS rather than before every batch: under a steady stream of
        small batches it was one more round trip per batch. A connection that breaks in between
        fails its batch as a transient error, which closes it and retries (`_process`)."""
        from django.conf import settings

        now = time.monotonic()
        if now - self._checked_at >= settings.EVENTS_CONNECTION_CHECK_SECONDS:
            close_old_connections()
            self._checked_at = now

    def _ack(self, messages: list[Any]) -> None:
        """Ack after the commit: one `basic.ack multiple=True` for the batch when this projector
        has the channel to itself (every earlier delivery of the channel is settled by then: the
        previous batches in full, this batch's failures just above), else one ack each."""
        if not messages:
            return
        if self.multiple_acks and len(messages) > 1:
            last = max(messages, key=lambda message: message.delivery_tag)
            last.ack(multiple=True)
            for message in messages:
                message.state = "ACK"  # settled by the `multiple` ack
            return
        for message in messages:
            message.ack()

    def _observe(self, applied: list[Any], elapsed: float) -> None:
        """Per-batch metrics: one counter increment, the latency samples of the applied events."""
        from socialapp.events import metrics

        if not applied:
            return
        name = self.projector.name
        metrics.APPLIED.labels(name).inc(len(applied))
        latency = metrics.LATENCY.labels(name)
        lag = metrics.COMMIT_TO_APPLIED.labels(name)
        now = datetime.now(UTC)
        for event in applied:
            latency.observe(elapsed)
            with contextlib.suppress(ValueError):
                lag.observe((now - datetime.fromisoformat(event.occurred_at)).total_seconds())

    def _settle_failed(self, event: Any, body: Any, message: Any, outcome: Exception) -> None:
        from socialapp.events import metrics
        from socialapp.events.projector import PERMANENT, classify_error

        name = self.projector.name
        if classify_error(outcome) == PERMANENT:
            log.error("%s: permanent error on %s, dead-lettered: %s", name, event.event_id, _short(outcome))
            metrics.FAILED.labels(name, "permanent").inc()
            self._dead_letter(body, message, "permanent", outcome)
        else:
            log.error(
                "%s: error applying %s; requeued (bounded by the delivery limit)",
                name,
                event.event_id,
                exc_info=outcome,
            )
            metrics.FAILED.labels(name, "error").inc()
            message.requeue()

    def _close_connections(self) -> None:
        from django.db import connections

        for conn in connections.all():
            try:
                conn.close()
            except Exception:
                log.debug("closing a broken connection", exc_info=True)

    def _requeue_at_tail(self, body: Any, message: Any, exc: BaseException) -> None:
        """Put the message back at the tail of its queue (confirmed) without using up a delivery;
        after EVENTS_TRANSIENT_RETRIES such trips, dead-letter it instead."""
        from django.conf import settings

        from socialapp.events import metrics
        from socialapp.events.topology import queue_name

        headers = dict(message.headers or {})
        retries = int(headers.get("x-transient-retries", 0)) + 1
        if retries > settings.EVENTS_TRANSIENT_RETRIES:
            log.error(
                "%s: %s failed transiently %d times through the queue; dead-lettered: %s",
                self.projector.name, message.properties.get("message_id"), retries - 1, _short(exc),
            )  # fmt: skip
            metrics.FAILED.labels(self.projector.name, "transient_retries").inc()
            self._dead_letter(body, message, "transient_retries", exc)
            return
        headers["x-transient-retries"] = retries
        if not self._publish(body, message, "", queue_name(self.projector.name), headers):
            message.requeue()
            return
        message.ack()

    def _dead_letter(self, body: Any, message: Any, reason: str, exc: BaseException) -> None:
        """Publish the message (confirmed) to this projector's dead letters with the reason in its
        headers, then ack it; if that publish fails, reject it (the queue dead-letters it, without
        the reason)."""
        from socialapp.events.topology import DEAD_EXCHANGE

        headers = dict(message.headers or {})
        headers["x-socialapp-reason"] = reason
        headers["x-socialapp-error"] = _describe_error(exc)
        if self._publish(body, message, DEAD_EXCHANGE.name, self.projector.name, headers):
            message.ack()
        else:
            message.reject(requeue=False)

    def _publish(self, body: Any, message: Any, exchange: str, routing_key: str, headers: dict[str, Any]) -> bool:
        from kombu import Producer

        try:
            Producer(self.channel).publish(
                body,
                exchange=exchange,
                routing_key=routing_key,
                serializer="json",
                delivery_mode=2,
                message_id=message.properties.get("message_id"),
                type=message.properties.get("type"),
                headers=headers,
                retry=False,
            )
        except Exception as exc:
            log.warning("%s: could not republish %s (%s)", self.projector.name, routing_key, _short(exc))
            return False
        return True


def _drain_logged(handler: MessageHandler, *, final: bool = False) -> None:
    """`handler.drain()` from the event loop's timer or tick: a failure is logged, never raised
    into Celery's hub (the handler already requeued what it could not settle)."""
    try:
        handler.drain(final=final)
    except Exception as exc:
        log.warning("%s: could not apply a pending batch (%s: %s)", handler.projector.name,
                    type(exc).__name__, _short(exc))  # fmt: skip


def _describe_error(exc: BaseException) -> str:
    """Class, SQLSTATE (for a database error) and text of an error, for a dead letter's headers."""
    from socialapp.events.sqlstate import sqlstate

    code = sqlstate(exc)
    return f"{type(exc).__name__}{f' [SQLSTATE {code}]' if code else ''}: {_short(exc, 1000)}"


def _short(exc: BaseException, limit: int = 300) -> str:
    """One line of an exception's text (log lines and headers stay small)."""
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def install(app: Any) -> None:
    app.steps["consumer"].add(ProjectorConsumerStep)
