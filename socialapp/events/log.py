"""Appending to the event log: the only way events come to exist.

`append_event` must run inside the command's `transaction.atomic()`: the event commits with the
change or not at all. After the commit, registered listeners (the relay's low-latency kick) run
via `transaction.on_commit`. `capture_events()` lets an API view collect the events its command
appended, to hand the client a consistency token.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import connections, transaction
from django.utils import timezone

from socialapp.events.catalogue import ALL_EVENT_TYPES
from socialapp.events.models import Event

_captured: ContextVar[list[Event] | None] = ContextVar("captured_events", default=None)
_on_commit_listeners: list[Callable[[], None]] = []


class NotInTransaction(RuntimeError):
    """append_event was called outside transaction.atomic(): the outbox guarantee would break."""


def on_events_committed(listener: Callable[[], None]) -> Callable[[], None]:
    """Register a callable to run after any transaction that appended events commits."""
    _on_commit_listeners.append(listener)
    return listener


def _notify_listeners() -> None:
    for listener in list(_on_commit_listeners):
        listener()


def append_event(
    *,
    event_type: str,
    aggregate_type: str,
    aggregate_id: str | int,
    aggregate_version: int,
    payload: dict[str, Any],
    actor_id: int | None = None,
    schema_version: int = 1,
    using: str = "default",
) -> Event:
    if not connections[using].in_atomic_block:
        raise NotInTransaction(f"append_event({event_type}) outside transaction.atomic()")
    if event_type not in ALL_EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    if aggregate_version < 1:
        raise ValueError("aggregate versions start at 1")
    json.dumps(payload, allow_nan=False)  # JSON-safe or fail loudly, before anything is written
    event = Event.objects.using(using).create(
        event_type=event_type,
        aggregate_type=str(aggregate_type),
        aggregate_id=str(aggregate_id),
        aggregate_version=aggregate_version,
        actor_id=actor_id,
        occurred_at=timezone.now(),
        schema_version=schema_version,
        payload=payload,
    )
    captured = _captured.get()
    if captured is not None:
        captured.append(event)
    if _on_commit_listeners:
        # One notification per transaction, however many events it appends.
        pending = connections[using].run_on_commit
        if not any(callback is _notify_listeners for _sids, callback, _robust in pending):
            transaction.on_commit(_notify_listeners, using=using, robust=True)
    return event


@contextmanager
def capture_events() -> Iterator[list[Event]]:
    """Collect the events appended in this context (committed or not: check after the commit)."""
    bucket: list[Event] = []
    token = _captured.set(bucket)
    try:
        yield bucket
    finally:
        _captured.reset(token)
