"""Query views for profiles, follow lists and `GET me`."""

from __future__ import annotations

from datetime import datetime

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from socialapp.common.errors import NotFound
from socialapp.read.common.pagination import page_request, paginated
from socialapp.read.common.views import CONSISTENCY_PARAMETERS, PAGE_PARAMETERS, QueryView
from socialapp.read.profiles import selectors
from socialapp.read.profiles.serializers import FollowListItemOut, FollowPageOut, MeOut, PublicProfileOut

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


def _viewer(request: Request) -> int | None:
    return request.user.pk if request.user and request.user.is_authenticated else None


class ProfileView(QueryView):
    permission_classes = [AllowAny]
    projectors = ("profiles",)

    @extend_schema(
        operation_id="users_retrieve",
        summary="A profile with its counts and whether you follow them",
        parameters=CONSISTENCY_PARAMETERS,
        responses=PublicProfileOut,
        examples=[OpenApiExample("A profile", value={**PROFILE_EXAMPLE, "followed_by_me": True, "follows_me": False})],
        tags=["queries"],
    )
    def get(self, request: Request, username: str) -> Response:
        profile = selectors.profile_by_username(username=username, viewer_id=_viewer(request))
        if profile is None:
            raise NotFound("No such user.")
        return Response(PublicProfileOut(profile).data)


class MeView(QueryView):
    permission_classes = [IsAuthenticated]
    projectors = ("profiles",)

    @extend_schema(
        operation_id="me_retrieve",
        summary="Your own profile (with your e-mail)",
        parameters=CONSISTENCY_PARAMETERS,
        responses=MeOut,
        examples=[OpenApiExample("Me", value={**PROFILE_EXAMPLE, "email": "ann@example.org"})],
        tags=["queries"],
    )
    def get(self, request: Request) -> Response:
        profile = selectors.own_profile(user_id=request.user.pk)
        if profile is None:
            raise NotFound("Your profile is not in the read model yet; retry with your X-Consistency-Token.")
        return Response(MeOut(profile).data)


class _FollowListView(QueryView):
    permission_classes = [AllowAny]
    projectors = ("profiles",)
    direction = "followers"

    def get(self, request: Request, username: str) -> Response:
        profile = selectors.profile_by_username(username=username, viewer_id=None)
        if profile is None:
            raise NotFound("No such user.")
        scope = f"{self.direction}:{profile['user_id']}"
        page = page_request(request, scope, key_length=2)
        after = None
        if page.after is not None:
            try:
                after = (datetime.fromisoformat(page.key(0, str)), page.key(1))
            except ValueError:
                after = None
        rows = selectors.follow_list(
            user_id=profile["user_id"], direction=self.direction, after=after, limit=page.limit + 1
        )
        return paginated(
            request,
            page,
            rows,
            scope=scope,
            key=lambda r: [r["since"].isoformat(), r["user_id"]],
            render=lambda rs: FollowListItemOut(rs, many=True).data,
        )


_LIST_EXAMPLE = OpenApiExample(
    "A page", value={"results": [{**PROFILE_EXAMPLE, "since": "2026-01-02T08:00:00Z"}], "next": None}
)


class FollowersView(_FollowListView):
    direction = "followers"

    @extend_schema(
        operation_id="users_followers_list",
        summary="Who follows them, most recent first",
        parameters=[*PAGE_PARAMETERS, *CONSISTENCY_PARAMETERS],
        responses=FollowPageOut,
        examples=[_LIST_EXAMPLE],
        tags=["queries"],
    )
    def get(self, request: Request, username: str) -> Response:
        return super().get(request, username)


class FollowingView(_FollowListView):
    direction = "following"

    @extend_schema(
        operation_id="users_following_list",
        summary="Whom they follow, most recent first",
        parameters=[*PAGE_PARAMETERS, *CONSISTENCY_PARAMETERS],
        responses=FollowPageOut,
        examples=[_LIST_EXAMPLE],
        tags=["queries"],
    )
    def get(self, request: Request, username: str) -> Response:
        return super().get(request, username)
