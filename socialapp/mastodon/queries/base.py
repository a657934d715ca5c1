"""Base of Mastodon query views: authentication from the shared cache, as every query view, and
one read replica pinned for a whole read request (socialapp.common.replicas), as the read
side's own QueryView does: the ids of a page and their hydration come from the same snapshot of
the same server."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request

from socialapp.common.replicas import pinned_for_request
from socialapp.mastodon.common.views import MastodonView
from socialapp.read.common.authentication import CachedSessionAuthentication


class QueryView(MastodonView):
    authentication_classes = [CachedSessionAuthentication]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method not in SAFE_METHODS:
            return super().dispatch(request, *args, **kwargs)
        with pinned_for_request():
            return super().dispatch(request, *args, **kwargs)


def viewer_id(request: Request) -> int | None:
    """The caller's user id, None when anonymous (`favourited`, relationships)."""
    return request.user.pk if request.user and request.user.is_authenticated else None
