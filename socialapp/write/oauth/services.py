"""OAuth commands: register an application, issue and exchange authorization codes, run the
password and client_credentials grants, revoke (docs/oauth.md).

A user's token from any grant is an ordinary session (accounts.AuthToken, issued by the account
services with the granted scope and the application), so it is hashed, expires and slides like
every session, is mirrored to the cache for the query side, and ends at once on both sides when
revoked. Credentials, not domain state: no events.

Failures raise `OAuthError` with the RFC 6749 error code; the views render it as OAuth does
(`{"error": ..., "error_description": ...}`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from socialapp.common import scopes as scope_rules
from socialapp.common.errors import Conflict, InvalidCredentials
from socialapp.common.sessions import hash_token
from socialapp.write.accounts.models import AuthToken, User
from socialapp.write.accounts.services import may_log_in, sessions_end, token_issue, token_obtain, user_register
from socialapp.write.oauth.models import Application, AppToken, AuthorizationCode

OOB = "urn:ietf:wg:oauth:2.0:oob"
CODE_TTL = timedelta(minutes=10)  # RFC 6749 4.1.2: "a maximum authorization code lifetime of 10 minutes"
NAME_MAX, WEBSITE_MAX, URI_MAX, URIS_MAX = 200, 500, 500, 10
PKCE_METHODS = ("S256", "plain")


class OAuthError(Exception):
    """An OAuth refusal: `error` is RFC 6749's code, `status` the HTTP status it answers with."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


def parse_scopes(text: Any, *, default: str = scope_rules.DEFAULT) -> tuple[str, ...]:
    if text is not None and not isinstance(text, str):
        raise OAuthError("invalid_scope", "`scope` is a space-separated string.")
    try:
        return scope_rules.parse(text, default=default)
    except ValueError as exc:
        raise OAuthError("invalid_scope", str(exc)) from exc


def grantable(app: Application, requested: Any) -> str:
    """The scope to grant: what was asked (`read` when nothing was, as Mastodon's default), all
    within what the app registered; asking for more is `invalid_scope`."""
    wanted = parse_scopes(requested)
    if not scope_rules.subset(wanted, app.scope_tuple):
        raise OAuthError("invalid_scope", "The requested scope exceeds the application's scopes.")
    return " ".join(wanted)


# --------------------------------------------------------------------------- applications
def _clean_redirect_uris(value: Any) -> list[str]:
    if isinstance(value, str):
        uris = value.split()
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        uris = [u for v in value for u in v.split()]
    else:
        uris = []
    if not uris:
        raise OAuthError("invalid_request", "`redirect_uris` is required.", 422)
    if len(uris) > URIS_MAX:
        raise OAuthError("invalid_request", f"At most {URIS_MAX} redirect URIs.", 422)
    for uri in uris:
        try:
            parts = urlsplit(uri)
        except ValueError:  # e.g. an unbalanced `[` in the host ("Invalid IPv6 URL")
            raise OAuthError("invalid_request", f"Invalid redirect URI: {uri[:100]}", 422) from None
        if len(uri) > URI_MAX or (uri != OOB and not (parts.scheme and (parts.netloc or parts.path))):
            raise OAuthError("invalid_request", f"Invalid redirect URI: {uri[:100]}", 422)
        if parts.fragment:
            raise OAuthError("invalid_request", "A redirect URI has no fragment.", 422)
    return list(dict.fromkeys(uris))


@transaction.atomic
def app_create(*, name: Any, redirect_uris: Any, scopes: Any = None, website: Any = None) -> tuple[Application, str]:
    """Register a client: its application and the client secret (returned once, kept hashed)."""
    if not isinstance(name, str) or not name.strip() or len(name) > NAME_MAX:
        raise OAuthError("invalid_request", f"`client_name` is required (at most {NAME_MAX} characters).", 422)
    if website is not None and (not isinstance(website, str) or len(website) > WEBSITE_MAX):
        raise OAuthError("invalid_request", "`website` is a URL.", 422)
    uris = _clean_redirect_uris(redirect_uris)
    granted = parse_scopes(scopes)
    secret = secrets.token_urlsafe(32)
    app = Application.objects.create(
        name=name.strip(),
        website=(website or "").strip(),
        redirect_uris="\n".join(uris),
        scopes=" ".join(granted),
        client_id=secrets.token_urlsafe(32),
        client_secret_hash=hash_token(secret),
        created_at=timezone.now(),
    )
    return app, secret


def app_authenticate(client_id: Any, client_secret: Any) -> Application:
    """The application these client credentials name; `invalid_client` (401) otherwise."""
    if not isinstance(client_id, str) or not isinstance(client_secret, str) or not client_id or not client_secret:
        raise OAuthError("invalid_client", "Client authentication failed.", 401)
    if "\x00" in client_id:  # HTTP Basic credentials bypass the body's NUL check
        raise OAuthError("invalid_client", "Client authentication failed.", 401)
    app = Application.objects.filter(client_id=client_id).first()
    if app is None or not hmac.compare_digest(app.client_secret_hash, hash_token(client_secret)):
        raise OAuthError("invalid_client", "Client authentication failed.", 401)
    return app


def app_find(client_id: Any) -> Application | None:
    if not isinstance(client_id, str) or "\x00" in client_id:
        return None
    return Application.objects.filter(client_id=client_id).first()


@transaction.atomic
def app_delete(*, app_id: int) -> None:
    """Delete an application: its sessions end on both sides first (cache records too), then
    the rows (codes and app tokens go with it)."""
    sessions_end(AuthToken.objects.filter(application_id=app_id))
    Application.objects.filter(pk=app_id).delete()


# --------------------------------------------------------------------------- authorization codes
def check_redirect_uri(app: Application, redirect_uri: Any) -> str:
    """The redirect URI, if registered for the app (exact match, RFC 6749 3.1.2.3)."""
    uris = app.redirect_uri_list
    if not redirect_uri and len(uris) == 1:
        return uris[0]
    if not isinstance(redirect_uri, str) or redirect_uri not in uris:
        raise OAuthError("invalid_grant", "The redirect URI is not one registered for this application.")
    return redirect_uri


def check_pkce_request(challenge: Any, method: Any) -> tuple[str, str]:
    """PKCE is optional (used when a challenge comes); `plain` when no method is named (RFC 7636 4.3)."""
    if not challenge:
        return "", ""
    method = method or "plain"
    if method not in PKCE_METHODS:
        raise OAuthError("invalid_request", "`code_challenge_method` is S256 or plain.")
    if not isinstance(challenge, str) or not 43 <= len(challenge) <= 128:
        raise OAuthError("invalid_request", "`code_challenge` is 43 to 128 characters.")
    return challenge, method


@transaction.atomic
def code_issue(
    *, app: Application, user: User, redirect_uri: str, scope: str, challenge: str = "", method: str = ""
) -> str:
    """The user approved the app: a single-use code for the redirect (or the OOB page)."""
    code = secrets.token_urlsafe(32)
    now = timezone.now()
    AuthorizationCode.objects.filter(expires_at__lte=now).delete()  # the table holds live codes only
    AuthorizationCode.objects.create(
        code_hash=hash_token(code),
        application=app,
        user=user,
        redirect_uri=redirect_uri,
        scopes=scope,
        code_challenge=challenge,
        code_challenge_method=method,
        expires_at=now + CODE_TTL,
    )
    return code


def _pkce_matches(verifier: str, challenge: str, method: str) -> bool:
    if method == "S256":
        digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
        computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        return hmac.compare_digest(computed, challenge)
    return hmac.compare_digest(verifier, challenge)


@transaction.atomic
def code_exchange(*, app: Application, code: Any, redirect_uri: Any, verifier: Any) -> tuple[str, str]:
    """Exchange a code for a session token: (token, granted scope). The code is deleted whatever
    the outcome once found (single use: a replayed or mismatched code is spent)."""
    if not isinstance(code, str) or not code:
        raise OAuthError("invalid_request", "`code` is required.")
    grant = (
        AuthorizationCode.objects.select_for_update()
        .select_related("user")
        .filter(code_hash=hash_token(code), application=app)
        .first()
    )
    if grant is None:
        raise OAuthError("invalid_grant", "The authorization code is invalid, used or expired.")
    grant.delete()
    if grant.expires_at <= timezone.now():
        raise OAuthError("invalid_grant", "The authorization code is invalid, used or expired.")
    if (redirect_uri or grant.redirect_uri) != grant.redirect_uri:
        raise OAuthError("invalid_grant", "The redirect URI differs from the authorization request's.")
    if grant.code_challenge:
        if not isinstance(verifier, str) or not verifier:
            raise OAuthError("invalid_grant", "`code_verifier` is required (PKCE).")
        if not _pkce_matches(verifier, grant.code_challenge, grant.code_challenge_method):
            raise OAuthError("invalid_grant", "The PKCE code verifier does not match.")
    if not may_log_in(grant.user):
        raise OAuthError("invalid_grant", "The account may not log in.")
    token = token_issue(user=grant.user, label=app.name[:100], scope=grant.scopes, application=app)
    return token, grant.scopes


# --------------------------------------------------------------------------- other grants
def password_grant(*, app: Application, username: Any, password: Any, scope: Any) -> tuple[str, str]:
    """Resource owner password credentials: a username or an e-mail address in `username`."""
    granted = grantable(app, scope)
    if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
        raise OAuthError("invalid_request", "`username` and `password` are required.")
    try:
        _, token = token_obtain(
            username=username, password=password, label=app.name[:100], by_email=True, scope=granted, application=app
        )
    except InvalidCredentials as exc:
        raise OAuthError("invalid_grant", "Unknown username or wrong password.") from exc
    return token, granted


@transaction.atomic
def client_credentials_grant(*, app: Application, scope: Any) -> tuple[str, str]:
    """A token of the application itself (no user): AppToken, never a session."""
    granted = grantable(app, scope)
    secret = secrets.token_urlsafe(32)
    now = timezone.now()
    AppToken.objects.filter(application=app, expires_at__lte=now).delete()
    AppToken.objects.create(
        application=app,
        key_hash=hash_token(secret),
        scopes=granted,
        created_at=now,
        expires_at=now + timedelta(seconds=settings.AUTH_TOKEN_TTL_SECONDS),
    )
    return secret, granted


# --------------------------------------------------------------------------- sign-up through an app
def email_taken(email: str) -> bool:
    """An account has this address already (case-insensitive, as logins by e-mail compare it)."""
    return User.objects.filter(email__iexact=email).exists()


@transaction.atomic
def app_sign_up(*, app: Application, username: str, email: str, password: str) -> tuple[User, str, str]:
    """`POST /api/v1/accounts`: register a user (the accounts service: its checks, its event)
    and issue the app a session for them, with the app's scopes, as Mastodon's AppSignUpService
    does: (user, token, scope). One transaction: a refusal leaves no user, event or session.

    E-mail addresses are unique to registrations made here (Mastodon's rule, and a login by
    e-mail names one account only when its address is unique): a transaction-scoped advisory
    lock on the address serializes two sign-ups racing for it (the column has no unique index:
    accounts made through our own API may share one). A taken address is a Conflict on `email`,
    as the accounts service's taken username is a Conflict on `username`."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"sign-up-email:{email.lower()}"])
    if email_taken(email):
        raise Conflict("This e-mail address is taken.", errors={"email": ["This e-mail address is taken."]})
    user = user_register(username=username, email=email, password=password)
    scope = " ".join(app.scope_tuple)
    token = token_issue(user=user, label=app.name[:100], scope=scope, application=app)
    return user, token, scope


@transaction.atomic
def token_revoke(*, app: Application, token: Any) -> None:
    """RFC 7009: revoke a token the app was issued (a session ends at once on both sides; an app
    token is deleted). Unknown tokens, or another client's, change nothing and are no error."""
    if not isinstance(token, str) or not token:
        raise OAuthError("invalid_request", "`token` is required.")
    key_hash = hash_token(token)
    sessions_end(AuthToken.objects.filter(key_hash=key_hash, application=app))
    AppToken.objects.filter(key_hash=key_hash, application=app).delete()


def application_of_token(secret: str) -> tuple[Application, tuple[str, ...]] | None:
    """For `verify_credentials`: the application of a live app token or OAuth session."""
    now = timezone.now()
    key_hash = hash_token(secret)
    app_token = AppToken.objects.select_related("application").filter(key_hash=key_hash, expires_at__gt=now).first()
    if app_token is not None:
        return app_token.application, tuple(app_token.scopes.split())
    session = (
        AuthToken.objects.select_related("application", "user")
        .filter(key_hash=key_hash, expires_at__gt=now, application__isnull=False)
        .first()
    )
    if session is None or not may_log_in(session.user):
        return None
    return session.application, session.scopes
