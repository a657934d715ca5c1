"""Who is connecting: the same bearer tokens as every query request, from the shared session cache.

Mastodon's clients send the token as `Authorization: Bearer`, as the `access_token` query
parameter (browsers' EventSource and WebSocket can't set headers), or, on a WebSocket, as the
`Sec-WebSocket-Protocol` header. The check is the query side's own
(CachedSessionAuthentication.authenticate_credentials: no query on `default`), run on a thread;
a stream re-runs it every STREAMING_AUTH_RECHECK_SECONDS, so a revoked or expired token's stream
ends (hub.Connection.housekeeping).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rest_framework.exceptions import AuthenticationFailed

from socialapp.common import scopes as scope_rules
from socialapp.common.errors import ServiceUnavailable
from socialapp.read.common.authentication import CachedSessionAuthentication
from socialapp.streaming.blocking import run_sync
from socialapp.streaming.channels import Channel, StreamError


@dataclass(frozen=True)
class Viewer:
    user_id: int
    username: str
    scopes: tuple[str, ...]
    secret: str


def token_from(headers: Mapping[str, str], query: Mapping[str, str], *, websocket: bool = False) -> str | None:
    """The bearer secret a request carries, if any (header first, as Mastodon's server)."""
    authorization = headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip() or None
    if query.get("access_token"):
        return query["access_token"]
    if websocket:
        protocol = headers.get("sec-websocket-protocol", "").strip()
        if protocol and "," not in protocol:
            return protocol
    return None


def _check(secret: str) -> Viewer:
    user, session = CachedSessionAuthentication().authenticate_credentials(secret)
    return Viewer(user_id=int(user.pk), username=user.username, scopes=session.scopes, secret=secret)


async def authenticate(secret: str | None) -> Viewer | None:
    """The viewer of a token (None for no token); StreamError 401 for a bad one, 503 when the
    session cache can't be reached."""
    if secret is None:
        return None
    try:
        return await run_sync(_check, secret)
    except AuthenticationFailed as exc:
        raise StreamError(401, "Invalid access token") from exc
    except ServiceUnavailable as exc:
        raise StreamError(503, "Sessions cannot be checked right now; retry shortly.") from exc


async def still_valid(viewer: Viewer) -> bool | None:
    """Whether the token still authenticates the same user (None: can't tell right now)."""
    try:
        again = await run_sync(_check, viewer.secret)
    except AuthenticationFailed:
        return False
    except ServiceUnavailable:
        return None
    return again.user_id == viewer.user_id


def authorise(viewer: Viewer | None, channel: Channel) -> None:
    """Mastodon's rules: user streams need a token; any stream opened with a token needs the
    stream's read scope (a token without it may not stream even public statuses). Public and
    hashtag streams are open to anonymous clients, as the public and tag timelines are
    (socialapp.mastodon.queries.timelines)."""
    if viewer is None:
        if channel.needs_user:
            raise StreamError(401, "Missing access token")
        return
    if not scope_rules.covers(viewer.scopes, channel.required_scope):
        raise StreamError(401, "Access token does not have the required scopes")
