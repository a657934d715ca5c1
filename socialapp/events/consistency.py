"""Consistency tokens: how a client reads its own writes.

A command's response carries `X-Consistency-Token`, a signed, opaque list of the (position,
event type) pairs the command appended. A query that sends it back waits until the projector
behind its read model has applied every one of those events that the projector handles.
Positions, not a high-water mark, because positions commit out of order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.core import signing

from socialapp.common.errors import ValidationFailed
from socialapp.events.models import Event

HEADER = "X-Consistency-Token"
_SALT = "socialapp.consistency"
# A token is what Django's signing writes (URL-safe base64, `:` separators, a leading `.` when
# compressed). A command appends a handful of events: its token is well under 1 KB; anything
# longer or of another shape is not one of ours and is refused before its signature is computed.
TOKEN_MAX_LENGTH = 2048
TOKEN_PATTERN = "^[A-Za-z0-9_.:-]+$"
_TOKEN_RE = re.compile(TOKEN_PATTERN)
TOKEN_SCHEMA = {"type": "string", "minLength": 1, "maxLength": TOKEN_MAX_LENGTH, "pattern": TOKEN_PATTERN}


def make_token(events: Iterable[Event]) -> str | None:
    pairs = [[e.position, e.event_type] for e in events]
    if not pairs:
        return None
    return signing.dumps(pairs, salt=_SALT, compress=True)


def token_for(pairs: Iterable[tuple[int, str]]) -> str | None:
    """A token for (position, event type) pairs known without the Event rows: the streaming server
    gives each pushed event's own (socialapp.streaming), so that a client resumes from it."""
    pairs = [[int(position), str(event_type)] for position, event_type in pairs]
    return signing.dumps(pairs, salt=_SALT, compress=True) if pairs else None


def read_token(token: str) -> list[tuple[int, str]]:
    if len(token) > TOKEN_MAX_LENGTH or not _TOKEN_RE.fullmatch(token):
        raise ValidationFailed.on(HEADER, "Malformed or tampered consistency token.")
    try:
        pairs = signing.loads(token, salt=_SALT)
        return [(int(position), str(event_type)) for position, event_type in pairs]
    except (signing.BadSignature, TypeError, ValueError) as exc:
        raise ValidationFailed.on(HEADER, "Malformed or tampered consistency token.") from exc
