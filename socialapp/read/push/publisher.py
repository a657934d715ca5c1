"""Sending push messages to the streams exchange, from the projectors' processes.

Best effort by design: a stream is a hint that something changed, the read model is the truth,
and a client that missed a push resumes from the read model (docs/streaming.md, "Resume"). So a
publish never waits for the broker's confirm and never raises into the projector: a failure is
logged, counted, and the connection is dropped to be reopened by the next publish. Messages are
transient (delivery mode 1): a push that outlived a broker restart would arrive too late to
matter.

One connection per process (and per thread: kombu channels are not thread-safe), opened lazily,
so a Celery prefork child opens its own after the fork.

Projectors call `publish_after_commit`: each message waits for its transaction's commit (Django's
`on_commit`) and goes out over this thread's connection; a transaction that rolls back (or a
savepoint of it that rolls back) publishes nothing of what it registered. Nothing is published while a projector replays
(rebuilds and checks: the live apply already pushed, and the rows are not the live ones).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connections
from kombu import Connection, Exchange, Producer
from prometheus_client import Counter

from socialapp.read.push import messages
from socialapp.read.push.messages import EXCHANGE, Kind, PushMessage, route_user

if TYPE_CHECKING:
    from socialapp.events.projector import EventMessage, Projector

log = logging.getLogger(__name__)

PUBLISHED = Counter("socialapp_push_published", "Push messages published to the streams exchange", ["kind"])
FAILED = Counter("socialapp_push_failed", "Push messages lost: the broker could not be reached")

STREAMS_EXCHANGE = Exchange(EXCHANGE, type="direct", durable=True, auto_delete=False)


class _Local(threading.local):
    pid: int = 0
    connection: Connection | None = None
    producer: Producer | None = None


_local = _Local()


def _producer() -> Producer:
    if _local.producer is None or _local.pid != os.getpid():
        connection = Connection(settings.CELERY_BROKER_URL, connect_timeout=2, heartbeat=0)
        connection.ensure_connection(max_retries=1)
        channel = connection.channel()
        STREAMS_EXCHANGE.declare(channel=channel)
        _local.connection, _local.producer, _local.pid = (
            connection,
            Producer(channel, exchange=STREAMS_EXCHANGE),
            os.getpid(),
        )
    return _local.producer


def close() -> None:
    """Drop this thread's connection (tests; a worker shutting down)."""
    connection, _local.connection, _local.producer = _local.connection, None, None
    if connection is not None:
        try:
            connection.release()
        except Exception:
            log.debug("error closing the push connection", exc_info=True)


def _parts(message: PushMessage, routes: Sequence[str]) -> list[tuple[PushMessage, list[str]]]:
    """Split a message whose routes exceed MAX_CC keys: each part carries its own keys and, of the
    recipients, those its `user.*` keys name (a server fans a copy out to `recipients` only)."""
    routes = list(dict.fromkeys(routes))
    limit = messages.MAX_CC + 1  # read at call time: tests lower it
    if len(routes) <= limit:
        return [(message, routes)]
    parts = []
    for start in range(0, len(routes), limit):
        chunk = routes[start : start + limit]
        keys = set(chunk)
        recipients = tuple(r for r in message.recipients if route_user(r) in keys)
        parts.append((replace(message, recipients=recipients), chunk))
    return parts


def epoch(iso: str) -> float:
    """An event's `occurred_at` (ISO 8601, as the log carries it) in epoch seconds."""
    return datetime.fromisoformat(iso).timestamp()


def effect(
    kind: Kind, subject: int, *, event_id: object, position: int, event_type: str, occurred_at: float, **facts: Any
) -> PushMessage:
    """The message of one effect of one event. Its key, `<kind>:<status or notification id>:<event
    id>`, is the same on every redelivery and chunk re-run, so a connection gets it once;
    `committed_at` is stamped when it is published."""
    return PushMessage(
        kind=kind,
        key=f"{kind}:{int(subject)}:{event_id}",
        position=int(position),
        event_type=str(event_type),
        occurred_at=float(occurred_at),
        committed_at=0.0,
        **facts,
    )


def event_effect(kind: Kind, subject: int, event: EventMessage, **facts: Any) -> PushMessage:
    """`effect` of `event`: its id, position, type and time."""
    return effect(
        kind,
        subject,
        event_id=event.event_id,
        position=event.position,
        event_type=event.event_type,
        occurred_at=epoch(event.occurred_at),
        **facts,
    )


def publish(message: PushMessage, routes: Sequence[str]) -> bool:
    """Publish now (the caller is past its commit). The first route is the routing key, the rest
    go in the `CC` header. Returns False when the broker could not be reached (logged)."""
    return publish_many([(message, routes)])


def publish_many(items: Sequence[tuple[PushMessage, Sequence[str]]]) -> bool:
    """Publish several messages in one go over this thread's connection, each stamped with
    `committed_at` now. A connection found dead (the broker restarted since the last publish,
    which an idle connection without heartbeats only learns by writing) is replaced once and the
    unsent messages sent again. Never raises: a broker still unreachable is logged and counted
    (every message not sent), and the connection dropped for the next call to reopen. False:
    something was lost."""
    pending = [(replace(m, committed_at=time.time()), r) for m, r in items if r]
    if not pending or not settings.STREAMING_PUSH:
        return False
    for attempt in (1, 2):
        try:
            producer = _producer()
            while pending:
                message, routes = pending[0]
                for part, keys in _parts(message, routes):
                    headers = {"CC": keys[1:]} if len(keys) > 1 else {}
                    producer.publish(
                        part.encode(),
                        routing_key=keys[0],
                        headers=headers,
                        delivery_mode=1,
                        content_type="application/json",
                        content_encoding="binary",
                        retry=False,
                    )
                PUBLISHED.labels(kind=str(message.kind)).inc()
                pending.pop(0)
            return True
        except Exception as exc:
            close()
            if attempt == 2:
                FAILED.inc(len(pending))
                log.warning("push: publish failed (%s: %s); streams will miss this effect", type(exc).__name__, exc)
    return False


def pushing(projector: Projector | None = None) -> bool:
    """Whether an effect applied now is pushed: STREAMING_PUSH on and `projector` not replaying.
    Producers ask before gathering a message's facts (queries a rebuild's replay need not pay)."""
    return bool(settings.STREAMING_PUSH) and not (projector is not None and projector.replaying)


def publish_after_commit(
    message: PushMessage, routes: Sequence[str], *, using: str, projector: Projector | None = None
) -> None:
    """Publish `message` to `routes` once the transaction open on `using` commits (at once if
    none is open: the effect has committed). Skipped while `projector` replays, or with
    STREAMING_PUSH off.

    One plain `on_commit` callback per message, so Django's own rules apply: a rollback, or the
    rollback of the savepoint it was registered in, drops it. The messages of one transaction are
    still written back to back on one connection (no confirm is awaited), so batching them by
    hand would save only the callbacks' own overhead, at the price of reaching into Django's
    callback list."""
    if not routes or not pushing(projector):
        return
    connection = connections[using]
    if not connection.in_atomic_block:
        publish(message, routes)
        return
    routes = list(routes)
    connection.on_commit(lambda: publish(message, routes))
