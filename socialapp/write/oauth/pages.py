"""The authorize page (`GET/POST /oauth/authorize`): the user signs in and approves an app.

A Django page with a template and CSRF protection, not an API view. The request's parameters
are checked before anything is shown: an unknown client or an unregistered redirect URI gets an
error page and never a redirect (RFC 6749 4.1.2.1). Approval issues a code and redirects with
it (and `state`), or, for the out-of-band URI `urn:ietf:wg:oauth:2.0:oob`, shows the code to
copy. Mastodon.py's literal `state=None` and `force_login=False` are tolerated.

Signing in here does not open a Django session: credentials are checked for this approval only
(through the login throttles); a moderator already signed in to the admin just approves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from socialapp.common import throttling
from socialapp.common.errors import InvalidCredentials
from socialapp.common.scopes import parse as parse_scopes
from socialapp.write.accounts.services import credentials_check, may_log_in
from socialapp.write.oauth import services
from socialapp.write.oauth.models import Application
from socialapp.write.oauth.services import OOB, OAuthError

CHALLENGE = 'Basic realm="oauth"'  # a 401 names its scheme (RFC 9110), as the token endpoint's
FALSE_WORDS = ("", "0", "false", "False", "no", "off", "None")
PARAMS = ("response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method")


@dataclass
class AuthorizeRequest:
    app: Application
    redirect_uri: str
    scope: str
    state: str
    challenge: str
    method: str
    params: dict[str, str]


def _read(params: QueryDict) -> AuthorizeRequest:
    """Check the authorization request's parameters (OAuthError: shown, not redirected)."""
    if not params.get("client_id"):  # Doorkeeper: a missing client_id is invalid_request (400)
        raise OAuthError("invalid_request", "`client_id` is required.")
    app = services.app_find(params.get("client_id"))
    if app is None:
        raise OAuthError("invalid_client", "Unknown application (client_id).", 401)  # Doorkeeper's 401
    redirect_uri = services.check_redirect_uri(app, params.get("redirect_uri"))
    if params.get("response_type", "code") != "code":
        raise OAuthError("unsupported_response_type", "Only response_type=code is supported.")
    scope = services.grantable(app, params.get("scope"))
    challenge, method = services.check_pkce_request(params.get("code_challenge"), params.get("code_challenge_method"))
    state = params.get("state", "")
    state = "" if state == "None" else state  # Mastodon.py sends the literal None
    values = {name: params.get(name, "") for name in PARAMS}
    values.update(redirect_uri=redirect_uri, scope=scope, state=state)
    return AuthorizeRequest(app, redirect_uri, scope, state, challenge, method, values)


def _redirect(uri: str, **query: str) -> HttpResponseRedirect:
    parts = urlsplit(uri)
    extra = urlencode({k: v for k, v in query.items() if v})
    response = HttpResponseRedirect(
        urlunsplit(parts._replace(query=f"{parts.query}&{extra}" if parts.query else extra))
    )
    response.allowed_schemes = [parts.scheme]  # custom schemes of native apps (e.g. `toot://`) too
    return response


def _throttled(request: HttpRequest) -> int | None:
    """Seconds to wait when this sign-in is over a login limit (address or username), else None."""
    waits = []
    for throttle_class in throttling.LOGIN_THROTTLES[1:]:
        throttle = throttle_class()
        if not throttle.allow_request(request, None):
            waits.append(throttle.wait() or 1)
    return int(max(waits)) + 1 if waits else None


# CSRF protects the form's POST only, checked in the view rather than before it: a method the page
# does not serve (PUT, QUERY...) is then a 405 with Allow, not the middleware's 403.
@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(csrf_protect, name="post")
class AuthorizeView(View):
    template = "oauth/authorize.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            grant = _read(request.GET)
        except OAuthError as exc:
            return _error_page(request, exc)
        force_login = request.GET.get("force_login", "") not in FALSE_WORDS
        return self._page(request, grant, signed_in=self._signed_in(request) and not force_login)

    def post(self, request: HttpRequest) -> HttpResponse:
        if any("\x00" in value for values in request.POST.lists() for value in values[1]):
            return _error_page(request, OAuthError("invalid_request", "NUL bytes are not allowed."))
        try:
            grant = _read(request.POST)
        except OAuthError as exc:
            return _error_page(request, exc)
        if request.POST.get("decision") != "approve":
            if grant.redirect_uri == OOB:
                return render(request, "oauth/denied.html", {"app": grant.app})
            return _redirect(grant.redirect_uri, error="access_denied", state=grant.state)
        user = self._signed_in(request) and request.POST.get("use_session") == "1" and request.user
        if not user:
            wait = _throttled(request)
            if wait is not None:
                response = self._page(request, grant, signed_in=False, error="Too many attempts; try again later.")
                response.status_code, response["Retry-After"] = 429, str(wait)
                return response
            try:
                user = credentials_check(
                    username=request.POST.get("username", ""), password=request.POST.get("password", ""), by_email=True
                )
            except InvalidCredentials:
                response = self._page(request, grant, signed_in=False, error="Unknown username or wrong password.")
                response.status_code, response["WWW-Authenticate"] = 401, CHALLENGE
                return response
        code = services.code_issue(
            app=grant.app,
            user=user,
            redirect_uri=grant.redirect_uri,
            scope=grant.scope,
            challenge=grant.challenge,
            method=grant.method,
        )
        if grant.redirect_uri == OOB:
            return render(request, "oauth/code.html", {"app": grant.app, "code": code})
        return _redirect(grant.redirect_uri, code=code, state=grant.state)

    @staticmethod
    def _signed_in(request: HttpRequest) -> bool:
        user: Any = getattr(request, "user", None)
        return bool(user and user.is_authenticated and may_log_in(user))

    def _page(self, request: HttpRequest, grant: AuthorizeRequest, *, signed_in: bool, error: str = "") -> HttpResponse:
        context = {
            "app": grant.app,
            "scopes": parse_scopes(grant.scope),
            "params": grant.params,
            "signed_in": signed_in,
            "error": error,
            "username": request.POST.get("username", "") if request.method == "POST" else "",
        }
        return render(request, self.template, context)


def _error_page(request: HttpRequest, exc: OAuthError) -> HttpResponse:
    context = {"error": exc.error, "description": exc.description}
    response = render(request, "oauth/error.html", context, status=401 if exc.status == 401 else 400)
    if response.status_code == 401:
        response["WWW-Authenticate"] = CHALLENGE
    return response
