"""API authentication: a session token, presented as `Authorization: Bearer <token>`.

The token is looked up by its SHA-256 (socialapp.write.accounts.models.AuthToken): one indexed
SELECT on `default` joining the user, in hand-written SQL (it runs on every command). Command views only: query views authenticate from the
shared cache (socialapp.read.common.authentication) and never read `default`. An expired
session, or one whose user is deactivated or suspended, is refused. Use moves the expiry
forward (sliding lifetime), written at most once per AUTH_TOKEN_TOUCH_SECONDS per token.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from socialapp.common import prepared, rows
from socialapp.common.sessions import (
    BEARER_SCHEME_NAME,
    BEARER_SECURITY_DEFINITION,
    KEYWORD,
    bearer_secret,
    hash_token,
)


def _live_token(model: type[Any], key_hash: str, now: datetime) -> Any:
    """The unexpired session of this hash with its user (`token.user`), or None: one indexed
    SELECT joining the user, written out once (socialapp.common.rows) rather than compiled
    by the ORM on every command request."""
    user_model = model._meta.get_field("user").related_model
    split = rows.width(model)
    with prepared.cursor() as cursor:  # prepared once per connection (WRITE_DATABASE_PREPARED)
        cursor.execute(
            f"SELECT {rows.columns(model, 't')}, {rows.columns(user_model, 'u')} FROM accounts_auth_token t"
            " JOIN accounts_user u ON u.id = t.user_id WHERE t.key_hash = %s AND t.expires_at > %s LIMIT 1",
            [key_hash, now],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    token = rows.instance(model, row[:split])
    token.user = rows.instance(user_model, row[split:])
    return token


class BearerTokenAuthentication(BaseAuthentication):
    keyword = KEYWORD

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        secret = bearer_secret(request)
        return None if secret is None else self.authenticate_credentials(secret)

    def authenticate_credentials(self, secret: str) -> tuple[Any, Any]:
        from socialapp.write.accounts.models import AuthToken
        from socialapp.write.accounts.services import may_log_in, token_touch

        now = timezone.now()
        token = _live_token(AuthToken, hash_token(secret), now)
        if token is None or not may_log_in(token.user):
            raise AuthenticationFailed("Invalid or expired token.")
        if (now - token.last_used_at).total_seconds() >= settings.AUTH_TOKEN_TOUCH_SECONDS:
            token_touch(token_id=token.pk, now=now)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return KEYWORD


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """The OpenAPI security scheme of the Bearer session token (Swagger UI's Authorize button)."""

    target_class = BearerTokenAuthentication
    name = BEARER_SCHEME_NAME

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return dict(BEARER_SECURITY_DEFINITION)
