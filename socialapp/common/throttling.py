"""Rate limits whose counters live in the shared cache (Redis), so every process counts together.

Who the client is: DRF's `get_ident` with REST_FRAMEWORK["NUM_PROXIES"] (API_TRUSTED_PROXIES,
default 0), so a client-written X-Forwarded-For is ignored unless a trusted proxy appended it.
Credential endpoints get two counters each: per address (one client guessing many accounts) and
per submitted username, case-insensitively (many addresses guessing one account). The Django
admin's login form uses the same counters through `throttled_admin_login`.

The general rates (`anon`, `user`) count requests per window with one Redis round trip
(`WindowCounterMixin`); the credential throttles keep DRF's exact sliding log.

A cache outage must not take the API down: a throttle that cannot reach the cache lets the
request through and logs one warning line.
"""

from __future__ import annotations

import hashlib
import logging
import weakref
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from django.http import HttpRequest, HttpResponse
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

from socialapp.common.viewdocs import view_base

log = logging.getLogger(__name__)


class FailOpenMixin:
    """Let the request through when the cache is unreachable (availability over rate limiting)."""

    def allow_request(self, request: Any, view: Any) -> bool:
        try:
            return super().allow_request(request, view)  # type: ignore[misc]
        except Exception as exc:  # redis.ConnectionError, TimeoutError...: the cache, not the request
            log.warning("throttle %s: cache unavailable (%s); request allowed", type(self).__name__, type(exc).__name__)
            return True


class WindowCounterMixin:
    """A window counter instead of DRF's sliding log, for the general API rates that every
    request pays: INCR + EXPIRE NX + TTL in one Lua script on Redis (one round trip, atomic, O(1))
    instead of a GET and a SET of the list of every request's timestamp in the last period (up
    to `num_requests` floats unpickled and pickled again per request). A window opens with the
    client's first request and lasts one period (EXPIRE NX, Redis 7), so `num_requests` per
    window; a client may get up to twice the rate across two windows back to back: acceptable
    for rates that protect capacity, not credentials (those keep DRF's sliding log, below).
    Another cache backend falls back to `add` + `incr` (two round trips)."""

    rate: str | None
    num_requests: int
    duration: int
    cache: Any
    # (limit, requests counted in the window, seconds until it ends) once the request was counted:
    # what X-RateLimit-* headers announce (rate_limit_headers), at no extra round trip.
    window: tuple[int, int, float] | None = None

    def allow_request(self, request: Any, view: Any) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)  # type: ignore[attr-defined]
        if key is None:
            return True
        count, self.retry_after = self._count(f"{key}:n")  # not DRF's key: that one holds a list
        self.window = (self.num_requests, count, self.retry_after)
        return count <= self.num_requests

    def _count(self, key: str) -> tuple[int, float]:
        """Count this request in the client's window: (requests in it so far, seconds left)."""
        backend = getattr(self.cache, "_cache", None)
        if hasattr(backend, "get_client"):  # django.core.cache.backends.redis.RedisCache
            full_key = self.cache.make_and_validate_key(key)
            count, ttl = _window_script(backend, full_key)(keys=[full_key], args=[self.duration])
            return int(count), float(max(ttl, 0))
        self.cache.add(key, 0, self.duration)
        return int(self.cache.incr(key)), float(self.duration)

    def wait(self) -> float:
        return self.retry_after


# INCR, EXPIRE NX and TTL as one script: one command, atomic, no pipeline object per request.
_WINDOW_LUA = """
local n = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[1], 'NX')
return {n, redis.call('TTL', KEYS[1])}
"""
_scripts: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def _window_script(backend: Any, key: str) -> Any:
    """The window script registered once per cache backend (Django makes one backend per
    thread) on the client that backend keeps (socialapp.common.cache: one per pool), instead of a
    `register_script` (a SHA-1 of the source) per request. The script object runs EVALSHA, and
    loads the script once if the server does not know it (a restarted Redis included)."""
    script = _scripts.get(backend)
    if script is None:
        script = _scripts[backend] = backend.get_client(key, write=True).register_script(_WINDOW_LUA)
    return script


def rate_limit_headers(throttles: Iterable[Any], now: datetime | None = None) -> dict[str, str]:
    """Mastodon's X-RateLimit-Limit/-Remaining/-Reset for the most limited window counter that
    counted this request (none when no counter did, e.g. the cache was down): Reset is the ISO
    8601 time the window ends, with microseconds, as Mastodon writes it."""
    windows = [w for w in (getattr(t, "window", None) for t in throttles) if w is not None]
    if not windows:
        return {}
    limit, count, seconds_left = min(windows, key=lambda w: w[0] - w[1])
    reset = (now or datetime.now(UTC)) + timedelta(seconds=seconds_left)
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(max(limit - count, 0)),
        "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }


@view_base
class RateLimitHeadersMixin:
    """For an APIView: X-RateLimit-Limit/-Remaining/-Reset (`rate_limit_headers`) on every answer
    its throttles counted, a 429 included, from the counts the throttles' one Redis round trip
    already returned. Mixed into every API view base: both sides' (socialapp/read/common/views.py,
    socialapp/write/common/api.py), the Mastodon face's (socialapp/mastodon/common/views.py) and
    OAuth's (socialapp/write/oauth/api.py); `sends_rate_limit_headers` tells the OpenAPI document
    (socialapp/common/schema.py) to list them."""

    sends_rate_limit_headers: ClassVar[bool] = True

    def get_throttles(self) -> list[Any]:
        """The throttles DRF checks this request with, kept for their counts (the headers)."""
        self._throttles = super().get_throttles()  # type: ignore[misc]
        return self._throttles

    def finalize_response(self, request: Any, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        for name, value in rate_limit_headers(getattr(self, "_throttles", ())).items():
            response[name] = value
        return response


class AnonThrottle(FailOpenMixin, WindowCounterMixin, AnonRateThrottle):
    pass


class UserThrottle(FailOpenMixin, WindowCounterMixin, UserRateThrottle):
    pass


def submitted_username(request: Any) -> str | None:
    """The username a login or registration names: from the JSON body (DRF) or the form (admin)."""
    data = getattr(request, "data", None)
    if data is None:
        data = request.POST
    value = data.get("username") if hasattr(data, "get") else None
    return value if isinstance(value, str) and value else None


class AddressThrottle(FailOpenMixin, SimpleRateThrottle):
    """One counter per client address, for the view's `scope`."""

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class UsernameThrottle(FailOpenMixin, SimpleRateThrottle):
    """One counter per submitted username, case-insensitive (hashed: no raw input in cache keys)."""

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        username = submitted_username(request)
        if username is None:
            return None  # nothing to count; the serializer refuses the request
        digest = hashlib.sha256(username.lower().encode()).hexdigest()[:32]
        return self.cache_format % {"scope": self.scope, "ident": digest}


class LoginAddressThrottle(AddressThrottle):
    scope = "login"


class LoginUsernameThrottle(UsernameThrottle):
    scope = "login_username"


class RegisterAddressThrottle(AddressThrottle):
    scope = "register"


class RegisterUsernameThrottle(UsernameThrottle):
    scope = "register_username"


class AdminLoginAddressThrottle(AddressThrottle):
    scope = "admin_login"


class AdminLoginUsernameThrottle(UsernameThrottle):
    scope = "admin_login_username"


LOGIN_THROTTLES = [AnonThrottle, LoginAddressThrottle, LoginUsernameThrottle]
REGISTER_THROTTLES = [AnonThrottle, RegisterAddressThrottle, RegisterUsernameThrottle]
ADMIN_LOGIN_THROTTLES = [AdminLoginAddressThrottle, AdminLoginUsernameThrottle]


def throttled_admin_login(login_view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap AdminSite.login: a POST (a password attempt) counts against the admin login counters
    of its address and username; over either limit the answer is 429 with Retry-After."""

    def login(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if request.method == "POST":
            waits = []
            for throttle_class in ADMIN_LOGIN_THROTTLES:
                throttle = throttle_class()
                if not throttle.allow_request(request, None):
                    waits.append(throttle.wait() or 1)
            if waits:
                response = HttpResponse("Too many login attempts; try again later.", status=429)
                response["Retry-After"] = str(int(max(waits)) + 1)
                return response
        return login_view(request, extra_context)

    login.throttled = True  # type: ignore[attr-defined]
    return login
