"""The projector base: how read models consume events.

A projector names itself, declares a handler per event type with `@handles`, and says on which
database its effects live. `Projector.apply` gives the exactly-once effect: in one transaction
on that database it records (projector, event id) in the tracking table and runs the handler;
an event already recorded is skipped. Handlers must still tolerate re-ordering within an
aggregate (compare aggregate versions), because a redelivered older event can arrive late.

Projectors register with `@register`; the pipeline (socialapp.events.consumer) routes messages
to them, and tests call `apply` directly.
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


def handles(*event_types: str) -> Callable[[Handler], Handler]:
    def mark(fn: Handler) -> Handler:
        fn._handles = event_types  # type: ignore[attr-defined]
        return fn

    return mark


class Projector:
    name: ClassVar[str]
    database: ClassVar[str] = "read"
    handlers: ClassVar[dict[str, Handler]] = {}

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

    def _record(self, event: EventMessage) -> bool:
        with connections[self.database].cursor() as cursor:
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
