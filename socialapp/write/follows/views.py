"""Follow command endpoints: thin; the services decide."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from socialapp.events.catalogue import AggregateType
from socialapp.write.common.api import CommandView
from socialapp.write.follows import services
from socialapp.write.follows.serializers import FollowOut


class FollowView(CommandView):
    @extend_schema(request=None, responses={200: FollowOut})
    def put(self, request: Request, username: str) -> Response:
        follow, _changed = services.user_follow(follower=request.user, username=username)
        self.aggregate = (AggregateType.FOLLOW, follow.aggregate_id)
        out = {
            "follower_id": follow.follower_id,
            "followee_id": follow.followee_id,
            "followee_username": follow.followee.username,
            "following": True,
        }
        return Response(FollowOut(out).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, username: str) -> Response:
        follow, _changed = services.user_unfollow(follower=request.user, username=username)
        # Never followed: nothing to wait for but the caller's own account.
        self.aggregates = [(AggregateType.FOLLOW, follow.aggregate_id)] if follow else []
        self.aggregates.append((AggregateType.USER, request.user.pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
