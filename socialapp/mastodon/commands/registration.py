"""Registration through an application, as Mastodon's (docs/mastodon-commands.md):

- `POST /api/v1/accounts` (Mastodon.py `create_account`, toot `register`): an APP token from
  the client_credentials grant with `write:accounts` (or `write`); a user's token is a 403, none
  a 401. Params (form or JSON): username, email, password, agreement (must be true), locale,
  reason (kept nowhere: registrations need no approval here), date_of_birth (no minimum age:
  ignored). Answers the new user's token for that app exactly as `POST /oauth/token` does,
  with the app's scopes (Mastodon's AppSignUpService). Refusals are Mastodon's 422, its `error`
  text and `details` (field -> [{"error": "ERR_...", "description"}]: Mastodon.py's
  `return_detailed_error`), every field checked at once; nothing is written. The registration
  throttles count (per address and per username); MASTODON_REGISTRATIONS_OPEN=false closes the
  route (403, as Mastodon's `check_enabled_registrations`) and the instance documents say so.
- `POST /api/v1/emails/confirmations`: 200 `{}`. We send no confirmation e-mails and accounts
  need none, so there is nothing to resend (Mastodon.py `email_resend_confirmation`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.urls import URLPattern, path
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from socialapp.common import scopes as scope_rules
from socialapp.common import throttling
from socialapp.common.errors import Conflict, NotAuthorized, ValidationFailed
from socialapp.common.request_schema import boolean, request_body
from socialapp.common.sessions import hash_token
from socialapp.common.text import USERNAME_PATTERN
from socialapp.mastodon.commands.base import CommandView
from socialapp.mastodon.commands.params import body
from socialapp.mastodon.common.dispatch import by_method
from socialapp.mastodon.common.errors import OutOfScope
from socialapp.mastodon.common.params import as_bool
from socialapp.write.accounts.models import User
from socialapp.write.accounts.services import EMAIL_MAX
from socialapp.write.oauth import services as oauth
from socialapp.write.oauth.authentication import AppCredentials, AppTokenAuthentication

USERNAME_MAX = 30
PASSWORD_MAX = 72  # Mastodon's (bcrypt's) limit; it also bounds the hashing work
CLOSED = "This action is not allowed"  # Mastodon's `forbidden`
_USERNAME_CHARS = re.compile(r"[A-Za-z0-9_]*")
_LOCALE = re.compile(r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*")
_PASSWORD_WORDS = {  # Django's validators -> Mastodon-style descriptions (all ERR_INVALID)
    "password_too_common": "is too common",
    "password_entirely_numeric": "is entirely numeric",
}

Details = dict[str, list[dict[str, str]]]


def registrations_open() -> bool:
    return bool(getattr(settings, "MASTODON_REGISTRATIONS_OPEN", True))


class AppScope(BasePermission):
    """An app token covering `write:accounts` (Mastodon: `doorkeeper_authorize! :write,
    :'write:accounts'`); no token is a 401, a narrower one a 403."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not isinstance(request.auth, AppCredentials):
            raise NotAuthenticated()
        if not scope_rules.covers(request.auth.scopes, "write:accounts"):
            raise OutOfScope()
        return True


def _add(details: Details, field: str, code: str, description: str) -> None:
    details.setdefault(field, []).append({"error": code, "description": description})


def _text(data: Mapping[str, Any], field: str, details: Details) -> str | None:
    """A required text field: None (with ERR_BLANK or ERR_INVALID noted) when it is unusable."""
    value = data.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        _add(details, field, "ERR_BLANK", "can't be blank")
        return None
    if not isinstance(value, str) or "\x00" in value:
        _add(details, field, "ERR_INVALID", "is invalid")
        return None
    return value


def _check_username(username: str, details: Details) -> None:
    if len(username) > USERNAME_MAX:
        _add(details, "username", "ERR_TOO_LONG", f"is too long (maximum is {USERNAME_MAX} characters)")
    elif not _USERNAME_CHARS.fullmatch(username):
        _add(details, "username", "ERR_INVALID", "must contain only letters, numbers and underscores")
    elif not re.fullmatch(USERNAME_PATTERN, username):
        _add(details, "username", "ERR_TOO_SHORT", "is too short (minimum is 3 characters)")
    elif User.objects.filter(username__iexact=username).exists():
        _add(details, "username", "ERR_TAKEN", "has already been taken")


def _check_email(email: str, details: Details) -> None:
    if len(email) > EMAIL_MAX:
        _add(details, "email", "ERR_TOO_LONG", f"is too long (maximum is {EMAIL_MAX} characters)")
        return
    try:
        validate_email(email)
    except DjangoValidationError:
        _add(details, "email", "ERR_INVALID", "is invalid")
        return
    if oauth.email_taken(email):
        _add(details, "email", "ERR_TAKEN", "has already been taken")


def _check_password(password: str, username: str | None, email: str | None, details: Details) -> None:
    if len(password) > PASSWORD_MAX:
        _add(details, "password", "ERR_TOO_LONG", f"is too long (maximum is {PASSWORD_MAX} characters)")
        return
    try:
        validate_password(password, user=User(username=username or "", email=email or ""))
    except DjangoValidationError as exc:
        for error in exc.error_list:
            params = error.params or {}
            if error.code == "password_too_short":
                minimum = params.get("min_length", 8)
                _add(details, "password", "ERR_TOO_SHORT", f"is too short (minimum is {minimum} characters)")
            elif error.code == "password_too_similar":
                _add(
                    details, "password", "ERR_INVALID", f"is too similar to the {params.get('verbose_name', 'account')}"
                )
            else:
                message = _PASSWORD_WORDS.get(error.code or "") or " ".join(error.messages)
                _add(details, "password", "ERR_INVALID", message)


def registration_details(data: Mapping[str, Any]) -> Details:
    """Every refusal of these params at once, in Mastodon's categories (empty: acceptable)."""
    details: Details = {}
    username = _text(data, "username", details)
    if username is not None:
        _check_username(username, details)
    email = _text(data, "email", details)
    if email is not None:
        _check_email(email, details)
    password = _text(data, "password", details)
    if password is not None:
        _check_password(password, username, email, details)
    try:
        agreed = as_bool(data.get("agreement"), field="agreement")
    except ValidationFailed:
        agreed = False
    if not agreed:
        _add(details, "agreement", "ERR_ACCEPTED", "must be accepted")
    locale = data.get("locale")
    if locale not in (None, "") and not (isinstance(locale, str) and _LOCALE.fullmatch(locale)):
        _add(details, "locale", "ERR_INCLUSION", "is not included in the list")
    return details


def refusal(details: Details) -> Response:
    """Mastodon's 422 (ValidationErrorFormatter): Rails' full messages, then the details."""
    messages = [f"{field.capitalize()} {e['description']}" for field, errors in details.items() for e in errors]
    return Response({"error": "Validation failed: " + ", ".join(messages), "details": details}, status=422)


def _password_min_length() -> int:
    for validator in settings.AUTH_PASSWORD_VALIDATORS:
        if validator["NAME"].endswith("MinimumLengthValidator"):
            return int(validator.get("OPTIONS", {}).get("min_length", 8))
    return 1


REGISTRATION_BODY = request_body(
    {
        "username": {"type": "string", "pattern": f"^{USERNAME_PATTERN}$", "description": "Not taken (any case)"},
        "email": {"type": "string", "format": "email", "maxLength": EMAIL_MAX, "description": "Not taken"},
        "password": {
            "type": "string",
            "minLength": _password_min_length(),
            "maxLength": PASSWORD_MAX,
            "pattern": "^[^\\x00]*[^\\x00\\s\\d][^\\x00]*$",
            "description": "Not entirely numeric, not too common, not too similar to the username or e-mail",
        },
        "agreement": boolean("The server's terms, accepted", only=True, nullable=False),
        "locale": {
            "type": "string",
            "pattern": f"^({_LOCALE.pattern})?$",
            "nullable": True,
            "description": "Accepted and kept nowhere",
        },
        "reason": {"description": "Kept nowhere: registrations need no approval here"},
        "date_of_birth": {"description": "Ignored: there is no minimum age"},
    },
    required=("username", "email", "password", "agreement"),
)


class RegisterView(CommandView):
    authentication_classes = [AppTokenAuthentication]
    schema_bodies: ClassVar[dict[str, Any]] = {"POST": REGISTRATION_BODY}
    permission_classes = [AppScope]
    throttle_classes = throttling.REGISTER_THROTTLES
    schema_errors = {
        403: "Registrations are closed (MASTODON_REGISTRATIONS_OPEN=false), or the app lacks write:accounts"
    }

    def post(self, request: Request) -> Response:
        if not registrations_open():
            raise NotAuthorized(CLOSED)
        data = body(request)
        details = registration_details(data)
        if details:
            return refusal(details)
        try:
            _, token, scope = oauth.app_sign_up(
                app=request.auth.application, username=data["username"], email=data["email"], password=data["password"]
            )
        except Conflict as exc:  # a race the checks above could not see
            for field in exc.errors or {"username": []}:
                _add(details, field, "ERR_TAKEN", "has already been taken")
            return refusal(details)
        except ValidationFailed as exc:  # a rule of the accounts service the checks above lack
            for field, messages in (exc.errors or {"username": [exc.detail]}).items():
                _add(details, field, "ERR_INVALID", " ".join(messages))
            return refusal(details)
        self.writes_for = hash_token(token)  # the new session reads its own registration
        body_out = {"access_token": token, "token_type": "Bearer", "scope": scope, "created_at": int(time.time())}
        return Response(body_out, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


class EmailConfirmationView(CommandView):
    """Nothing to resend: no confirmation e-mails here, and accounts need none."""

    scopes: ClassVar[dict[str, str]] = {"POST": "write:accounts"}

    def post(self, request: Request) -> Response:
        return Response({})


# POST api/v1/accounts (RegisterView) shares its path with the batch of accounts (GET, a query):
# socialapp/mastodon/urls.py mounts it.
urlpatterns: list[URLPattern] = [
    path(
        "api/v1/emails/confirmations",
        by_method(post=EmailConfirmationView.as_view()),
        name="mastodon-email-confirmations",
    ),
]
