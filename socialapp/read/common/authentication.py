"""Authentication of query requests from the shared cache alone: no query on `default`.

The command side mirrors every live session into the cache (socialapp.common.sessions) and
deletes the record when the session ends, before the ending command answers: revocation is
immediate on both sides. A token without a record is refused (401), an expired one too. Use
slides the expiry here as on the command side, at most once per AUTH_TOKEN_TOUCH_SECONDS: the
last use goes into the cache (the record's timeout moves with it) and the periodic
`accounts.sync_sessions` task copies it to the table. A cache that cannot be reached answers 503:
the query side never falls back to the write database.

Our API's query views (`QueryView`) use `LocallyCachedSessionAuthentication`: the record and last
use a process fetched are reused for QUERY_AUTH_CACHE_SECONDS (1 s; 0 turns it off), so a
token used many times a second costs one cache round trip per second per process instead of one
per request (the round trip and its client work were a fifth of a home-feed request's Python
time). The price is a bound on revocation instead of "at once": a session ended by a command
stops answering queries within QUERY_AUTH_CACHE_SECONDS (commands refuse it at once). The
Mastodon face and the streaming server keep the per-request lookup: they read the session's
recent writes (read-your-writes without a consistency token), which must not be a second old.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, NamedTuple

from django.conf import settings
from django.core.cache import cache
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from socialapp.common.errors import ServiceUnavailable
from socialapp.common.scopes import FULL
from socialapp.common.sessions import (
    BEARER_SCHEME_NAME,
    KEYWORD,
    SessionRecord,
    bearer_secret,
    hash_token,
    last_use_key,
    recent_writes_key,
    session_key,
)

log = logging.getLogger(__name__)


class SessionUser:
    """The caller as a query view knows them: what the session record holds, nothing loaded."""

    is_authenticated = True
    is_anonymous = False
    is_active = True

    def __init__(self, record: SessionRecord) -> None:
        self.pk = self.id = record["user_id"]
        self.username = record["username"]
        self.email = record["email"]
        self.is_staff = record["is_staff"]
        self.is_superuser = record["is_superuser"]

    def __str__(self) -> str:
        return self.username


class QuerySession:
    """`request.auth` of a query request: which session, until when (epoch seconds), and what it
    may do (`scopes`, as the command side's AuthToken.scopes; a record without them: FULL)."""

    def __init__(self, record: SessionRecord, expires_at: float, *, recent_writes: list | None = None) -> None:
        self.pk = self.id = record["token_id"]
        self.expires_at = expires_at
        # (position, event type) pairs of this session's latest Mastodon commands (common/sessions.py).
        self.recent_writes: list[tuple[int, str]] = [(int(p), str(t)) for p, t in recent_writes or []]
        self.scopes: tuple[str, ...] = tuple((record.get("scopes") or FULL).split())


class CachedSessionAuthentication(BaseAuthentication):
    keyword = KEYWORD
    # The OpenAPI document's error responses (socialapp.common.schema.document_errors).
    schema_errors = {503: "Sessions cannot be checked right now (the shared cache is down); retry shortly"}

    def authenticate(self, request: Request) -> tuple[SessionUser, QuerySession] | None:
        secret = bearer_secret(request)
        return None if secret is None else self.authenticate_credentials(secret)

    def authenticate_credentials(self, secret: str) -> tuple[SessionUser, QuerySession]:
        key_hash = hash_token(secret)
        writes_key = recent_writes_key(key_hash)
        found = self._fetch([session_key(key_hash), last_use_key(key_hash), writes_key])
        record: SessionRecord | None = found.get(session_key(key_hash))
        if record is None:
            raise AuthenticationFailed("Invalid or expired token.")
        last_used = max(record["last_used_at"], float(found.get(last_use_key(key_hash)) or 0))
        expires_at, _ = self._check(key_hash, record, last_used)
        return SessionUser(record), QuerySession(record, expires_at, recent_writes=found.get(writes_key) or [])

    @staticmethod
    def _fetch(keys: list[str]) -> dict[str, Any]:
        """The session's keys in one cache round trip; 503 when the cache cannot answer."""
        try:
            return cache.get_many(keys)
        except Exception as exc:  # redis errors: sessions cannot be checked, and `default` is not an option
            log.warning("query authentication: cache unavailable (%s)", type(exc).__name__)
            raise ServiceUnavailable("Sessions cannot be checked right now; retry shortly.") from exc

    def _check(self, key_hash: str, record: SessionRecord, last_used: float) -> tuple[float, float]:
        """(expiry, last use) of a live session, renewed when due; 401 when it expired."""
        now = time.time()
        ttl = settings.AUTH_TOKEN_TTL_SECONDS
        expires_at = max(record["expires_at"], last_used + ttl)
        if now >= expires_at:
            raise AuthenticationFailed("Invalid or expired token.")
        if now - last_used >= settings.AUTH_TOKEN_TOUCH_SECONDS:
            return self._renew(session_key(key_hash), last_use_key(key_hash), now, ttl), now
        return expires_at, last_used

    @staticmethod
    def _renew(record_key: str, use_key: str, now: float, ttl: int) -> float:
        """Slide the expiry: `touch` only extends a record that still exists (a session ended
        meanwhile stays ended), then the last use is noted for the periodic copy to the table."""
        try:
            if cache.touch(record_key, ttl):
                cache.set(use_key, now, ttl)
        except Exception as exc:  # the request is authenticated; the renewal waits for the next use
            log.warning("query authentication: renewal not recorded (%s)", type(exc).__name__)
        return now + ttl

    def authenticate_header(self, request: Request) -> str:
        return KEYWORD


class _Held(NamedTuple):
    fetched: float  # time.monotonic() of the cache read
    record: SessionRecord
    last_used: float


class LocallyCachedSessionAuthentication(CachedSessionAuthentication):
    """`CachedSessionAuthentication` that reuses, in this process, what it read of a session for
    QUERY_AUTH_CACHE_SECONDS (module docstring: revocation within that bound). Only live sessions
    are held (a refused token is looked up again each time), at most MAX_HELD of them; the
    expiry is still checked and renewed on every request. `recent_writes` is not read: our
    API's queries take the consistency token instead."""

    MAX_HELD = 10_000
    _held: dict[str, _Held] = {}
    _lock = threading.Lock()

    def authenticate_credentials(self, secret: str) -> tuple[SessionUser, QuerySession]:
        seconds = settings.QUERY_AUTH_CACHE_SECONDS
        if seconds <= 0:
            return super().authenticate_credentials(secret)
        key_hash = hash_token(secret)
        now = time.monotonic()
        held = self._held.get(key_hash)
        if held is None or now - held.fetched >= seconds:
            found = self._fetch([session_key(key_hash), last_use_key(key_hash)])
            record: SessionRecord | None = found.get(session_key(key_hash))
            if record is None:
                self._held.pop(key_hash, None)
                raise AuthenticationFailed("Invalid or expired token.")
            last_used = max(record["last_used_at"], float(found.get(last_use_key(key_hash)) or 0))
            held = self._hold(key_hash, _Held(now, record, last_used))
        expires_at, last_used = self._check(key_hash, held.record, held.last_used)
        if last_used != held.last_used:  # renewed: not again until the next touch interval
            self._held[key_hash] = held._replace(last_used=last_used)
        return SessionUser(held.record), QuerySession(held.record, expires_at)

    @classmethod
    def _hold(cls, key_hash: str, held: _Held) -> _Held:
        with cls._lock:
            if len(cls._held) >= cls.MAX_HELD:  # drop what is too old to be used anyway, else all
                horizon = held.fetched - settings.QUERY_AUTH_CACHE_SECONDS
                stale = [k for k, v in cls._held.items() if v.fetched <= horizon]
                for key in stale or list(cls._held):
                    cls._held.pop(key, None)
            cls._held[key_hash] = held
        return held


class CachedSessionScheme(OpenApiAuthenticationExtension):
    """Query operations require the command side's `bearerAuth` scheme: one token serves both
    sides. The scheme itself is defined once, by the command side's extension (drf-spectacular
    keys a scheme by its authentication class, so a second definition under the same name would
    be a conflict); the schema always holds command operations, so the reference resolves."""

    target_class = CachedSessionAuthentication
    match_subclasses = True
    name: list[str] = []  # defines no scheme of its own

    def get_security_requirement(self, auto_schema: Any) -> dict[str, list[Any]]:
        return {BEARER_SCHEME_NAME: []}

    def get_security_definition(self, auto_schema: Any) -> list[dict[str, str]]:
        return []
