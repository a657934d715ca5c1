"""The event log: appending to it (the only way events come to exist) and reading it back.

`append_event` must run inside the command's `transaction.atomic()`: the event commits with the
change or not at all. After the commit, registered listeners (the relay's low-latency kick) run
via `transaction.on_commit`. `capture_events()` lets an API view collect the events its command
appended, to hand the client a consistency token.

The readers (`log_head`, `log_events`, `events_by_id`, `handled_count`) give the log back as
`EventMessage`s, the form projectors consume, for rebuilds, checks, tests and benchmarks.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.db import connections, transaction
from django.utils import timezone

from socialapp.common import rows
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
    event = rows.insert(  # an INSERT built once per process: every command appends (socialapp.common.rows)
        Event(
            event_type=event_type,
            aggregate_type=str(aggregate_type),
            aggregate_id=str(aggregate_id),
            aggregate_version=aggregate_version,
            actor_id=actor_id,
            occurred_at=timezone.now(),
            schema_version=schema_version,
            payload=payload,
        ),
        using,
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


# ---------------------------------------------------------------------------- reading the log


@dataclass(frozen=True)
class EventMessage:
    """An event as projectors see it: built from the bus message (or read back from the log by the
    readers below), never from the write model's tables."""

    event_id: uuid.UUID
    position: int
    event_type: str
    aggregate_type: str
    aggregate_id: str
    aggregate_version: int
    actor_id: int | None
    occurred_at: str
    schema_version: int
    payload: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EventMessage:
        return cls(
            event_id=uuid.UUID(str(data["event_id"])),
            position=int(data["position"]),
            event_type=str(data["event_type"]),
            aggregate_type=str(data["aggregate_type"]),
            aggregate_id=str(data["aggregate_id"]),
            aggregate_version=int(data["aggregate_version"]),
            actor_id=data.get("actor_id"),
            occurred_at=str(data["occurred_at"]),
            schema_version=int(data.get("schema_version", 1)),
            payload=dict(data.get("payload") or {}),
        )


BATCH = 1000  # rows per query of the readers
_COLUMNS = "event_id, position, event_type, aggregate_type, aggregate_id, aggregate_version, actor_id, occurred_at, schema_version, payload"


def _messages(rows: list[tuple[Any, ...]]) -> list[EventMessage]:
    return [
        EventMessage(
            event_id=r[0], position=r[1], event_type=r[2], aggregate_type=r[3], aggregate_id=r[4],
            aggregate_version=r[5], actor_id=r[6], occurred_at=r[7].isoformat(), schema_version=r[8],
            payload=r[9] if isinstance(r[9], dict) else json.loads(r[9]),
        )
        for r in rows
    ]  # fmt: skip


def log_head() -> int:
    """The highest position appended so far (0: an empty log)."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT coalesce(max(position), 0) FROM event_log")
        return int(cursor.fetchone()[0])


def log_events(
    event_types: tuple[str, ...], *, after: int = 0, upto: int | None = None
) -> Iterator[list[EventMessage]]:
    """The log's events of these types, in position order, in batches (keyset pagination), up to
    `upto` (default: the head now), so that a replay never chases a log that keeps growing."""
    last = after
    upto = log_head() if upto is None else upto
    while True:
        with connections["default"].cursor() as cursor:
            cursor.execute(
                f"SELECT {_COLUMNS} FROM event_log WHERE event_type = ANY(%s) AND position > %s AND position <= %s"
                " ORDER BY position LIMIT %s",
                [list(event_types), last, upto, BATCH],
            )
            rows = cursor.fetchall()
        if not rows:
            return
        last = rows[-1][1]
        yield _messages(rows)


def events_by_id(event_ids: list[str]) -> list[EventMessage]:
    """These events of the log, in position order (ids not in the log are left out)."""
    out: list[EventMessage] = []
    for start in range(0, len(event_ids), BATCH):
        with connections["default"].cursor() as cursor:
            cursor.execute(
                f"SELECT {_COLUMNS} FROM event_log WHERE event_id = ANY(%s::uuid[]) ORDER BY position",
                [event_ids[start : start + BATCH]],
            )
            out += _messages(cursor.fetchall())
    return out


def handled_count(event_types: tuple[str, ...]) -> int:
    """How many events of these types the log holds (a replay's length, for progress bars)."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM event_log WHERE event_type = ANY(%s)", [list(event_types)])
        return int(cursor.fetchone()[0])
