"""The OAuth routes in the OpenAPI document (a drf-spectacular postprocessing hook).

The JSON endpoints (apps, token, revoke) are DRF views and document themselves (api.py); two
things the generator cannot do are done here, after the error responses are derived from the
views (socialapp.common.schema.document_errors, which finds a view by its generated path):

- Their paths: the routes match with or without a trailing slash (`/?$`, for toot), which the
  generator renders as `/oauth/token/`; Mastodon clients call `/oauth/token`, so that is the path
  documented (both are served).
- The authorize page (`/oauth/authorize`, pages.py) is a Django page with a template and CSRF
  protection, not an API view: the generator never sees it. It is written out here as what it
  is, an HTML page, with the parameters _read() checks.
"""

from __future__ import annotations

import copy
from typing import Any

from socialapp.common.request_schema import FORM_TYPES
from socialapp.common.text import NO_NUL
from socialapp.write.oauth.services import OOB, PKCE_METHODS

SLASHED = ("/api/v1/apps/", "/api/v1/apps/verify_credentials/", "/oauth/token/", "/oauth/revoke/")

_HTML = {"text/html": {"schema": {"type": "string"}}}
_DESCRIPTIONS = {
    "response_type": ("Only `code`", {"type": "string", "enum": ["code"], "default": "code"}),
    "client_id": ("The app's client_id", {"type": "string", "minLength": 1, "maxLength": 200, "pattern": NO_NUL}),
    "redirect_uri": (
        f"One of the app's redirect URIs (`{OOB}`: the code is shown); optional when it has just one",
        {"type": "string", "maxLength": 500, "pattern": NO_NUL},
    ),
    "scope": (
        "Space-separated scopes within the app's; absent: read",
        {"type": "string", "maxLength": 1000, "pattern": NO_NUL},
    ),
    "state": ("Sent back with the code", {"type": "string", "maxLength": 1000, "pattern": NO_NUL}),
    "code_challenge": (
        "PKCE: the challenge (43 to 128 characters)",
        {"type": "string", "maxLength": 128, "pattern": NO_NUL},
    ),
    "code_challenge_method": (
        "PKCE: how the verifier was turned into the challenge",
        {"type": "string", "enum": list(PKCE_METHODS)},
    ),
}


def _responses(post: bool) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": {
            "description": "The sign-in and approval page"
            + (" again with the error, or the code to copy (out-of-band URI), or the denial" if post else ""),
            "content": copy.deepcopy(_HTML),
        },
        "400": {
            "description": "An error page, never a redirect: a missing client_id, an unregistered redirect URI, "
            "a scope beyond the app's, another response_type, a malformed PKCE challenge; a NUL byte in "
            "the URL is refused before the page, in problem details",
            "content": {
                **copy.deepcopy(_HTML),
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}},
            },
        },
        "401": {
            "description": "An error page: no application has this client_id"
            + ("; or the page again: unknown username or wrong password" if post else ""),
            "content": copy.deepcopy(_HTML),
            "headers": {"WWW-Authenticate": {"$ref": "#/components/headers/WWW-Authenticate"}},
        },
    }
    if post:
        responses["302"] = {
            "description": "Back to the redirect URI with `code` and `state` (or `error=access_denied`)",
            "headers": {"Location": {"schema": {"type": "string"}}},
        }
        responses["403"] = {
            "description": "The CSRF check failed (the page's form was not used)",
            "content": copy.deepcopy(_HTML),
        }
        responses["429"] = {
            "description": "Too many sign-in attempts: the page again",
            "content": copy.deepcopy(_HTML),
            "headers": {"Retry-After": {"$ref": "#/components/headers/Retry-After"}},
        }
    else:
        responses["414"] = {
            "description": "URI Too Long: the request line exceeds the WSGI server's limit",
            "content": copy.deepcopy(_HTML),
        }
    return responses


def _authorize_page() -> dict[str, Any]:
    parameters = [
        {"in": "query", "name": name, "schema": schema, "description": description, "required": name == "client_id"}
        for name, (description, schema) in _DESCRIPTIONS.items()
    ]
    parameters.append(
        {
            "in": "query",
            "name": "force_login",
            "schema": {"type": "boolean"},
            "description": "Ask for the password even when signed in",
        }
    )
    form = {
        "type": "object",
        "properties": {
            **{name: schema for name, (_d, schema) in _DESCRIPTIONS.items()},
            "decision": {"type": "string", "enum": ["approve", "deny"], "description": "Anything but approve denies"},
            "username": {"type": "string", "pattern": NO_NUL, "description": "Username or e-mail"},
            "password": {"type": "string", "pattern": NO_NUL},
            "use_session": {"type": "string", "enum": ["1"], "description": "Approve as the signed-in moderator"},
            "csrfmiddlewaretoken": {"type": "string", "pattern": NO_NUL, "description": "The page's CSRF token"},
        },
        "required": ["client_id"],
    }
    common = {"tags": ["mastodon: oauth"]}
    return {
        "get": {
            **common,
            "operationId": "mastodon_oauth_authorize_get",
            "summary": "The authorization page: sign in and approve the app (HTML)",
            "parameters": parameters,
            "responses": _responses(post=False),
        },
        "post": {
            **common,
            "operationId": "mastodon_oauth_authorize_post",
            "summary": "Approve or deny the app from the authorization page (HTML form, CSRF-protected)",
            "requestBody": {"content": {FORM_TYPES[0]: {"schema": form}}, "required": True},
            "responses": _responses(post=True),
        },
    }


def document_oauth(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """POSTPROCESSING_HOOKS entry, after document_errors: the OAuth JSON routes at the paths
    clients call, a body with required fields required, and the authorize page."""
    paths = result.setdefault("paths", {})
    for slashed in SLASHED:
        if slashed in paths:
            paths[slashed.rstrip("/")] = paths.pop(slashed)
    for slashed in SLASHED:
        for operation in paths.get(slashed.rstrip("/"), {}).values():
            content = operation.get("requestBody", {}).get("content", {})
            if any(media.get("schema", {}).get("required") for media in content.values()):
                operation["requestBody"]["required"] = True
    paths["/oauth/authorize"] = _authorize_page()
    result["paths"] = dict(sorted(paths.items()))
    return result
