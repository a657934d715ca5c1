"""Base of Mastodon query views: authentication from the shared cache, as every query view, and
one read replica pinned for a whole read request (socialapp.common.replicas), as the read
side's own QueryView does: the ids of a page and their hydration come from the same snapshot of
the same server."""

from __future__ import annotations

from typing import Any, ClassVar

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request

from socialapp.common.replicas import pinned_for_request
from socialapp.mastodon.common.views import MastodonView
from socialapp.read.common.authentication import CachedSessionAuthentication
from socialapp.read.common.consistency import HEADER, SATISFIED_HEADER, wait_for_events, wait_for_token


class QueryView(MastodonView):
    """`projectors`: the read models a view serves, whose recent writes of the session it waits
    for (socialapp/mastodon/commands/base.py); the read database's by default, search adds its own."""

    authentication_classes = [CachedSessionAuthentication]
    projectors: ClassVar[tuple[str, ...]] = ("posts", "profiles", "home_feed", "notifications", "relations")

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        """Read the session's own writes: an explicit X-Consistency-Token if the client sends
        one, else the session's recent Mastodon commands (bounded wait either way)."""
        super().initial(request, *args, **kwargs)
        token = request.headers.get(HEADER)
        if token:
            self.consistency = wait_for_token(token, self.projectors)
        else:
            recent = getattr(request.auth, "recent_writes", None)
            self.consistency = wait_for_events(recent, self.projectors) if recent else None

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        if getattr(self, "consistency", None) is not None:
            response[SATISFIED_HEADER] = "true" if self.consistency else "false"
        return response

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method not in SAFE_METHODS:
            return super().dispatch(request, *args, **kwargs)
        with pinned_for_request():
            return super().dispatch(request, *args, **kwargs)


def viewer_id(request: Request) -> int | None:
    """The caller's user id, None when anonymous (`favourited`, relationships)."""
    return request.user.pk if request.user and request.user.is_authenticated else None
