"""`by_method` for Mastodon routes: the same one-path-two-sides dispatch as our own API
(socialapp.common.dispatch), with a 405 in Mastodon's `{"error": ...}` shape."""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse

from socialapp.common import dispatch


def _mastodon_405(method: str) -> JsonResponse:
    return JsonResponse({"error": f"Method {method} not allowed"}, status=405)


def by_method(**views: Any) -> dispatch.View:
    return dispatch.by_method(not_allowed=_mastodon_405, **views)
