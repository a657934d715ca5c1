"""The base of every Mastodon view: Mastodon's parsers, errors and per-route scopes.

A view names the scope each method needs (`scopes = {"GET": "read:statuses"}`); a method not
named is public (anonymous callers allowed, as Mastodon serves public timelines and accounts).
The token's scopes come from `request.auth.scopes` (both sides' authentication sets it: the
command side from the token row, the query side from the session record in the cache).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from socialapp.common import scopes as scope_rules
from socialapp.common.errors import ValidationFailed
from socialapp.common.parsers import JSONParser
from socialapp.common.throttling import RateLimitHeadersMixin
from socialapp.mastodon.common.errors import OutOfScope, mastodon_exception_handler
from socialapp.mastodon.common.schema import MastodonAutoSchema


def granted_scopes(request: Request) -> tuple[str, ...]:
    """The scopes of the caller's token (all of them for a token without a scope list)."""
    return tuple(getattr(request.auth, "scopes", None) or scope_rules.FULL.split())


class RouteScope(BasePermission):
    """Authentication where the view's `scopes` table names a scope for the method, and that
    scope covered by the token's (403 "outside the authorized scopes" otherwise, as Mastodon)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        required = getattr(view, "scopes", {}).get(request.method if request.method != "HEAD" else "GET")
        if required is None:
            return True
        if not (request.user and request.user.is_authenticated):
            return False  # DRF answers 401 (the view has an authenticator)
        if not scope_rules.covers(granted_scopes(request), required):
            raise OutOfScope()
        return True

    def schema_errors_for(self, view: Any, method: str) -> dict[int, str]:
        """For the OpenAPI document (socialapp.common.schema.document_errors): a 403 only where
        the method needs a scope."""
        if getattr(view, "scopes", {}).get(method) is None:
            return {}
        return {403: "This action is outside the authorized scopes"}


class MastodonView(RateLimitHeadersMixin, APIView):
    """Mastodon's request and error conventions; each side's base adds its authentication."""

    scopes: ClassVar[dict[str, str]] = {}
    answers_list: ClassVar[bool] = False  # a JSON array: the OpenAPI document says so
    pages_with_link: ClassVar[bool] = False  # a paged list with a Link header: documented
    schema = MastodonAutoSchema()  # tags, ids, summaries and free-form shapes (common/schema.py)
    permission_classes = [RouteScope]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def get_exception_handler(self) -> Callable[..., Any]:
        return mastodon_exception_handler

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        """Parse any body before acting, even where the action reads none (follow, favourite):
        a malformed body is a 400 that changes nothing, as in Mastodon (Rails parses params
        before the action runs), never a follow made while its request was refused."""
        super().initial(request, *args, **kwargs)
        if request.method in ("POST", "PUT", "PATCH", "DELETE") and not isinstance(request.data, Mapping):
            raise ValidationFailed("Body must be an object")
