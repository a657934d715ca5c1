"""Appending probe events the way command services do (inside a transaction, via append_event),
and the environment of child processes that load the probe projector."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import connections, transaction

from socialapp.events.deadletters import DeadLetter, list_dead
from socialapp.events.log import append_event
from socialapp.events.models import Event
from socialapp.events.projector import EventMessage
from tests.support import child_env, wait_for

_counter = itertools.count(1)


def new_aggregate() -> str:
    return f"probe-{uuid.uuid4().hex[:12]}"


def marked_aggregate(table: str, **columns: str) -> str:
    """A new aggregate id listed in the probe's `table` (probe_poison, probe_flaky or, with its
    `sqlstate`, probe_sqlstate): the probe projector then fails on its events (tests/events/probe.py)."""
    aggregate = new_aggregate()
    names = ", ".join(["aggregate_id", *columns])
    marks = ", ".join(["%s"] * (1 + len(columns)))
    with connections["read"].cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", [aggregate, *columns.values()])
    return aggregate


def append_probe_events(count: int, *, aggregate_id: str | None = None, per_transaction: int = 1) -> list[Event]:
    """`count` events; each fresh aggregate gets post.created, then post.edited versions."""
    events: list[Event] = []
    aggregate = aggregate_id or new_aggregate()
    version = 0
    while len(events) < count:
        with transaction.atomic():
            for _ in range(min(per_transaction, count - len(events))):
                version += 1
                events.append(
                    append_event(
                        event_type="post.created" if version == 1 else "post.edited",
                        aggregate_type="post",
                        aggregate_id=aggregate,
                        aggregate_version=version,
                        payload={"post_id": next(_counter), "value": f"v{version}"},
                    )
                )
    return events


def poisoned_among(pipeline: Any, aggregate_id: str, neighbours: int) -> tuple[Event, list[DeadLetter]]:
    """Append `neighbours` probe events, one on `aggregate_id` (a `marked_aggregate`), then
    `neighbours` more, while `pipeline` (running the probe) runs; wait until the neighbours are
    applied and something is dead-lettered: (the marked event, the probe's dead letters)."""
    before = append_probe_events(neighbours)
    bad = append_probe_events(1, aggregate_id=aggregate_id)[0]
    after = append_probe_events(neighbours)
    pipeline.wait_applied(before + after, timeout=60)
    dead = wait_for(lambda: list_dead("probe"), timeout=60, what="the poison event in the dead letters")
    return bad, dead


def append_messages(events: Iterable[EventMessage]) -> list[Event]:
    """Append messages (from a test's factory or World) to the real log in one transaction, as a
    command service would: the rows, for a pipeline or a log reader to carry."""
    with transaction.atomic():
        return [
            append_event(
                event_type=e.event_type,
                aggregate_type=e.aggregate_type,
                aggregate_id=e.aggregate_id,
                aggregate_version=e.aggregate_version,
                payload=e.payload,
                actor_id=e.actor_id,
            )
            for e in events
        ]


def probe_env(**extra: str) -> dict[str, str]:
    """`tests.support.child_env` for a relay or worker that registers the probe projector."""
    return child_env(EVENTS_EXTRA_PROJECTOR_MODULES="tests.events.probe", **extra)
