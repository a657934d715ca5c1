"""Locks and versions: how commands on one aggregate serialise and stay gap-free.

Lock order, the same in every command (so two commands never wait on each other in a cycle):

    users (ascending id, FOR SHARE)  ->  post  ->  comment  ->  pair lock of two users
        ->  block / mute row  ->  follow request row  ->  like / follow row (FOR UPDATE)

The pair lock is the advisory lock a block takes exclusively and a follow, like or comment
shared before checking for a block (socialapp.write.relations.services).

A command takes FOR UPDATE on the aggregate it changes and FOR SHARE on the rows whose state it
relies on (the actor is not deactivated, the post is not deleted): a concurrent deactivation or
deletion then waits for the command to commit, or the command sees it and refuses. Nobody
upgrades a FOR SHARE lock to FOR UPDATE within one transaction.

The aggregate row's `version` is the version of its last event: a command bumps it under the
row lock and appends the event with that version, so versions are gap-free, and the unique
(aggregate, version) constraint of the log is the backstop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from typing import Any, TypeVar

from django.db import connection, models
from django.utils import timezone

from socialapp.common import prepared, rows
from socialapp.common.errors import NotAuthorized
from socialapp.events.log import append_event
from socialapp.events.models import Event
from socialapp.write.common.models import Aggregate

A = TypeVar("A", bound=Aggregate)
M = TypeVar("M", bound=models.Model)


def lock_shared(model: type[M], ids: Iterable[int]) -> dict[int, M]:
    """FOR SHARE on rows of `model`, in ascending id order; missing ids are simply absent."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    # Written out (socialapp.common.rows), not `objects.raw`: every command runs this (prepared).
    with prepared.cursor() as cursor:
        cursor.execute(
            f'SELECT {rows.columns(model, "t")} FROM "{model._meta.db_table}" t WHERE id = ANY(%s) ORDER BY id FOR SHARE',
            [wanted],
        )
        found = [rows.instance(model, row) for row in cursor.fetchall()]
    return {row.pk: row for row in found}


def append_to(aggregate: Aggregate, *, event_type: str, payload: dict[str, Any], actor_id: int | None) -> Event:
    """Append the event that brought `aggregate` to its current version (1 for a row just created)."""
    return append_event(
        event_type=event_type,
        aggregate_type=aggregate.aggregate_type,
        aggregate_id=aggregate.aggregate_id,
        aggregate_version=aggregate.version,
        payload=payload,
        actor_id=actor_id,
    )


def save_and_append(
    aggregate: Aggregate, *, update_fields: list[str], event_type: str, payload: dict[str, Any], actor_id: int | None
) -> Event:
    """Bump the (locked) aggregate row's version, save the changed fields, append the event."""
    aggregate.version += 1
    aggregate.save(update_fields=[*update_fields, "version"])
    return append_to(aggregate, event_type=event_type, payload=payload, actor_id=actor_id)


def set_active(
    model: type[A],
    key: dict[str, int],
    *,
    active: bool,
    event_type: str,
    actor_id: int,
    payload: Callable[[A], dict[str, Any]],
) -> tuple[A | None, bool]:
    """Like and follow rows (`active`, `changed_at`): set `active` on the row of `key`; returns
    (row, changed), and only a change appends the event, with `payload(row)`.

    The row outlives a deactivation, so its version keeps counting. One statement decides and
    changes, under the row lock: activating is INSERT .. ON CONFLICT (key) DO UPDATE .. WHERE NOT
    active (a new row starts at version 1; a racing duplicate waits on the unique index for the
    winner's commit, then finds the row active and changes nothing); deactivating is an UPDATE ..
    WHERE active. RETURNING gives the changed row, so a change costs one round trip instead of
    insert-if-missing, SELECT .. FOR UPDATE and UPDATE. Only an unchanged row is read again (for
    the answer and the consistency token's fallback)."""
    now = timezone.now()
    sql = _set_active_sql(model, tuple(key), active)
    found = rows.fetch(model, sql, [now, *key.values()])  # written out: rows.fetch, not objects.raw
    changed = found[0] if found else None
    if changed is None:
        return model.objects.filter(**key).first(), False
    append_to(changed, event_type=event_type, payload=payload(changed), actor_id=actor_id)
    return changed, True


@cache
def _set_active_sql(model: type[Aggregate], key: tuple[str, ...], active: bool) -> str:
    """set_active's statement for this model, key fields and direction, built once per process
    (every like and follow runs one)."""
    table = connection_ops_quote(model._meta.db_table)
    columns = [connection_ops_quote(model._meta.get_field(name).column) for name in key]
    if active:
        return (
            f"INSERT INTO {table} (version, active, changed_at, {', '.join(columns)})"
            f" VALUES (1, true, %s, {', '.join(['%s'] * len(columns))})"
            f" ON CONFLICT ({', '.join(columns)}) DO UPDATE SET version = {table}.version + 1, active = true,"
            f" changed_at = EXCLUDED.changed_at WHERE NOT {table}.active RETURNING {rows.columns(model, table)}"
        )
    return (
        f"UPDATE {table} SET version = version + 1, active = false, changed_at = %s"
        f" WHERE {' AND '.join(f'{c} = %s' for c in columns)} AND active RETURNING {rows.columns(model, table)}"
    )


def connection_ops_quote(name: str) -> str:
    """A table or column name, quoted for SQL (names come from models, never from input)."""
    return connection.ops.quote_name(name)


def lock_active_actor(actor_id: int, *also: int) -> dict[int, Any]:
    """FOR SHARE on the actor (and other users the command relies on), ascending ids; refuse a
    deactivated (or suspended) actor even if its token or admin session was checked a moment ago."""
    from socialapp.write.accounts.models import User

    users = lock_shared(User, [actor_id, *also])
    actor = users.get(actor_id)
    if actor is None or actor.deactivated_at is not None:
        raise NotAuthorized("This account is deactivated.")
    if actor.suspended_at is not None:
        raise NotAuthorized("This account is suspended.")
    return users
