"""The projector base: how read models consume events.

A projector names itself, declares a handler per event type with `@handles`, and says on which
database its effects live. `Projector.apply` gives the exactly-once effect: in one transaction
on that database it records (projector, event id) in the tracking table and runs the handler;
an event already recorded is skipped. Handlers must still tolerate re-ordering within an
aggregate (compare aggregate versions), because a redelivered older event can arrive late.

Projectors register with `@register`; the pipeline (socialapp.events.consumer) routes messages
to them, and tests call `apply` directly.

Errors tell the worker what to do with a message: `TransientError` (and database/connection
errors) are retried with exponential backoff and jitter and never count as poison;
`PermanentError` (a message that can never apply) goes straight to the dead letters; any other
exception is a bug: the message is requeued and dead-lettered after the queue's delivery limit.

Hooks for operations (docs/pipeline.md, "Rebuilds and checks"):
- `tables`: the read-DB tables the projector owns (only it writes them). The default rebuild
  replays the log into fresh copies of them in a shadow schema and swaps them in atomically;
  handlers must therefore use unqualified table names (ORM models and raw SQL both do).
- `rebuild_strategy()`: override to rebuild storage that is not tables (an index behind an alias).
- `check()`: the convergence check: compare the read model with what the log implies.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.db import connections, transaction


@dataclass(frozen=True)
class EventMessage:
    """An event as projectors see it: built from the bus message, never from write tables."""

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


Handler = Callable[["Projector", EventMessage], None]


class TransientError(Exception):
    """The effect could not be applied now but may later (a service is unreachable): retry."""


class PermanentError(Exception):
    """The event can never be applied by this code (malformed, unknown schema): dead-letter it."""


@dataclass
class CheckReport:
    """What `projections check` prints: keys of read-model entries that disagree with the log."""

    projector: str
    lost: list[str] = field(default_factory=list)  # implied by the log, missing from the read model
    duplicated: list[str] = field(default_factory=list)  # present more than once / applied twice
    unexpected: list[str] = field(default_factory=list)  # present, but not implied by the log
    checked: int = 0

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.unexpected)


def handles(*event_types: str) -> Callable[[Handler], Handler]:
    def mark(fn: Handler) -> Handler:
        fn._handles = event_types  # type: ignore[attr-defined]
        return fn

    return mark


class Projector:
    name: ClassVar[str]
    database: ClassVar[str] = "read"
    handlers: ClassVar[dict[str, Handler]] = {}
    tables: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        found: dict[str, Handler] = {}
        for klass in reversed(cls.__mro__):
            for attr in vars(klass).values():
                for event_type in getattr(attr, "_handles", ()):
                    found[event_type] = attr
        cls.handlers = found

    @classmethod
    def event_types(cls) -> tuple[str, ...]:
        return tuple(sorted(cls.handlers))

    def apply(self, event: EventMessage) -> bool:
        """Apply once. Returns False for a duplicate or an event this projector ignores."""
        handler = self.handlers.get(event.event_type)
        if handler is None:
            return False
        with transaction.atomic(using=self.database):
            if not self._record(event):
                return False
            handler(self, event)
        return True

    def check(self) -> CheckReport | None:
        """Convergence check; None means this projector does not provide one."""
        return None

    def rebuild_strategy(self) -> Any:
        """How `projections rebuild` rebuilds this projector (socialapp.events.rebuild)."""
        from socialapp.events.rebuild import SchemaSwapRebuild

        return SchemaSwapRebuild(self)

    @property
    def lock_key(self) -> str:
        return f"projector:{self.name}"

    def _record(self, event: EventMessage) -> bool:
        with connections[self.database].cursor() as cursor:
            # Shared with every other apply; a rebuild's switch takes it exclusively, so no apply
            # straddles the switch (socialapp.events.rebuild).
            cursor.execute("SELECT pg_advisory_xact_lock_shared(hashtext(%s))", [self.lock_key])
            cursor.execute(
                "INSERT INTO projection_applied_event (projector, event_id, position, applied_at)"
                " VALUES (%s, %s, %s, now()) ON CONFLICT (projector, event_id) DO NOTHING RETURNING 1",
                [self.name, event.event_id, event.position],
            )
            return cursor.fetchone() is not None


REGISTRY: dict[str, Projector] = {}


def register(cls: type[Projector]) -> type[Projector]:
    if cls.name in REGISTRY and type(REGISTRY[cls.name]) is not cls:
        raise ValueError(f"two projectors named {cls.name!r}")
    REGISTRY[cls.name] = cls()
    return cls
