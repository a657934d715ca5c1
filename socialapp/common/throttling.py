"""Rate limits whose counters live in the shared cache (Redis), so every process counts together.

Who the client is: DRF's `get_ident` with REST_FRAMEWORK["NUM_PROXIES"] (API_TRUSTED_PROXIES,
default 0), so a client-written X-Forwarded-For is ignored unless a trusted proxy appended it.
Credential endpoints get two counters each: per address (one client guessing many accounts) and
per submitted username, case-insensitively (many addresses guessing one account). The Django
admin's login form uses the same counters through `throttled_admin_login`.

A cache outage must not take the API down: a throttle that cannot reach the cache lets the
request through and logs one warning line.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

log = logging.getLogger(__name__)


class FailOpenMixin:
    """Let the request through when the cache is unreachable (availability over rate limiting)."""

    def allow_request(self, request: Any, view: Any) -> bool:
        try:
            return super().allow_request(request, view)  # type: ignore[misc]
        except Exception as exc:  # redis.ConnectionError, TimeoutError...: the cache, not the request
            log.warning("throttle %s: cache unavailable (%s); request allowed", type(self).__name__, type(exc).__name__)
            return True


class AnonThrottle(FailOpenMixin, AnonRateThrottle):
    pass


class UserThrottle(FailOpenMixin, UserRateThrottle):
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
