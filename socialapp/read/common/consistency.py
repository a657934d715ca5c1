"""Read your writes: wait (bounded) until the projectors behind an endpoint applied the events
named by the client's X-Consistency-Token.

The wait polls `projection_applied_event` on the read database for exactly the token's
positions that each projector handles (positions, not a high-water mark: they commit out of
order), on the database that serves the request: with read replicas, the replica pinned for it
(the tracking rows replicate with the read models they describe). No token, no wait. Past
CONSISTENCY_WAIT_SECONDS the query answers with what it has and says so in
`X-Consistency-Satisfied: false`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from django.conf import settings

from socialapp.events.consistency import HEADER, read_token
from socialapp.events.projector import REGISTRY
from socialapp.read.common.sql import fetchall

SATISFIED_HEADER = "X-Consistency-Satisfied"
_POLL_SECONDS = 0.02


def pending_positions(token: str, projectors: Iterable[str]) -> set[tuple[str, int]]:
    return _handled(read_token(token), projectors)  # a malformed or forged token is a 400 (ValidationFailed)


def _handled(pairs: Iterable[tuple[int, str]], projectors: Iterable[str]) -> set[tuple[str, int]]:
    pairs = list(pairs)
    return {
        (name, position)
        for name in projectors
        for position, event_type in pairs
        if event_type in REGISTRY[name].handlers
    }


def applied(projectors: Iterable[str], positions: Iterable[int], *, using: str | None = None) -> set[tuple[str, int]]:
    """Which of these (projector, position) pairs the projectors have applied (tracking table), as
    seen by `using` (default: the request's replica, else the primary): a token waits on the
    server that then answers the query."""
    rows = fetchall(
        "SELECT projector, position FROM projection_applied_event WHERE projector = ANY(%s) AND position = ANY(%s)",
        [sorted(set(projectors)), sorted(set(positions))],
        using=using,
    )
    return {(name, position) for name, position in rows}


def wait_for_token(token: str | None, projectors: Iterable[str], timeout: float | None = None) -> bool | None:
    """None without a token; else True once applied, False when the bounded wait ran out."""
    if not token:
        return None
    return wait_for_events(read_token(token), projectors, timeout)


def wait_for_events(pairs: Iterable[tuple[int, str]], projectors: Iterable[str], timeout: float | None = None) -> bool:
    """Wait (bounded) for these (position, event type) pairs, as for a token's: True once the
    projectors that handle them applied them, False when the wait ran out."""
    needed = _handled(pairs, tuple(projectors))
    deadline = time.monotonic() + (settings.CONSISTENCY_WAIT_SECONDS if timeout is None else timeout)
    while needed:
        needed -= applied((n for n, _ in needed), (p for _, p in needed))
        if not needed:
            break
        if time.monotonic() >= deadline:
            return False
        time.sleep(_POLL_SECONDS)
    return True


__all__ = ["HEADER", "SATISFIED_HEADER", "applied", "wait_for_events", "wait_for_token"]
