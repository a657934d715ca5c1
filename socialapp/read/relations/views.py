"""Query views of the caller's own relations: `GET me/blocks`, `me/mutes`, `me/follow-requests`.

Authenticated and `read` scope (every query view's scope check); newest first by the event
position that set each row, with our keyset cursor (`next`, `Link`). Approving or rejecting a
request, blocking and muting are commands (socialapp.write.relations)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request

from socialapp.read.common.rendered import serve_rendered_page
from socialapp.read.common.views import CONSISTENCY_PARAMETERS, PAGE_PARAMETERS, QueryView
from socialapp.read.relations import selectors
from socialapp.read.relations.serializers import BlockPageOut, FollowRequestPageOut, MutePageOut

ACCOUNT_EXAMPLE = {"id": "43", "username": "bob", "display_name": "Bob"}


class _OwnListView(QueryView):
    permission_classes = [IsAuthenticated]
    projectors = ("relations", "profiles")
    scope: ClassVar[str]
    select: ClassVar[Callable[..., list[tuple[int, str]]]]

    def get(self, request: Request) -> HttpResponse:
        me = request.user.pk
        select = type(self).select
        return serve_rendered_page(
            request,
            scope=f"{self.scope}:{me}",
            fetch=lambda page: select(user_id=me, before=page.key(0), limit=page.fetch_limit),
        )


def _schema(operation_id: str, summary: str, page: type[serializers.Serializer], item: dict[str, Any]) -> Any:
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        parameters=[*PAGE_PARAMETERS, *CONSISTENCY_PARAMETERS],
        responses=page,
        examples=[OpenApiExample("A page", value={"results": [item], "next": None})],
        tags=["queries"],
    )


class BlocksView(_OwnListView):
    scope, select = "blocks", staticmethod(selectors.blocks)

    @_schema("me_blocks_list", "The accounts you block, most recent first", BlockPageOut, ACCOUNT_EXAMPLE)
    def get(self, request: Request) -> HttpResponse:
        return super().get(request)


class MutesView(_OwnListView):
    scope, select = "mutes", staticmethod(selectors.mutes)

    @_schema(
        "me_mutes_list",
        "The accounts you mute (unexpired), most recent first",
        MutePageOut,
        {**ACCOUNT_EXAMPLE, "notifications": True, "expires_at": "2026-01-08T12:00:00Z"},
    )
    def get(self, request: Request) -> HttpResponse:
        return super().get(request)


class FollowRequestsView(_OwnListView):
    scope, select = "follow-requests", staticmethod(selectors.follow_requests)

    @_schema(
        "me_follow_requests_list",
        "Pending requests to follow you, most recent first",
        FollowRequestPageOut,
        {**ACCOUNT_EXAMPLE, "requested_at": "2026-01-01T12:00:00Z"},
    )
    def get(self, request: Request) -> HttpResponse:
        return super().get(request)
