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

from collections.abc import Iterator
from typing import Any

from django.urls import URLPattern, URLResolver
from drf_spectacular.generators import EndpointEnumerator

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
