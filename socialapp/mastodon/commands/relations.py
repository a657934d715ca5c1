"""Mastodon relation commands: block, mute and answering follow requests (docs/privacy.md).

- `POST /api/v1/accounts/:id/block`, `/unblock` (`write:blocks`), `/mute`, `/unmute`
  (`write:mutes`; the legacy `follow` scope covers all four, as in Mastodon): idempotent; each
  answers the caller's Relationship to the account as the command left it. A block also ends the
  follows and pending requests between the two, both ways (the service does it in the same
  transaction), so the answer says `following: false, followed_by: false`.
- `/mute` takes Mastodon's `notifications` (default true: their notifications are muted too) and
  `duration` (seconds; 0 or absent: until unmuted). Mastodon reads a malformed duration as 0 and
  mutes forever; a mute meant to end that silently never does is a guess, so it is a 422 here.
- `POST /api/v1/follow_requests/:account_id/authorize` and `/reject` (`write:follows`): answer a
  pending request to follow the caller's locked account; no pending request from that account is
  a 404, as Mastodon's `FollowRequest.find_by!`.

Yourself, an unknown account, a closed one: the services' errors (422, 404), written in
Mastodon's shape by the base view.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.urls import URLPattern, path
from rest_framework.request import Request
from rest_framework.response import Response

from socialapp.common.errors import ValidationFailed
from socialapp.common.request_schema import boolean, request_body
from socialapp.mastodon.commands import rows
from socialapp.mastodon.commands.base import CommandView
from socialapp.mastodon.commands.params import body
from socialapp.mastodon.common.dispatch import by_method
from socialapp.mastodon.common.params import as_bool
from socialapp.write.relations import services
from socialapp.write.relations.services import MUTE_DURATION_MAX


def duration_param(value: Any) -> int | None:
    """Mastodon's `duration`: whole seconds, 0 (or absent, or blank) meaning forever."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValidationFailed.on("duration", "is not a number")
    text = str(value).strip()
    if not text.lstrip("-").isdigit() or len(text) > 12:
        raise ValidationFailed.on("duration", "is not a number")
    seconds = int(text)
    if seconds < 0:
        raise ValidationFailed.on("duration", "must be 0 (forever) or more seconds")
    return seconds or None


class _RelationView(CommandView):
    def act(self, request: Request, account_id: int) -> None:
        raise NotImplementedError

    def post(self, request: Request, account_id: int) -> Response:
        self.act(request, account_id)
        return Response(rows.relationship(request.user, account_id))


class BlockView(_RelationView):
    """POST /api/v1/accounts/:id/block: block the account (ends follows and requests both ways)."""

    scopes: ClassVar[dict[str, str]] = {"POST": "write:blocks"}  # `follow` covers it

    def act(self, request: Request, account_id: int) -> None:
        services.user_block(actor=request.user, target_id=account_id)


class UnblockView(_RelationView):
    """POST /api/v1/accounts/:id/unblock: lift your block (no block: nothing changes)."""

    scopes: ClassVar[dict[str, str]] = {"POST": "write:blocks"}

    def act(self, request: Request, account_id: int) -> None:
        services.user_unblock(actor=request.user, target_id=account_id)


class MuteView(_RelationView):
    """POST /api/v1/accounts/:id/mute: hide the account's statuses, and its notifications.

    `notifications` false keeps its notifications; `duration` mutes for that many seconds (0 or
    absent: until unmuted)."""

    scopes: ClassVar[dict[str, str]] = {"POST": "write:mutes"}
    schema_bodies: ClassVar[dict[str, Any]] = {
        "POST": request_body(
            {
                "notifications": boolean("Mute their notifications too (default true)"),
                "duration": {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": MUTE_DURATION_MAX,
                    "nullable": True,
                    "description": "Seconds; 0 or absent: until unmuted",
                },
            }
        )
    }

    def act(self, request: Request, account_id: int) -> None:
        data = body(request)
        notifications = as_bool(data.get("notifications"), field="notifications", default=True)
        duration = duration_param(data.get("duration"))
        services.user_mute(actor=request.user, target_id=account_id, notifications=notifications, duration=duration)


class UnmuteView(_RelationView):
    """POST /api/v1/accounts/:id/unmute: lift your mute (no mute: nothing changes)."""

    scopes: ClassVar[dict[str, str]] = {"POST": "write:mutes"}

    def act(self, request: Request, account_id: int) -> None:
        services.user_unmute(actor=request.user, target_id=account_id)


class AuthorizeFollowRequestView(_RelationView):
    """POST /api/v1/follow_requests/:account_id/authorize: the account becomes your follower."""

    scopes: ClassVar[dict[str, str]] = {"POST": "write:follows"}

    def act(self, request: Request, account_id: int) -> None:
        services.follow_request_approve(owner=request.user, follower_id=account_id)


class RejectFollowRequestView(_RelationView):
    """POST /api/v1/follow_requests/:account_id/reject: refuse the request (it may ask again)."""

    scopes: ClassVar[dict[str, str]] = {"POST": "write:follows"}

    def act(self, request: Request, account_id: int) -> None:
        services.follow_request_reject(owner=request.user, follower_id=account_id)


def _post(view: type[CommandView]) -> Any:
    return by_method(post=view.as_view())


urlpatterns: list[URLPattern] = [
    path("api/v1/accounts/<id:account_id>/block", _post(BlockView), name="mastodon-block"),
    path("api/v1/accounts/<id:account_id>/unblock", _post(UnblockView), name="mastodon-unblock"),
    path("api/v1/accounts/<id:account_id>/mute", _post(MuteView), name="mastodon-mute"),
    path("api/v1/accounts/<id:account_id>/unmute", _post(UnmuteView), name="mastodon-unmute"),
    path(
        "api/v1/follow_requests/<id:account_id>/authorize",
        _post(AuthorizeFollowRequestView),
        name="mastodon-follow-request-authorize",
    ),
    path(
        "api/v1/follow_requests/<id:account_id>/reject",
        _post(RejectFollowRequestView),
        name="mastodon-follow-request-reject",
    ),
]
