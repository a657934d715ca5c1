"""Mastodon accounts commands (see docs/mastodon.md for the route table).

- `PATCH /api/v1/accounts/update_credentials`: `display_name` and `note` (our bio). What we
  don't have is refused when it would matter (a locked account, a non-public default privacy:
  the user asked for privacy we can't give) and ignored otherwise (bot, discoverable, fields).
- `POST /api/v1/accounts/:id/follow` and `/unfollow`: by account id; idempotent; answer the
  Relationship. Following yourself is a 422; an unknown or hidden account a 404.
"""

from __future__ import annotations

from typing import ClassVar

from django.urls import URLPattern, path
from rest_framework.request import Request
from rest_framework.response import Response

from socialapp.common.errors import NotFound, ValidationFailed
from socialapp.mastodon.commands import rows
from socialapp.mastodon.commands.base import CommandView
from socialapp.mastodon.commands.params import body, not_supported, renamed, text_param
from socialapp.mastodon.common.dispatch import by_method
from socialapp.mastodon.common.params import as_bool
from socialapp.write.accounts.models import User
from socialapp.write.accounts.services import profile_update
from socialapp.write.follows import services as follows

DISPLAY_NAME_LIMIT = User._meta.get_field("display_name").max_length or 50
NOTE_LIMIT = User._meta.get_field("bio").max_length or 300


class UpdateCredentialsView(CommandView):
    scopes: ClassVar[dict[str, str]] = {"PATCH": "write:accounts"}

    def patch(self, request: Request) -> Response:
        data = body(request)
        if as_bool(data.get("locked"), field="locked"):
            raise not_supported("Locked accounts are")
        privacy = data.get("source[privacy]")
        if privacy is None and isinstance(data.get("source"), dict):
            privacy = data["source"].get("privacy")
        if privacy not in (None, "", "public"):
            raise not_supported("Default visibility other than public is")
        display_name = text_param(data, "display_name", limit=DISPLAY_NAME_LIMIT, default=None)
        note = text_param(data, "note", limit=NOTE_LIMIT, default=None)
        with renamed({"bio": "note"}):
            user = profile_update(user_id=request.user.pk, display_name=display_name, bio=note)
        return Response(rows.credential_account(user, base_url=rows.base_url(request)))


class FollowView(CommandView):
    """POST /api/v1/accounts/:id/follow (Mastodon's `reblogs`, `notify`, `languages` options
    have nothing to act on here and are ignored)."""

    scopes: ClassVar[dict[str, str]] = {"POST": "write:follows"}  # `follow` covers it
    active: ClassVar[bool] = True

    def post(self, request: Request, account_id: int) -> Response:
        other = User.objects.filter(pk=account_id, deactivated_at__isnull=True, suspended_at__isnull=True).first()
        if other is None:
            raise NotFound("No such user.")
        if other.pk == request.user.pk:
            message = "You cannot follow yourself"
            raise ValidationFailed(message, errors={"non_field_errors": [message]})
        if self.active:
            follows.user_follow(follower=request.user, username=other.username)
        else:
            follows.user_unfollow(follower=request.user, username=other.username)
        return Response(rows.relationship(request.user, other.pk))


class UnfollowView(FollowView):
    active = False


urlpatterns: list[URLPattern] = [
    path(
        "api/v1/accounts/update_credentials",
        by_method(patch=UpdateCredentialsView.as_view()),
        name="mastodon-update-credentials",
    ),
    path("api/v1/accounts/<id:account_id>/follow", by_method(post=FollowView.as_view()), name="mastodon-follow"),
    path("api/v1/accounts/<id:account_id>/unfollow", by_method(post=UnfollowView.as_view()), name="mastodon-unfollow"),
]
