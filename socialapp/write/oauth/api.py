"""The OAuth JSON endpoints Mastodon clients call: register an app, check an app's token, the
token endpoint (three grants) and revocation. Thin: socialapp.write.oauth.services decides.

Bodies come as forms (Mastodon.py) or JSON (toot); unknown fields are ignored. Errors are
OAuth's `{"error", "error_description"}` on the token and revoke endpoints, Mastodon's
`{"error": "..."}` on the app routes.
"""

from __future__ import annotations

import base64
import binascii
import re
import time
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions as drf
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from socialapp.common import scopes as scope_rules
from socialapp.common import throttling
from socialapp.common.parsers import JSONParser
from socialapp.common.request_schema import request_body
from socialapp.common.sessions import bearer_secret
from socialapp.common.text import NO_NUL
from socialapp.write.oauth import services
from socialapp.write.oauth.models import Application
from socialapp.write.oauth.services import NAME_MAX, URI_MAX, URIS_MAX, WEBSITE_MAX, OAuthError

INVALID_TOKEN = "The access token is invalid"


# The OpenAPI document: Mastodon's tag and id shape (`mastodon_...`, as socialapp.mastodon's schema
# class gives its views), the bodies as the services check them, free-form answers (Mastodon's
# Application and Token entities, docs.joinmastodon.org).
def oauth_schema(operation_id: str, summary: str, request: Any = None) -> Any:
    return extend_schema(
        operation_id=f"mastodon_{operation_id}",
        tags=["mastodon: oauth"],
        summary=summary,
        request=request,
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="A Mastodon entity (docs.joinmastodon.org)")},
    )


def _string(description: str, **extra: Any) -> dict[str, Any]:
    """A text field: no NUL anywhere in an OAuth body (OAuthView.initial refuses one, 400)."""
    return {"type": "string", "pattern": NO_NUL, "description": description, **extra}


CLIENT = {
    "client_id": _string("The app's client_id (or HTTP Basic credentials)"),
    "client_secret": _string("The app's client_secret"),
}
# A URI urlsplit reads with a scheme and a host or a path, no fragment (services._clean_redirect_uris).
_URI = r"[A-Za-z][A-Za-z0-9+.\-]*:(//[^/?#\s\x00-\x20\x7F-\x9F\[\]]+[^#\s\x00-\x20\x7F-\x9F]*|(?!//)[^?#\s\x00-\x20\x7F-\x9F][^#\s\x00-\x20\x7F-\x9F]*)"
_OOB = re.escape(services.OOB)
_SCOPES = "(" + "|".join(sorted(scope_rules.KNOWN)) + ")"
SCOPES = {
    "type": "string",
    "pattern": rf"^[ +]*({_SCOPES}([ +]+{_SCOPES})*)?[ +]*$",
    "maxLength": 1000,
    "nullable": True,
    "description": "Space- (or plus-) separated scopes; blank or absent: read",
}
APP_BODY = request_body(
    {
        "client_name": {
            "type": "string",
            "maxLength": NAME_MAX,
            "pattern": "^[^\\x00]*[^\\s\\x00][^\\x00]*$",
            "description": "The app's name (not blank)",
        },
        "redirect_uris": {
            "anyOf": [
                {"type": "string", "pattern": rf"^ *({_URI}|{_OOB}) *$", "maxLength": URI_MAX},
                {
                    "type": "array",
                    "items": {"type": "string", "pattern": rf"^({_URI}|{_OOB})$", "maxLength": URI_MAX},
                    "minItems": 1,
                    "maxItems": URIS_MAX,
                },
            ],
            "description": f"Where to send the user back (`{services.OOB}`: show the code); at most {URIS_MAX}",
        },
        "scopes": SCOPES,
        "website": _string("The app's site", maxLength=WEBSITE_MAX, nullable=True),
    },
    required=("client_name", "redirect_uris"),
)
TOKEN_BODY = request_body(
    {
        "grant_type": {"type": "string", "enum": ["authorization_code", "password", "client_credentials"]},
        **CLIENT,
        "code": _string("authorization_code: the code from /oauth/authorize"),
        "redirect_uri": _string("authorization_code: the URI the code was issued for"),
        "code_verifier": _string("authorization_code with PKCE: the verifier"),
        "username": _string("password: the username or e-mail"),
        "password": _string("password: the password"),
        "scope": {**SCOPES, "description": "password, client_credentials: the scopes wanted (within the app's)"},
    },
    required=("grant_type",),
)
REVOKE_BODY = request_body({**CLIENT, "token": _string("The token to revoke")})


class OAuthView(throttling.RateLimitHeadersMixin, APIView):
    """No session authentication (the client authenticates with its own credentials), forms or
    JSON, and OAuth's error body for every refusal (a bad body, a rate limit included)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def get_throttles(self) -> list[Any]:
        """The throttles DRF checks this request with (`throttles_for_request`: the token route
        adds the login throttles), kept for the X-RateLimit-* counts (RateLimitHeadersMixin)."""
        self._throttles = self.throttles_for_request()
        return self._throttles

    def throttles_for_request(self) -> list[Any]:
        return super().get_throttles()

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, OAuthError):
            headers = {"WWW-Authenticate": 'Basic realm="oauth"'} if exc.status == 401 else None
            return Response(exc.body(), status=exc.status, headers=headers)
        if isinstance(exc, drf.Throttled):
            wait = int(exc.wait or 1) + 1
            body = {"error": "slow_down", "error_description": "Too many attempts; try again later."}
            return Response(body, status=429, headers={"Retry-After": str(wait)})
        if isinstance(exc, drf.APIException) and exc.status_code < 500:
            status = 405 if isinstance(exc, drf.MethodNotAllowed) else 400
            if isinstance(exc, drf.UnsupportedMediaType):
                status = 415
            return Response({"error": "invalid_request", "error_description": str(exc.detail)}, status=status)
        return super().handle_exception(exc)

    # The body fields the view reads (others are ignored, as Mastodon ignores unknown params).
    read_fields: tuple[str, ...] = ()

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        """PostgreSQL stores no NUL in text: a field holding one is refused before any lookup
        (400, not the DataError a query would raise)."""
        super().initial(request, *args, **kwargs)
        data = request.data
        if not hasattr(data, "get"):
            return
        read = {name: data.getlist(name) if hasattr(data, "getlist") else data.get(name) for name in self.read_fields}
        if _has_nul(read):
            raise OAuthError("invalid_request", "NUL bytes are not allowed.")

    def field(self, name: str) -> Any:
        """One value of the body (a form's last value for a repeated key; JSON as sent)."""
        data = self.request.data
        return data.get(name) if hasattr(data, "get") else None


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if hasattr(value, "lists"):  # QueryDict: every value of every key
        return any(_has_nul(k) or any(_has_nul(v) for v in vs) for k, vs in value.lists())
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def application_json(app: Application, *, client_secret: str | None = None) -> dict[str, Any]:
    """Mastodon's Application entity (CredentialApplication with the secret, at registration)."""
    body: dict[str, Any] = {
        "id": str(app.pk),
        "name": app.name,
        "website": app.website or None,
        "scopes": list(app.scope_tuple),
        "redirect_uri": "\n".join(app.redirect_uri_list),
        "redirect_uris": app.redirect_uri_list,
        "vapid_key": None,
    }
    if client_secret is not None:
        body.update(client_id=app.client_id, client_secret=client_secret, client_secret_expires_at=0)
    return body


class AppsView(OAuthView):
    """`POST /api/v1/apps`: anyone may register a client (as on Mastodon), at the anonymous rate."""

    throttle_classes = [throttling.AnonThrottle]
    read_fields = ("client_name", "redirect_uris", "redirect_uris[]", "scopes", "website")

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, OAuthError):  # Mastodon's shape on its own routes
            return Response({"error": f"Validation failed: {exc.description}"}, status=422)
        return super().handle_exception(exc)

    @oauth_schema("v1_apps_post", "Register a client application (its client_id and client_secret)", APP_BODY)
    def post(self, request: Request) -> Response:
        data = request.data
        uris = data.getlist("redirect_uris") if hasattr(data, "getlist") else self.field("redirect_uris")
        if isinstance(uris, list) and len(uris) == 1:
            uris = uris[0]
        if not uris and hasattr(data, "getlist"):
            uris = data.getlist("redirect_uris[]")
        app, secret = services.app_create(
            name=self.field("client_name"),
            redirect_uris=uris,
            scopes=self.field("scopes"),
            website=self.field("website"),
        )
        return Response(application_json(app, client_secret=secret))


class AppVerifyView(OAuthView):
    """`GET /api/v1/apps/verify_credentials`: the application of an app token or a user token."""

    schema_errors = {401: "No token, or an invalid one"}  # the OpenAPI document's

    @oauth_schema("v1_apps_verify_credentials_get", "The application of the bearer token (an app's or a user's)")
    def get(self, request: Request) -> Response:
        try:
            secret = bearer_secret(request)
        except drf.AuthenticationFailed:
            secret = None
        found = services.application_of_token(secret) if secret else None
        if found is None:
            return Response({"error": INVALID_TOKEN}, status=401, headers={"WWW-Authenticate": "Bearer"})
        app, scopes = found
        return Response({**application_json(app), "scopes": list(scopes)})


def client_credentials(view: OAuthView) -> tuple[Any, Any]:
    """client_id/client_secret from the body, or HTTP Basic (RFC 6749 2.3.1)."""
    header = view.request.headers.get("Authorization", "")
    if header[:6].lower() == "basic ":
        try:
            client_id, _, secret = base64.b64decode(header[6:], validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise OAuthError("invalid_client", "Malformed Basic credentials.", 401) from exc
        return client_id, secret
    return view.field("client_id"), view.field("client_secret")


class TokenView(OAuthView):
    """`POST /oauth/token`: authorization_code (PKCE when the code has a challenge), password
    (through the login throttles) and client_credentials."""

    schema_errors = {401: "Client authentication failed (invalid_client)"}  # the OpenAPI document's
    read_fields = ("grant_type", "client_id", "client_secret", "code", "redirect_uri", "code_verifier")
    read_fields += ("username", "password", "scope")

    def throttles_for_request(self) -> list[Any]:
        if self.request is None:  # the OpenAPI generator's view: both kinds of limit apply
            return [*(throttle() for throttle in throttling.LOGIN_THROTTLES), throttling.AnonThrottle()]
        if self.field("grant_type") == "password":
            return [throttle() for throttle in throttling.LOGIN_THROTTLES]
        return [throttling.AnonThrottle()]

    @oauth_schema("oauth_token_post", "A token: authorization_code (PKCE), password or client_credentials", TOKEN_BODY)
    def post(self, request: Request) -> Response:
        grant_type = self.field("grant_type")
        if grant_type not in ("authorization_code", "password", "client_credentials"):
            raise OAuthError(
                "unsupported_grant_type", "grant_type is authorization_code, password or client_credentials."
            )
        app = services.app_authenticate(*client_credentials(self))
        if grant_type == "authorization_code":
            token, scope = services.code_exchange(
                app=app,
                code=self.field("code"),
                redirect_uri=self.field("redirect_uri"),
                verifier=self.field("code_verifier"),
            )
        elif grant_type == "password":
            token, scope = services.password_grant(
                app=app, username=self.field("username"), password=self.field("password"), scope=self.field("scope")
            )
        else:
            token, scope = services.client_credentials_grant(app=app, scope=self.field("scope"))
        body = {"access_token": token, "token_type": "Bearer", "scope": scope, "created_at": int(time.time())}
        return Response(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


class RevokeView(OAuthView):
    """`POST /oauth/revoke`: 200 `{}` whether or not the token was known (RFC 7009 2.2)."""

    throttle_classes = [throttling.AnonThrottle]
    schema_errors = {401: "Client authentication failed (invalid_client)"}  # the OpenAPI document's
    read_fields = ("client_id", "client_secret", "token")

    @oauth_schema("oauth_revoke_post", "Revoke a token of this app (200 whether or not it was known)", REVOKE_BODY)
    def post(self, request: Request) -> Response:
        app = services.app_authenticate(*client_credentials(self))
        services.token_revoke(app=app, token=self.field("token"))
        return Response({})
