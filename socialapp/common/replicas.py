"""Streaming replicas of the read database, for queries only.

READ_REPLICA_URLS adds one alias per replica (`read_replica_0`, `read_replica_1`, ...; settings).
A query request pins ONE alias for its whole duration (`pinned_for_request`), so its consistency
wait, its page and its overlay all see the same server: a replica's snapshot moves only forward,
but two replicas replay at different speeds, and a token satisfied on one says nothing about the
other. While pinned, the read helpers (socialapp/read/common/sql.py) and ORM reads of query-side
models (socialapp/common/db_router.py) go to that alias; writes never do: the router names the
primary `read` for every write and migration, and `sql.execute` refuses a replica alias. A
request that writes `read` (the feed view regenerating an evicted feed) reads the primary from
then on, and so does anything inside a transaction on `read`.

A replica that cannot be reached is skipped for READ_REPLICA_RETRY_SECONDS (per process) and the
request goes to another one, or to the primary `read` when none answers: the primary holds
everything a replica has and more, so a fallback never breaks a consistency token, it only moves
the load. /readyz reports each replica and stays ready while the primary answers
(socialapp/common/health.py).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DatabaseError, connections

REPLICA_PREFIX = "read_replica_"
PRIMARY = "read"
log = logging.getLogger(__name__)

_pinned: ContextVar[str | None] = ContextVar("socialapp_read_replica", default=None)
_down_until: dict[str, float] = {}
_lock = threading.Lock()


def replica_aliases() -> list[str]:
    """The replicas queries may use (READ_REPLICAS: every READ_REPLICA_URLS alias by default)."""
    return list(settings.READ_REPLICAS)


def is_replica(alias: str) -> bool:
    return alias.startswith(REPLICA_PREFIX)


def query_alias() -> str:
    """Where a query-side read goes now: the request's pinned replica, else the primary. Inside a
    transaction on the primary (a lock taken with FOR UPDATE, a read-modify-write) reads stay on
    the primary: they must see, and lock, what that transaction writes."""
    pinned = _pinned.get()
    if pinned is None or connections[PRIMARY].in_atomic_block:
        return PRIMARY
    return pinned


def stick_to_primary() -> None:
    """After a write of `read` inside a pinned request, the rest of the request reads the primary
    (read your own write: the replica may not have replayed it yet). Ends with the request."""
    if _pinned.get() is not None:
        _pinned.set(PRIMARY)


def mark_down(alias: str) -> None:
    """Skip `alias` for READ_REPLICA_RETRY_SECONDS in this process."""
    with _lock:
        _down_until[alias] = time.monotonic() + settings.READ_REPLICA_RETRY_SECONDS


def _usable(alias: str) -> bool:
    with _lock:
        return _down_until.get(alias, 0.0) <= time.monotonic()


def _connects(alias: str) -> bool:
    """Whether `alias` answers: a kept connection is health-checked first (CONN_HEALTH_CHECKS;
    once per request, as Django's first cursor would), so a replica that died since the last
    request is noticed here, before the request is pinned to it, not by its first query."""
    connection = connections[alias]
    try:
        connection.close_if_health_check_failed()
        connection.ensure_connection()
    except DatabaseError as exc:
        log.warning(
            "read replica %s unreachable (%s); skipped for %ss",
            alias,
            type(exc).__name__,
            settings.READ_REPLICA_RETRY_SECONDS,
        )
        mark_down(alias)
        return False
    return True


def pick() -> str:
    """A reachable replica in random order (load spread over processes and requests), or the
    primary when there is none or none answers."""
    candidates = [a for a in replica_aliases() if _usable(a)]
    random.shuffle(candidates)
    for alias in candidates:
        if _connects(alias):
            return alias
    return PRIMARY


@contextmanager
def pinned_for_request() -> Iterator[str]:
    """Serve what runs inside from one replica (or the primary): see the module docstring."""
    if not replica_aliases():
        yield PRIMARY
        return
    token = _pinned.set(pick())
    try:
        yield _pinned.get() or PRIMARY
    finally:
        _pinned.reset(token)


@contextmanager
def pinned(alias: str) -> Iterator[str]:
    """Pin a given alias (tests, tools that read one replica on purpose)."""
    token = _pinned.set(alias)
    try:
        yield alias
    finally:
        _pinned.reset(token)


def reset() -> None:
    """Forget which replicas were skipped (tests; after an operator fixed one, without waiting)."""
    with _lock:
        _down_until.clear()
