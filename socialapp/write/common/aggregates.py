"""Locks and versions: how commands on one aggregate serialise and stay gap-free.

Lock order, the same in every command (so two commands never wait on each other in a cycle):

    users (ascending id, FOR SHARE)  ->  post  ->  comment  ->  like / follow row (FOR UPDATE)

A command takes FOR UPDATE on the aggregate it changes and FOR SHARE on the rows whose state it
relies on (the actor is not deactivated, the post is not deleted): a concurrent deactivation or
deletion then waits for the command to commit, or the command sees it and refuses. Nobody
upgrades a FOR SHARE lock to FOR UPDATE within one transaction.

The aggregate row's `version` is the version of its last event: a command bumps it under the
row lock and appends the event with that version, so versions are gap-free, and the unique
(aggregate, version) constraint of the log is the backstop.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.db import models

from socialapp.common.errors import NotAuthorized
from socialapp.events.log import append_event
from socialapp.events.models import Event

M = TypeVar("M", bound=models.Model)


def lock_shared(model: type[M], ids: Iterable[int]) -> dict[int, M]:
    """FOR SHARE on rows of `model`, in ascending id order; missing ids are simply absent."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    table = model._meta.db_table
    rows = model.objects.raw(f'SELECT * FROM "{table}" WHERE id = ANY(%s) ORDER BY id FOR SHARE', [wanted])
    return {row.pk: row for row in rows}


def save_and_append(
    instance: models.Model,
    *,
    update_fields: list[str],
    event_type: str,
    aggregate_type: str,
    aggregate_id: str | int,
    payload: dict[str, Any],
    actor_id: int | None,
) -> Event:
    """Bump the (locked) aggregate row's version, save the changed fields, append the event."""
    instance.version += 1  # type: ignore[attr-defined]
    instance.save(update_fields=[*update_fields, "version"])
    return append_event(
        event_type=event_type,
        aggregate_type=aggregate_type,
        aggregate_id=aggregate_id,
        aggregate_version=instance.version,  # type: ignore[attr-defined]
        payload=payload,
        actor_id=actor_id,
    )


def lock_active_actor(actor_id: int, *also: int) -> dict[int, Any]:
    """FOR SHARE on the actor (and other users the command relies on), ascending ids; refuse a
    deactivated actor even if its token or admin session was checked a moment ago."""
    from socialapp.write.accounts.models import User

    users = lock_shared(User, [actor_id, *also])
    actor = users.get(actor_id)
    if actor is None or actor.deactivated_at is not None:
        raise NotAuthorized("This account is deactivated.")
    return users
