"""Idempotency keys of status creation (Mastodon's `Idempotency-Key` header on POST /statuses).

A client that lost the answer to a POST retries it with the same key; the retry must answer the
status the first attempt created and append nothing. Mastodon keeps the key an hour in Redis; we
keep it in the write model, in the same transaction as the status, so a key exists exactly when
its status does (a crash between the two is impossible) and a concurrent duplicate is settled
by the unique (user, key) index: the second INSERT .. ON CONFLICT waits for the first
transaction, then finds its row (commit) or takes the key itself (rollback).

Lock order: the key row comes first, before the users and the post (socialapp.write.common.
aggregates); nothing else locks key rows but pruning, which locks nothing else.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from socialapp.common.errors import ValidationFailed
from socialapp.write.posts.models import IDEMPOTENCY_KEY_MAX_LENGTH, IdempotencyKey

WINDOW = timedelta(hours=1)  # Mastodon's: a retry after that is a new status


def clean_key(raw: object) -> str | None:
    """The header's value; None when absent or blank (no idempotency asked for)."""
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise ValidationFailed.on("idempotency_key", "Must be a string.")
    key = raw.strip()
    if not key:
        return None
    if len(key) > IDEMPOTENCY_KEY_MAX_LENGTH or not key.isprintable():
        raise ValidationFailed.on(
            "idempotency_key", f"Must be at most {IDEMPOTENCY_KEY_MAX_LENGTH} printable characters."
        )
    return key


def claim(user_id: int, key: str) -> int | None:
    """In the creating transaction: the id of the status this user already created with `key`
    within the window, or None once the key is ours (then `record` the new status's id before
    committing). The user's expired keys go first, so an old key is free again."""
    now = timezone.now()
    table = IdempotencyKey._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE user_id = %s AND created_at < %s", [user_id, now - WINDOW])
        for _attempt in range(3):
            cursor.execute(
                f"INSERT INTO {table} (user_id, key, status_id, created_at) VALUES (%s, %s, NULL, %s)"
                " ON CONFLICT (user_id, key) DO NOTHING RETURNING id",
                [user_id, key, now],
            )
            if cursor.fetchone() is not None:
                return None
            cursor.execute(f"SELECT status_id FROM {table} WHERE user_id = %s AND key = %s", [user_id, key])
            row = cursor.fetchone()
            if row is not None and row[0] is not None:
                return int(row[0])
            # Pruned between the two statements by another transaction: try to take it again.
    raise RuntimeError("idempotency key neither claimed nor found")  # pragma: no cover


def record(user_id: int, key: str, status_id: int) -> None:
    IdempotencyKey.objects.filter(user_id=user_id, key=key).update(status_id=status_id)


def prune(*, now: datetime | None = None, batch: int = 10_000) -> int:
    """Delete every expired key (the periodic task); returns how many went."""
    cutoff = (now or timezone.now()) - WINDOW
    table = IdempotencyKey._meta.db_table
    total = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE created_at < %s LIMIT %s)",
                [cutoff, batch],
            )
            total += cursor.rowcount
            if cursor.rowcount < batch:
                return total
