"""One URL, two sides: route a request by HTTP method to a command view or a query view.

Clients see one path space (`GET posts/42` and `PATCH posts/42`), but the command side must not
know the query side's code (nor the reverse). So neither side mounts a shared path: the root
URLconf (socialapp/urls.py, the one module that imports both sides) composes each one from both
sides' views, explicitly and in one place:

    path("posts/<id:post_id>", by_method(get=read_views.PostDetailView.as_view(),
                                         patch=write_detail, delete=write_detail))

The table is fixed when the URLconf is built: nothing registers itself at import time. HEAD
follows GET unless given itself; a method the table lacks answers 405 in the project's
problem+json shape with an `Allow` header. The table is exposed as `view.handlers` (read-only)
so the OpenAPI generator can document each method with the DRF view that serves it
(socialapp/common/schema.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from socialapp.common.errors import PROBLEM_CONTENT_TYPE, problem

View = Callable[..., HttpResponse]

HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _problem_405(method: str) -> JsonResponse:
    return JsonResponse(
        problem(405, "method-not-allowed", "Method not allowed", f'Method "{method}" not allowed.'),
        status=405,
        content_type=PROBLEM_CONTENT_TYPE,
    )


def by_method(*, not_allowed: Callable[[str], HttpResponse] = _problem_405, **views: View) -> View:
    """A Django view that hands each request to `views[method]`: `get=..., patch=..., delete=...`.
    `not_allowed(method)` writes the 405 (an API with another error shape passes its own).

    An unknown method name is refused (KeyError) when the URLconf is built, so a typo such as
    `pacth=` fails at start-up rather than turning into a 405 in production."""
    table: dict[str, View] = {}
    for name, handler in views.items():
        method = name.upper()
        if method not in HTTP_METHODS:
            raise KeyError(f"{name!r} is not an HTTP method; known: {sorted(HTTP_METHODS)}")
        table[method] = handler
    if "GET" in table and "HEAD" not in table:
        table["HEAD"] = table["GET"]
    handlers: Mapping[str, View] = MappingProxyType(table)
    allowed = ", ".join(sorted(handlers))

    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        handler = handlers.get(request.method or "GET")
        if handler is None and request.method == "OPTIONS" and handlers:
            handler = next(iter(handlers.values()))  # DRF answers OPTIONS with its metadata
        if handler is None:
            response = not_allowed(request.method or "")
            response["Allow"] = allowed
            return response
        response = handler(request, *args, **kwargs)
        if response.has_header("Allow"):  # DRF lists only its own view's methods
            response["Allow"] = ", ".join(sorted({*handlers, "OPTIONS"}))
        return response

    # DRF views are CSRF-exempt (token auth); the wrapper must say so too, or the CSRF
    # middleware would check it before DRF ever runs.
    view.csrf_exempt = True  # type: ignore[attr-defined]
    view.handlers = handlers  # type: ignore[attr-defined]
    return view
