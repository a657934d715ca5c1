"""What both sides share about API sessions: the bearer header, the token hash and the session
record in the shared cache (docs/read-models.md, "Authentication on the query side").

The command side keeps sessions in `accounts_auth_token` (the truth) and mirrors each live one
into the cache as a small record under `session:<sha256 of the token>`; the query side
authenticates from that record alone, so a query never reads the write database. The record
holds no secret: the key is the same one-way hash the table keeps, and no event ever carries it.

Two keys per session:
- `session:<hash>`: the record (who, and the expiry the command side last wrote). Written and
  deleted only by the command side; its cache timeout is the session's own expiry.
- `session-use:<hash>`: the last use the query side saw (epoch seconds). The query side moves
  it forward (and the record's timeout, never re-creating a deleted record); the command side's
  periodic `accounts.sync_sessions` task copies it to the table.
"""

from __future__ import annotations

import hashlib
from typing import Any, NotRequired, TypedDict

from rest_framework.authentication import get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

KEYWORD = "Bearer"
MAX_TOKEN_LENGTH = 200  # ours are 43 characters; anything far longer is not worth hashing


class SessionRecord(TypedDict):
    """A live session as the query side needs it. Times are epoch seconds (float)."""

    token_id: int
    user_id: int
    username: str
    email: str  # `GET me` answers it; it is in no read model (it stays off the event bus)
    is_staff: bool
    is_superuser: bool
    last_used_at: float
    expires_at: float
    # The token's OAuth scopes, space-separated (socialapp.common.scopes); a record written
    # before scopes existed has none, which means FULL (as the table's default).
    scopes: NotRequired[str]


def hash_token(secret: str) -> str:
    """What the table and the cache keep of a token: enough to recognise it, useless to present."""
    return hashlib.sha256(secret.encode()).hexdigest()


def session_key(key_hash: str) -> str:
    return f"session:{key_hash}"


def last_use_key(key_hash: str) -> str:
    return f"session-use:{key_hash}"


# How long a session's recent writes are remembered for reading them back (recent_writes_key).
RECENT_WRITES_SECONDS = 60
RECENT_WRITES_KEPT = 64


def recent_writes_key(key_hash: str) -> str:
    """`session-writes:<hash>`: the (position, event type) pairs of the session's latest commands
    on the Mastodon API, whose clients never send X-Consistency-Token back: the query side
    waits for them as it would for the token (read-your-writes per session, bounded)."""
    return f"session-writes:{key_hash}"


def bearer_secret(request: Any) -> str | None:
    """The token of an `Authorization: Bearer <token>` header; None without one (another scheme or
    none: anonymous). A malformed Bearer header is refused (401), never guessed at."""
    parts = get_authorization_header(request).split()
    if not parts or parts[0].lower() != KEYWORD.lower().encode():
        return None
    if len(parts) != 2 or len(parts[1]) > MAX_TOKEN_LENGTH:
        raise AuthenticationFailed("Invalid token header: give `Bearer <token>`.")
    try:
        return parts[1].decode("ascii")
    except UnicodeDecodeError as exc:
        raise AuthenticationFailed("Invalid token header: the token is ASCII.") from exc


BEARER_SCHEME_NAME = "bearerAuth"  # the OpenAPI security scheme of the token, on both sides
BEARER_SECURITY_DEFINITION = {
    "type": "http",
    "scheme": "bearer",
    "description": "A session token from auth/token or auth/register.",
}
