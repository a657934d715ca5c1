"""OpenAPI generation that sees through `socialapp.common.dispatch.by_method`.

A shared path (e.g. `posts/{id}`) is mounted as one plain Django view that routes by method to
the command side's or the query side's DRF view. drf-spectacular documents DRF views only, so it
skips that view. `document_shared_paths` is a drf-spectacular preprocessing hook (the supported
way to change the endpoint list: `SPECTACULAR_SETTINGS["PREPROCESSING_HOOKS"]`): it adds one
endpoint per method of every such view, each with the DRF view that really serves it (and
therefore its own serializers, examples and permissions). drf-spectacular de-duplicates and
sorts the list after the hooks, so the document does not depend on the order we add them in.
A hook is given the endpoint list only, so it walks the root URLconf (ROOT_URLCONF), the one our
schema views document.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from django.urls import URLPattern, URLResolver
from drf_spectacular.generators import EndpointEnumerator

from socialapp.gunicorn_conf import REQUEST_LINE_LIMIT

Endpoint = tuple[str, str, str, Any]  # (path, path_regex, method, view), as drf-spectacular passes them

_UNDOCUMENTED = {"HEAD", "OPTIONS", "TRACE", "CONNECT"}


def document_shared_paths(endpoints: list[Endpoint]) -> list[Endpoint]:
    """PREPROCESSING_HOOKS entry: `endpoints` plus every method of every `by_method` view."""
    enumerator = EndpointEnumerator()  # the root URLconf; its public helpers say what to document
    added: list[Endpoint] = []
    for path_regex, view in _method_dispatchers(enumerator.patterns, ""):
        path = enumerator.get_path_from_regex(path_regex)
        for method, handler in sorted(view.handlers.items()):
            if method in _UNDOCUMENTED or not enumerator.should_include_endpoint(path, handler):
                continue
            if method in enumerator.get_allowed_methods(handler):
                added.append((path, path_regex, method, handler))
    return [*endpoints, *added]


def _method_dispatchers(patterns: list[Any], prefix: str) -> Iterator[tuple[str, Any]]:
    for pattern in patterns:
        path_regex = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _method_dispatchers(pattern.url_patterns, path_regex)
        elif isinstance(pattern, URLPattern) and hasattr(pattern.callback, "handlers"):
            yield path_regex, pattern.callback


# --------------------------------------------------------------------------- tags by area
# Our own API's first path segment -> its area; the Mastodon routes are tagged `mastodon: <area>`
# with the segment after /api/v1/ or /api/v2/ (Mastodon's own grouping: statuses, accounts, ...).
OWN_PREFIX = "/api/socialapp/v1/"
OWN_AREAS = {
    "auth": "accounts",
    "me": "accounts",
    "users": "users",
    "posts": "posts",
    "comments": "posts",
    "feed": "timelines",
    "tags": "timelines",
    "notifications": "notifications",
    "search": "search",
}
MASTODON_PREFIXES = ("/api/v1/", "/api/v2/")


def operation_tag(path: str) -> str | None:
    """The tag of the operation at `path` (None: not an API route we group)."""
    if path.startswith(OWN_PREFIX):
        segment = path[len(OWN_PREFIX) :].split("/", 1)[0]
        return OWN_AREAS.get(segment, segment) or None
    for prefix in MASTODON_PREFIXES:
        if path.startswith(prefix):
            return "mastodon: " + path[len(prefix) :].split("/", 1)[0]
    if path.startswith("/oauth/"):
        return "mastodon: oauth"
    return None


def tag_by_area(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """POSTPROCESSING_HOOKS entry: every operation tagged by its area (our own API by area,
    Mastodon's as `mastodon: <area>`), whatever its view declared, and the tag list sorted with
    ours first, so Swagger UI groups both APIs' operations the same way."""
    seen: set[str] = set()
    for path, operations in result.get("paths", {}).items():
        area = operation_tag(path)
        if area is None:
            continue
        for operation in operations.values():
            if isinstance(operation, dict) and "operationId" in operation:
                operation["tags"] = [area]
                seen.add(area)
    ours = sorted(t for t in seen if not t.startswith("mastodon: "))
    theirs = sorted(t for t in seen if t.startswith("mastodon: "))
    result["tags"] = [
        *({"name": t, "description": "socialapp API"} for t in ours),
        *({"name": t, "description": "Mastodon client API"} for t in theirs),
    ]
    return result


# --------------------------------------------------------------------------- error responses
# Every operation documents the errors it can answer, by rules read from the view that serves it
# (its authenticators, permissions, throttles, parameters and body), not from path lists: a new
# view gets its error responses by what it is. A view, or any of its authenticators, permissions
# or throttles, may add statuses the rules cannot see with a `schema_errors` mapping
# ({status: description}) or a `schema_errors_for(view, method)` method returning one, e.g. the
# 503 of the query side's session cache or of search. Our API answers RFC 9457 problem details
# (socialapp/common/errors.py); the Mastodon routes Mastodon's `{"error": "..."}`
# (socialapp/mastodon/common/errors.py).
PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details (socialapp/common/errors.py).",
    "properties": {
        "type": {"type": "string", "description": "`/problems/<code>`, e.g. `/problems/validation-error`"},
        "title": {"type": "string", "description": "Short, fixed summary of the problem type"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string", "description": "What went wrong with this request"},
        "errors": {
            "type": "object",
            "description": "Validation errors only: field path -> messages",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["type", "title", "status", "detail"],
}
MASTODON_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": 'Mastodon\'s error shape: `{"error": "..."}` (socialapp/mastodon/common/errors.py).',
    "properties": {"error": {"type": "string"}},
    "required": ["error"],
}
# Shared headers, in components/headers and referenced from each response.
HEADERS: dict[str, dict[str, Any]] = {
    "Retry-After": {"schema": {"type": "integer", "minimum": 0}, "description": "Seconds to wait before retrying"},
    "WWW-Authenticate": {"schema": {"type": "string"}, "description": "The `Bearer` challenge"},
    "Link": {"schema": {"type": "string"}, "description": 'The next (and previous) pages: `<url>; rel="next"`'},
    "X-RateLimit-Limit": {"schema": {"type": "string"}, "description": "Requests allowed per window"},
    "X-RateLimit-Remaining": {"schema": {"type": "string"}, "description": "Requests left in the window"},
    "X-RateLimit-Reset": {
        "schema": {"type": "string", "format": "date-time"},
        "description": "When the window ends (ISO 8601, UTC)",
    },
}
RATE_LIMIT_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


def _header(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/headers/{name}"}


_BODY_METHODS = {"post", "put", "patch", "delete"}
# Permissions whose refusal is a 401 (not signed in), not a 403.
_LOGIN_ONLY_PERMISSIONS = {"AllowAny", "IsAuthenticated", "IsAuthenticatedOrReadOnly"}


def is_mastodon_path(path: str) -> bool:
    return path.startswith((*MASTODON_PREFIXES, "/oauth/"))


def _declared(component: Any, view: Any, method: str) -> dict[int, str]:
    errors = dict(getattr(component, "schema_errors", None) or {})
    for_method = getattr(component, "schema_errors_for", None)
    if callable(for_method):
        errors.update(for_method(view, method.upper()))
    return errors


def error_rules(view: Any, method: str, operation: dict[str, Any], mastodon: bool) -> dict[int, str]:
    """The error statuses `view` can answer to `method`, each with why: the rules of the module
    comment above, in the order a request meets them."""
    method = method.lower()
    parameters = operation.get("parameters", [])
    located = {p.get("in") for p in parameters}
    has_body = "requestBody" in operation
    errors: dict[int, str] = {}
    components = [*view.get_authenticators(), *view.get_permissions(), *view.get_throttles()]
    for component in [view, *components]:
        errors.update(_declared(component, view, method))
    if view.get_authenticators():
        anonymous = {} in operation.get("security", [{}])
        errors.setdefault(
            401,
            "The bearer token is invalid or expired (anonymous callers are served)"
            if anonymous
            else "Authentication required: no bearer token, or an invalid or expired one",
        )
    for permission in view.get_permissions():
        if type(permission).__name__ in _LOGIN_ONLY_PERMISSIONS:
            continue
        if hasattr(permission, "schema_errors_for") or hasattr(permission, "schema_errors"):
            continue  # it said which statuses it answers (above)
        errors.setdefault(403, getattr(permission, "message", None) or "Not allowed")
    if "path" in located:
        errors.setdefault(404, "No such resource, or not visible to the caller")
    if mastodon:
        if method in _BODY_METHODS:
            errors.setdefault(400, "Malformed request body")
        if "query" in located:
            errors.setdefault(400, "A parameter is missing or not a number (Mastodon answers these 400)")
        if has_body or "query" in located or method in _BODY_METHODS or getattr(view, "answers_list", False):
            errors.setdefault(422, "Validation failed")
    elif has_body or located & {"query", "header"}:
        errors.setdefault(400, "Invalid input: the `errors` member names each field and what is wrong with it")
    if has_body or (mastodon and method in _BODY_METHODS):  # where a body is parsed
        errors.setdefault(413, "Request body over DATA_UPLOAD_MAX_MEMORY_SIZE (problem details on both APIs)")
        errors.setdefault(415, "Unsupported media type: a Content-Type none of the view's parsers reads")
    if view.get_throttles():
        errors.setdefault(429, "Too many requests: retry after `Retry-After` seconds")
    return errors


# gunicorn (our WSGI server, Procfile) refuses a request line over its limit_request_line
# (socialapp/gunicorn_conf.py) with 414 and an HTML page, before the application runs: only query
# parameters can make a request line that long (path parameters are bounded), and only when they
# break the schema's bounds (tests/contract/test_request_line.py), so operations that take them
# list it, in gunicorn's shape. docs/api.md.
URI_TOO_LONG = {
    "description": f"URI Too Long: the request line exceeds gunicorn's limit_request_line ({REQUEST_LINE_LIMIT} "
    "bytes), which no request within the schema's bounds does; answered by the WSGI server before the "
    "application, as an HTML page, not in the API's error shape",
    "content": {"text/html": {"schema": {"type": "string"}}},
}


def _error_response(status: int, description: str, mastodon: bool, existing: dict[str, Any] | None) -> dict[str, Any]:
    """Problem details; on Mastodon routes Mastodon's shape, except what is answered before any
    view, in problem details on both APIs: 413 (Django's handler400) and the 400 of a NUL byte in
    the URL (RejectNulMiddleware), which a Mastodon 400 may therefore be in either shape."""
    problem = {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    mastodon_error = {"application/json": {"schema": {"$ref": "#/components/schemas/MastodonError"}}}
    if not mastodon or status == 413:
        content = problem
    elif status == 400:
        content = {**mastodon_error, **problem}
    else:
        content = mastodon_error
    response: dict[str, Any] = {
        "description": (existing or {}).get("description") or description,
        "content": content,
    }
    headers = dict((existing or {}).get("headers", {}))
    if status == 401:
        headers.setdefault("WWW-Authenticate", _header("WWW-Authenticate"))
    if status in (429, 503):
        headers.setdefault("Retry-After", _header("Retry-After"))
    if headers:
        response["headers"] = headers
    return response


def _views_by_operation(generator: Any) -> dict[tuple[str, str], Any]:
    """(path, method) -> the view instance the generator documented it with."""
    views = {}
    for path, _regex, method, callback in generator.endpoints or []:
        view = generator.create_view(callback, method)
        views[generator.coerce_path(path, method, view), method.lower()] = view
    return views


def document_errors(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """POSTPROCESSING_HOOKS entry: every operation's error responses, by `error_rules`, each
    with the problem schema (Mastodon routes: Mastodon's error shape), `Retry-After` on 429 and
    503; `Link` on paged lists and Mastodon's `X-RateLimit-*` where the view sends them.
    A response the view declared itself keeps its description; its body is the shared schema."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = copy.deepcopy(PROBLEM_SCHEMA)
    schemas["MastodonError"] = copy.deepcopy(MASTODON_ERROR_SCHEMA)
    result["components"]["headers"] = copy.deepcopy(HEADERS)
    views = _views_by_operation(generator)
    for path, operations in result.get("paths", {}).items():
        mastodon = is_mastodon_path(path)
        for method, operation in operations.items():
            view = views.get((path, method))
            if view is None or not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            rules = {str(s): d for s, d in error_rules(view, method, operation, mastodon).items()}
            for status, description in rules.items():
                responses[status] = _error_response(int(status), description, mastodon, responses.get(status))
            for status, response in list(responses.items()):  # declared by the view, not by a rule
                if status[0] in "45" and status not in rules:
                    responses[status] = _error_response(int(status), "", mastodon, response)
            if any(p.get("in") == "query" for p in operation.get("parameters", [])):
                responses["414"] = copy.deepcopy(URI_TOO_LONG)
            _document_headers(view, operation, mastodon)
    return result


def anonymous_security(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """POSTPROCESSING_HOOKS entry, after `document_errors` (which reads `{}` as "anonymous callers
    are served"): an operation that takes no credentials at all (register, token) says
    `security: []`, not drf-spectacular's `[{}]`. Both mean "no authentication" in OpenAPI, but
    openapi-python-client reads any non-empty list as "a token is required" and typed those
    operations `client: AuthenticatedClient`, so a generated client could not register without a
    token (docs/api.md, "Generated clients"). `[{"bearerAuth": []}, {}]` (optional) is left as is."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if isinstance(operation, dict) and operation.get("security") == [{}]:
                operation["security"] = []
    return result


# Answers the throttles never counted: authentication runs before them (401), a 304 is not an
# answer of the view's, and 413/414 are refused outside DRF (Django's handler400, gunicorn).
_UNCOUNTED = ("304", "401", "413", "414")


def _document_headers(view: Any, operation: dict[str, Any], mastodon: bool) -> None:
    """X-RateLimit-* on the answers the throttles counted, where the view sends them; `Link` on
    every paged list: Mastodon's (`pages_with_link`) and ours (a `cursor` parameter:
    socialapp/common/pagination.py)."""
    paged = any(p.get("in") == "query" and p.get("name") == "cursor" for p in operation.get("parameters", []))
    for status, response in operation["responses"].items():
        headers = response.setdefault("headers", {})
        if getattr(view, "sends_rate_limit_headers", False) and view.get_throttles() and status not in _UNCOUNTED:
            for name in RATE_LIMIT_HEADERS:
                headers.setdefault(name, _header(name))
        if status.startswith("2") and (paged or getattr(view, "pages_with_link", False)):
            headers.setdefault("Link", _header("Link"))
        if not headers:
            del response["headers"]
