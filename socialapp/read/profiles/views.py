"""Query views for profiles, follow lists and `GET me`."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from django.http.response import HttpResponseBase
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request

from socialapp.common.errors import NotFound
from socialapp.read.common.conditional import CONDITIONAL_PARAMETERS, NOT_MODIFIED, conditional_rendered
from socialapp.read.common.pagination import PageRequest
from socialapp.read.common.rendered import serve_rendered_page
from socialapp.read.common.views import CONSISTENCY_PARAMETERS, PAGE_PARAMETERS, QueryView, viewer_id
from socialapp.read.profiles import selectors
from socialapp.read.profiles.serializers import FollowPageOut, MeOut, PublicProfileOut

PROFILE_EXAMPLE = {
    "id": "42",
    "username": "ann",
    "display_name": "Ann",
    "bio": "Writes about CQRS.",
    "registered_at": "2026-01-01T12:00:00Z",
    "follower_count": 10,
    "following_count": 3,
    "post_count": 7,
}


class ProfileView(QueryView):
    permission_classes = [AllowAny]
    projectors = ("profiles", "relations")

    @extend_schema(
        operation_id="users_retrieve",
        summary="A profile with its counts and your relations with them (follow, block, mute, request)",
        parameters=[*CONSISTENCY_PARAMETERS, *CONDITIONAL_PARAMETERS],
        responses={200: PublicProfileOut, 304: NOT_MODIFIED},
        examples=[
            OpenApiExample(
                "A profile",
                value={
                    **PROFILE_EXAMPLE,
                    "followed_by_me": True,
                    "follows_me": False,
                    "blocking": False,
                    "blocked_by": False,
                    "muting": False,
                    "requested": False,
                },
            )
        ],
        tags=["queries"],
    )
    def get(self, request: Request, username: str) -> HttpResponseBase:
        profile = selectors.profile_by_username(username=username, viewer_id=viewer_id(request))
        if profile is None:
            raise NotFound("No such user.")
        version, document = profile
        return conditional_rendered(request, version=version, document=document.encode(), serializer=PublicProfileOut)


class MeView(QueryView):
    permission_classes = [IsAuthenticated]
    # The OpenAPI document's: a profile the read model has not applied yet.
    schema_errors = {404: "Your profile is not in the read model yet: retry with your X-Consistency-Token"}
    projectors = ("profiles",)

    @extend_schema(
        operation_id="me_retrieve",
        summary="Your own profile (with your e-mail)",
        parameters=[*CONSISTENCY_PARAMETERS, *CONDITIONAL_PARAMETERS],
        responses={200: MeOut, 304: NOT_MODIFIED},
        examples=[OpenApiExample("Me", value={**PROFILE_EXAMPLE, "email": "ann@example.org"})],
        tags=["queries"],
    )
    def get(self, request: Request) -> HttpResponseBase:
        # The e-mail is in no read model (it stays off the event bus: docs/events.md). The session
        # record that authentication read from the cache has it: no further query.
        profile = selectors.own_profile(user_id=request.user.pk, email=request.user.email)
        if profile is None:
            raise NotFound("Your profile is not in the read model yet; retry with your X-Consistency-Token.")
        version, document = profile
        return conditional_rendered(request, version=version, document=document.encode(), serializer=MeOut)


class _FollowListView(QueryView):
    permission_classes = [AllowAny]
    projectors = ("profiles", "relations")
    direction: ClassVar[str]  # "followers" or "following"

    def get(self, request: Request, username: str) -> HttpResponseBase:
        user_id, viewer = selectors.profile_id(username=username), viewer_id(request)
        if user_id is None:
            raise NotFound("No such user.")

        def fetch(page: PageRequest) -> list[tuple[datetime, int, str]]:
            after = (page.key(0, str), page.key(1)) if page.after is not None else None  # (since ISO, user id)
            return selectors.follow_list(
                user_id=user_id, direction=self.direction, after=after, limit=page.fetch_limit, viewer_id=viewer
            )

        return serve_rendered_page(
            request,
            scope=f"{self.direction}:{user_id}",
            fetch=fetch,
            key=lambda r: [r[0].isoformat(), r[1]],
            key_length=2,
        )


def _follow_list_schema(operation_id: str, summary: str) -> Any:
    return extend_schema_view(
        get=extend_schema(
            operation_id=operation_id,
            summary=summary,
            parameters=[*PAGE_PARAMETERS, *CONSISTENCY_PARAMETERS],
            responses=FollowPageOut,
            examples=[
                OpenApiExample(
                    "A page", value={"results": [{**PROFILE_EXAMPLE, "since": "2026-01-02T08:00:00Z"}], "next": None}
                )
            ],
            tags=["queries"],
        )
    )


@_follow_list_schema("users_followers_list", "Who follows them, most recent first")
class FollowersView(_FollowListView):
    direction = "followers"


@_follow_list_schema("users_following_list", "Whom they follow, most recent first")
class FollowingView(_FollowListView):
    direction = "following"
