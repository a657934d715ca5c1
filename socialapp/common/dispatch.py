"""One URL, two sides: route a request by HTTP method to a command view or a query view.

Clients see one path space (`GET posts/42` and `PATCH posts/42`), but the command side must not
know the query side's code (nor the reverse). The command side owns the URL entry of every
shared path and names it with a *route key*; its urls.py mounts `method_dispatch(key, ...)`
with the command views. The query side plugs its views in by key, from its own urls.py:

    from socialapp.common.dispatch import register_query_view
    register_query_view("post-detail", PostDetailView.as_view())          # GET (and HEAD)

Route keys, their paths and the URL kwargs the views receive (see `ROUTES`):

    me              me                          (no kwargs)
    posts           posts                       (no kwargs)
    post-detail     posts/<id:post_id>
    post-comments   posts/<id:post_id>/comments
    post-like       posts/<id:post_id>/like
    comment-detail  comments/<id:comment_id>
    user-follow     users/<username:username>/follow

Registration happens at import time of the URLconf (every urls.py is imported when the root
URLconf loads); the lookup happens per request, so module order does not matter. A method
nobody registered answers 405 in the project's problem+json shape with an `Allow` header.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from socialapp.common.errors import PROBLEM_CONTENT_TYPE, problem

View = Callable[..., HttpResponse]

ROUTES: dict[str, str] = {
    "me": "me",
    "posts": "posts",
    "post-detail": "posts/<id:post_id>",
    "post-comments": "posts/<id:post_id>/comments",
    "post-like": "posts/<id:post_id>/like",
    "comment-detail": "comments/<id:comment_id>",
    "user-follow": "users/<username:username>/follow",
}

_query_views: dict[str, dict[str, View]] = {}


def register_query_view(key: str, view: View, *, methods: tuple[str, ...] = ("GET",)) -> None:
    """Plug a query-side view into a shared path. HEAD follows GET unless registered itself."""
    if key not in ROUTES:
        raise KeyError(f"unknown route key {key!r}; known: {sorted(ROUTES)}")
    for method in methods:
        _query_views.setdefault(key, {})[method.upper()] = view


def method_dispatch(key: str, **command_views: View) -> View:
    """A Django view for route `key`: `post=..., patch=..., delete=..., put=...` from the
    command side; GET/HEAD from whatever the query side registered under `key`."""
    if key not in ROUTES:
        raise KeyError(f"unknown route key {key!r}")
    commands = {method.upper(): view for method, view in command_views.items()}

    def handlers() -> dict[str, View]:
        table = {**_query_views.get(key, {}), **commands}
        if "GET" in table and "HEAD" not in table:
            table["HEAD"] = table["GET"]
        return table

    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        table = handlers()
        handler = table.get(request.method or "GET")
        if handler is None and request.method == "OPTIONS" and table:
            handler = next(iter(table.values()))  # DRF answers OPTIONS with its metadata
        if handler is None:
            allowed = ", ".join(sorted(table))
            response = JsonResponse(
                problem(405, "method-not-allowed", "Method not allowed", f'Method "{request.method}" not allowed.'),
                status=405,
                content_type=PROBLEM_CONTENT_TYPE,
            )
            response["Allow"] = allowed
            return response
        response = handler(request, *args, **kwargs)
        if response.has_header("Allow"):  # DRF lists only its own view's methods
            response["Allow"] = ", ".join(sorted({*table, "OPTIONS"}))
        return response

    # DRF views are CSRF-exempt (token auth); the wrapper must say so too, or the CSRF
    # middleware would check it before DRF ever runs.
    view.csrf_exempt = True  # type: ignore[attr-defined]
    view.route_key = key  # type: ignore[attr-defined]
    view.handlers = handlers  # type: ignore[attr-defined]
    return view
