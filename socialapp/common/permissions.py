"""Scopes on our own API (/api/socialapp/v1/): a token may read with `read`, and change anything
with `write` (socialapp.common.scopes). Sessions from our own login hold every scope, so only
OAuth tokens granted less are ever refused here. The Mastodon face checks a scope per route
instead (socialapp.mastodon.common.views.RouteScope).

A view may name the scope a method needs in `token_scopes = {"PUT": "write:follows"}`; the
follow routes need `write:follows` (which `write` and the legacy `follow` both cover).
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from socialapp.common import scopes as scope_rules
from socialapp.common.viewdocs import view_base

# Routes of our API whose scope is narrower than plain `write`, by URL name (their apps keep no
# scope table of their own).
ROUTE_SCOPES: dict[str, dict[str, str]] = {
    "user-follow": {"PUT": "write:follows", "DELETE": "write:follows"},
}


class OutOfScope(PermissionDenied):
    """A 403 problem (socialapp.common.errors renders it). A DRF exception, not a DomainError:
    this module loads with DRF's settings, before socialapp.common.errors may be imported."""

    default_detail = "This action is outside the token's scopes."


def required_scope(request: Request, view: Any) -> str:
    method = "GET" if request.method == "HEAD" else request.method
    table = getattr(view, "token_scopes", None) or {}
    if not table:
        match = getattr(request, "resolver_match", None)
        table = ROUTE_SCOPES.get(getattr(match, "url_name", "") or "", {})
    if method in table:
        return table[method]
    return "read" if method in SAFE_METHODS else "write"


class TokenScope(BasePermission):
    """403 (problem JSON) when the caller's token lacks the scope the method needs. Anonymous
    callers pass: whether a route needs a login is the other permissions' decision."""

    def has_permission(self, request: Request, view: Any) -> bool:
        granted = getattr(request.auth, "scopes", None)
        if not (request.user and request.user.is_authenticated) or granted is None:
            return True
        needed = required_scope(request, view)
        if not scope_rules.covers(granted, needed):
            raise OutOfScope(f"This token was not granted the `{needed}` scope.")
        return True

    def schema_errors_for(self, view: Any, method: str) -> dict[int, str]:
        """For the OpenAPI document (socialapp.common.schema.document_errors): a 403 wherever a
        token is read (a view without authenticators never sees one)."""
        if not view.get_authenticators():
            return {}
        return {403: "Not allowed: the token lacks the scope, or the caller may not act on this resource"}


@view_base
class ScopeCheckedView:
    """Mixed into both sides' API view bases: the view's own permissions, and always the token's
    scope check, so views that set `permission_classes` keep it too."""

    def get_permissions(self) -> list[Any]:
        permissions = super().get_permissions()  # type: ignore[misc]
        if not any(isinstance(p, TokenScope) for p in permissions):
            permissions.append(TokenScope())
        return permissions
