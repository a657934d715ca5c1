"""Authentication by an application's own token (client_credentials, AppToken), for the few
routes an application calls as itself: `POST /api/v1/accounts` (registration through an app).

Only the views that name `AppTokenAuthentication` accept app tokens; every other view
authenticates sessions only (socialapp.write.accounts.authentication, the query side's cache),
where an app token is an unknown token (401). Here it is the reverse: the request stays
anonymous (`request.user` is AnonymousUser, so no app token can act as a user), `request.auth`
is an `AppCredentials`, and a user's session is refused with a 403 that says what is needed
(a 401 would tell the client its token had expired).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied
from rest_framework.request import Request

from socialapp.common.sessions import KEYWORD, bearer_secret, hash_token
from socialapp.write.oauth.models import Application, AppToken

APP_TOKEN_REQUIRED = "This method requires an app token"


@dataclass(frozen=True)
class AppCredentials:
    """What an app token proves: which application calls, with which scopes. No session: no
    `key_hash`, so nothing is remembered for read-your-writes under it."""

    application: Application
    scopes: tuple[str, ...]
    key_hash: None = None


class AppTokenAuthentication(BaseAuthentication):
    keyword = KEYWORD

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        secret = bearer_secret(request)
        if secret is None:
            return None
        from socialapp.write.accounts.models import AuthToken

        now, key_hash = timezone.now(), hash_token(secret)
        token = AppToken.objects.select_related("application").filter(key_hash=key_hash, expires_at__gt=now).first()
        if token is not None:
            return AnonymousUser(), AppCredentials(application=token.application, scopes=tuple(token.scopes.split()))
        if AuthToken.objects.filter(key_hash=key_hash, expires_at__gt=now).exists():
            raise PermissionDenied(APP_TOKEN_REQUIRED)
        raise AuthenticationFailed("Invalid or expired token.")

    def authenticate_header(self, request: Request) -> str:
        return KEYWORD


class AppTokenScheme(OpenApiAuthenticationExtension):
    """The same Bearer scheme in the OpenAPI document (the token differs, not the header)."""

    target_class = AppTokenAuthentication
    name = "appTokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "An application token (client_credentials)."}
