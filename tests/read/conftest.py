from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import pytest
from django.db import connections, transaction

from socialapp.events.log import log_events
from socialapp.events.projector import REGISTRY, EventMessage
from socialapp.read.common.sql import execute, fetchall
from tests.events.helpers import append_messages

MINE = ("profiles", "posts", "home_feed", "notifications")


def apply_all(events: Iterable[EventMessage], names: Iterable[str] = MINE) -> None:
    projectors = [REGISTRY[n] for n in names]
    for event in events:
        for projector in projectors:
            projector.apply(event)


def logged(events: Iterable[EventMessage], types: Iterable[str] | None = None) -> list[EventMessage]:
    """The events appended to the real log (as command services append them), read back as the
    pipeline carries them: only those of `types` (default: every type)."""
    from socialapp.events.catalogue import ALL_EVENT_TYPES

    append_messages(events)
    return [m for batch in log_events(tuple(types or ALL_EVENT_TYPES)) for m in batch]


def waiting_on_a_lock(kind: str) -> bool:
    """Whether a session of this test database waits on a lock of this kind (`advisory`,
    `transactionid`, ...); pg_locks alone would also show other runs sharing the server."""
    return bool(
        fetchall(
            "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            " AND wait_event = %s",
            [kind],
        )
    )


def reset(names: Iterable[str] = MINE) -> None:
    for name in names:
        projector = REGISTRY[name]
        execute(f"TRUNCATE {', '.join(projector.tables)}")  # type: ignore[attr-defined]
        execute("DELETE FROM projection_applied_event WHERE projector = %s", [name])


SNAPSHOT_ORDER = {
    "read_profile": "user_id",
    "read_follow_edge": "follower_id, followee_id",
    "read_profile_post": "post_id",
    "read_post_author": "user_id",
    "read_post": "post_id",
    "read_comment": "comment_id",
    "read_like": "post_id, user_id",
    "read_post_tag": "tag, post_id",
    "read_status_version": "status_id, version",
    "feed_author": "user_id",
    "feed_follow": "followee_id, follower_id",
    "feed_post": "post_id",
    "feed_entry": "reader_id, post_id",
    "read_notification": "recipient_id, position",
    "read_notification_gate": "key",
    "read_notification_suspension": "user_id",
}


# Columns that say when a row was written, not what it holds (the feed resume's clock,
# socialapp.read.feeds.resume): two replays in different orders differ there, and only there.
WRITTEN_AT = ("added_at",)


def state_columns(table: str) -> str:
    """The table's columns but WRITTEN_AT, as a select list in table order."""
    row = fetchall(
        "SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position) FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = %s AND NOT column_name = ANY(%s)",
        [table, list(WRITTEN_AT)],
    )
    return row[0][0]


def snapshot() -> dict[str, list[tuple]]:
    return {t: fetchall(f"SELECT {state_columns(t)} FROM {t} ORDER BY {o}") for t, o in SNAPSHOT_ORDER.items()}


@pytest.fixture
def clean_read_models(db):
    reset()
    yield


def apply_one_or_batch(projector, events: EventMessage | list[EventMessage]) -> None:
    for outcome in projector.apply_batch(events if isinstance(events, list) else [events]):
        if isinstance(outcome, Exception):
            raise outcome


@contextmanager
def second_apply_waiting(
    projector, held: EventMessage | list[EventMessage], waiting: EventMessage | list[EventMessage], lock: str
) -> Iterator[None]:
    """Apply `held` in a transaction kept open, apply `waiting` from another thread, and yield
    once that one waits on a lock of kind `lock`; on exit commit the first, let the second finish,
    and fail with what either raised. A list is applied as one batch."""
    from tests.support import wait_for

    applied, release, errors = threading.Event(), threading.Event(), []

    def run(body) -> None:
        try:
            body()
        except Exception as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    def hold() -> None:
        with transaction.atomic(using="read"):
            apply_one_or_batch(projector, held)
            applied.set()
            release.wait(30)

    first = threading.Thread(target=run, args=(hold,))
    second = threading.Thread(target=run, args=(lambda: apply_one_or_batch(projector, waiting),))
    first.start()
    try:
        assert applied.wait(30), errors
        second.start()
        wait_for(lambda: waiting_on_a_lock(lock), timeout=10, what=f"the second apply waiting on a {lock} lock")
        yield
    finally:
        release.set()
        first.join()
        if second.ident is not None:
            second.join()
    assert not errors, errors
