"""Sending push messages to the streams exchange, from the projectors' processes.

Best effort by design: a stream is a hint that something changed, the read model is the truth,
and a client that missed a push resumes from the read model (docs/streaming.md, "Resume"). So a
publish never waits for the broker's confirm and never raises into the projector: a failure is
logged, counted, and the connection is dropped to be reopened by the next publish. Messages are
transient (delivery mode 1): a push that outlived a broker restart would arrive too late to
matter.

One connection per process (and per thread: kombu channels are not thread-safe), opened lazily,
so a Celery prefork child opens its own after the fork.

Projectors call `publish_after_commit`: the messages a transaction registers wait in an outbox of
that transaction and go out together, over this thread's connection, once it commits (one
`on_commit` callback flushes them); a transaction that rolls back (or a savepoint of it that rolls
back) publishes nothing of what it registered. Nothing is published while a projector replays
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
        parts.append((_replace(message, recipients=recipients), chunk))
    return parts


def _replace(message: PushMessage, **changes: Any) -> PushMessage:
    return replace(message, **changes)


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
    `committed_at` now. Never raises: a broker failure is logged and counted (every message not
    yet sent), and the connection dropped for the next call to reopen. False: something was lost."""
    items = [(m, r) for m, r in items if r]
    if not items or not settings.STREAMING_PUSH:
        return False
    now = time.time()
    sent = 0
    try:
        producer = _producer()
        for message, routes in items:
            for part, keys in _parts(_replace(message, committed_at=now), routes):
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
            sent += 1
        return True
    except Exception as exc:
        FAILED.inc(len(items) - sent)
        log.warning("push: publish failed (%s: %s); streams will miss this effect", type(exc).__name__, exc)
        close()
        return False


class _Entry:
    """A registered message; `confirm` is its own on_commit callback, which Django drops when the
    savepoint it was registered in rolls back: only confirmed entries are published."""

    __slots__ = ("confirmed", "message", "routes")

    def __init__(self, message: PushMessage, routes: Sequence[str]) -> None:
        self.message, self.routes, self.confirmed = message, routes, False

    def confirm(self) -> None:
        self.confirmed = True


class _Outbox:
    """The messages one transaction (on one database connection) registered, published by one
    callback after its commit.

    Django runs on_commit callbacks in registration order, so the flush must follow every
    message's `confirm`: it is kept the last callback of the outbox (moved behind each new
    `confirm`), registered outside any savepoint (a rolled-back savepoint drops its messages'
    confirms, never the flush). This relies on the connection's `run_on_commit` list of
    (savepoint ids, callback, robust), Django's representation since 4.2."""

    def __init__(self, alias: str) -> None:
        self.alias = alias
        self.entries: list[_Entry] = []
        self.done = False
        self.flush_hook = self.flush  # one bound method object, found again by identity

    def registered(self) -> bool:
        """Whether this outbox belongs to the open transaction (a rollback discards the hooks)."""
        hooks = connections[self.alias].run_on_commit
        return not self.done and any(hook[1] is self.flush_hook for hook in reversed(hooks))

    def add(self, message: PushMessage, routes: Sequence[str]) -> None:
        entry = _Entry(message, list(routes))
        self.entries.append(entry)
        connection = connections[self.alias]
        connection.on_commit(entry.confirm)
        hooks = connection.run_on_commit
        for index in range(len(hooks) - 2, -1, -1):
            if hooks[index][1] is self.flush_hook:
                del hooks[index]
                break
        hooks.append((set(), self.flush_hook, True))

    def flush(self) -> None:
        if self.done:
            return
        self.done = True
        connection = connections[self.alias]
        if getattr(connection, "push_outbox", None) is self:
            connection.push_outbox = None
        publish_many([(e.message, e.routes) for e in self.entries if e.confirmed])


def publish_after_commit(
    message: PushMessage, routes: Sequence[str], *, using: str, projector: Projector | None = None
) -> None:
    """Publish `message` to `routes` once the transaction open on `using` commits (at once if
    none is open: the effect has committed). Skipped while `projector` replays, or with
    STREAMING_PUSH off; messages of one transaction go out together (`_Outbox`)."""
    if not routes or not settings.STREAMING_PUSH or (projector is not None and projector.replaying):
        return
    connection = connections[using]
    if not connection.in_atomic_block:
        publish_many([(message, routes)])
        return
    outbox = getattr(connection, "push_outbox", None)
    if outbox is None or not outbox.registered():
        outbox = _Outbox(using)
        connection.push_outbox = outbox
    outbox.add(message, routes)
