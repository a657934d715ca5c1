"""Sending push messages to the streams exchange, from the projectors' processes.

Best effort by design: a stream is a hint that something changed, the read model is the truth,
and a client that missed a push resumes from the read model (docs/streaming.md, "Resume"). So a
publish never waits for the broker's confirm and never raises into the projector: a failure is
logged, counted, and the connection is dropped to be reopened by the next publish. Messages are
transient (delivery mode 1): a push that outlived a broker restart would arrive too late to
matter.

One connection per process (and per thread: kombu channels are not thread-safe), opened lazily,
so a Celery prefork child opens its own after the fork.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from kombu import Connection, Exchange, Producer

from socialapp.read.push.messages import EXCHANGE, MAX_CC, PushMessage, route_user

log = logging.getLogger(__name__)

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
    if len(routes) <= MAX_CC + 1:
        return [(message, routes)]
    parts = []
    for start in range(0, len(routes), MAX_CC + 1):
        chunk = routes[start : start + MAX_CC + 1]
        keys = set(chunk)
        recipients = tuple(r for r in message.recipients if route_user(r) in keys)
        parts.append((_replace(message, recipients=recipients), chunk))
    return parts


def _replace(message: PushMessage, **changes: Any) -> PushMessage:
    from dataclasses import replace

    return replace(message, **changes)


def publish(message: PushMessage, routes: Sequence[str]) -> bool:
    """Publish now (the caller is past its commit). The first route is the routing key, the rest
    go in the `CC` header. Returns False when the broker could not be reached (logged)."""
    if not routes or not settings.STREAMING_PUSH:
        return False
    try:
        producer = _producer()
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
        return True
    except Exception as exc:
        log.warning("push: publish failed (%s: %s); streams will miss this effect", type(exc).__name__, exc)
        close()
        return False
