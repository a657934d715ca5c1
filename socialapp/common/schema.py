"""OpenAPI generation that sees through `socialapp.common.dispatch`.

A shared path (e.g. `posts/{id}`) is mounted as one plain Django view that routes by method to
the command side's or the query side's DRF view. drf-spectacular only documents DRF views, so
this enumerator expands each dispatcher into one endpoint per method, each with the DRF view
that really serves it (and therefore its own serializers, examples and permissions).
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, URLResolver
from drf_spectacular.generators import EndpointEnumerator, SchemaGenerator

_SKIPPED = {"HEAD", "OPTIONS", "TRACE", "CONNECT"}


class DispatchAwareEndpointEnumerator(EndpointEnumerator):
    def _get_api_endpoints(self, patterns: Any, prefix: str) -> list[tuple]:
        if patterns is None:
            patterns = self.patterns
        endpoints: list[tuple] = []
        for pattern in patterns:
            path_regex = prefix + str(pattern.pattern)
            if isinstance(pattern, URLPattern) and hasattr(pattern.callback, "handlers"):
                path = self.get_path_from_regex(path_regex)
                for method, handler in sorted(pattern.callback.handlers().items()):
                    if method in _SKIPPED or not self.should_include_endpoint(path, handler):
                        continue
                    if method in self.get_allowed_methods(handler):
                        endpoints.append((path, path_regex, method, handler))
            elif isinstance(pattern, URLResolver):
                endpoints.extend(self._get_api_endpoints(pattern.url_patterns, path_regex))
            else:
                endpoints.extend(super()._get_api_endpoints([pattern], prefix))
        return endpoints


class DispatchAwareSchemaGenerator(SchemaGenerator):
    endpoint_inspector_cls = DispatchAwareEndpointEnumerator
