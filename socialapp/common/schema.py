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
