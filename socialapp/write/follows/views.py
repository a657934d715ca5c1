"""Follow command endpoints: thin; the services decide."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from socialapp.events.catalogue import AggregateType
from socialapp.write.common.api import CommandView
from socialapp.write.follows import services
from socialapp.write.follows.serializers import FollowOut, follow_out
from socialapp.write.relations.models import FollowRequest


class FollowView(CommandView):
    # The caller naming themself (a rule about who calls, not the request's shape).
    schema_errors = {400: "You cannot follow or unfollow yourself"}

    @extend_schema(request=None, responses={200: FollowOut})
    def put(self, request: Request, username: str) -> Response:
        row, _changed = services.user_follow(follower=request.user, username=username)
        requested = isinstance(row, FollowRequest)  # the followee is locked: asked, not following
        self.aggregate = (row.aggregate_type, row.aggregate_id)
        out = follow_out(
            follower_id=row.follower_id,
            followee_id=row.followee_id,
            followee_username=row.followee.username,
            requested=requested,
        )
        return Response(out)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, username: str) -> Response:
        follow, _changed = services.user_unfollow(follower=request.user, username=username)
        # Never followed: nothing to wait for but the caller's own account (a withdrawn request's
        # event is in the token already, as everything appended is).
        self.aggregates = [(AggregateType.FOLLOW, follow.aggregate_id)] if follow else []
        self.aggregates.append((AggregateType.USER, request.user.pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
