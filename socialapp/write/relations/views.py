"""Block, mute and follow-request command endpoints: thin; the services decide."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from socialapp.events.catalogue import AggregateType
from socialapp.write.accounts.selectors import user_id_by_username
from socialapp.write.common.api import CommandView
from socialapp.write.relations import services
from socialapp.write.relations.serializers import BlockOut, FollowRequestOut, MuteIn, MuteOut


class BlockView(CommandView):
    # The caller naming themself (a rule about who calls, not the request's shape).
    schema_errors = {400: "You cannot block or unblock yourself"}

    @extend_schema(
        request=None, responses={200: BlockOut}, summary="Block a user (ends follows and requests both ways)"
    )
    def put(self, request: Request, username: str) -> Response:
        block, _changed = services.user_block(actor=request.user, target_id=user_id_by_username(username))
        self.aggregate = (AggregateType.BLOCK, block.aggregate_id)
        out = {
            "blocker_id": block.blocker_id,
            "blocked_id": block.blocked_id,
            "blocked_username": block.blocked.username,
            "blocking": True,
        }
        return Response(BlockOut(out).data)

    @extend_schema(request=None, responses={204: None}, summary="Lift a block")
    def delete(self, request: Request, username: str) -> Response:
        block, _changed = services.user_unblock(actor=request.user, target_id=user_id_by_username(username))
        # Never blocked: nothing to wait for but the caller's own account.
        self.aggregates = [(AggregateType.BLOCK, block.aggregate_id)] if block else []
        self.aggregates.append((AggregateType.USER, request.user.pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class MuteView(CommandView):
    # The caller naming themself (a rule about who calls, not the request's shape).
    schema_errors = {400: "You cannot mute or unmute yourself; or an invalid body"}

    @extend_schema(request=MuteIn, responses={200: MuteOut}, summary="Mute a user (again, with new options)")
    def put(self, request: Request, username: str) -> Response:
        data = MuteIn(data=request.data)
        data.is_valid(raise_exception=True)
        mute, _changed = services.user_mute(
            actor=request.user, target_id=user_id_by_username(username), **data.validated_data
        )
        self.aggregate = (AggregateType.MUTE, mute.aggregate_id)
        out = {
            "muter_id": mute.muter_id,
            "muted_id": mute.muted_id,
            "muted_username": mute.muted.username,
            "muting": True,
            "notifications": mute.notifications,
            "expires_at": mute.expires_at,
        }
        return Response(MuteOut(out).data)

    @extend_schema(request=None, responses={204: None}, summary="Lift a mute")
    def delete(self, request: Request, username: str) -> Response:
        mute, _changed = services.user_unmute(actor=request.user, target_id=user_id_by_username(username))
        self.aggregates = [(AggregateType.MUTE, mute.aggregate_id)] if mute else []
        self.aggregates.append((AggregateType.USER, request.user.pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class _FollowRequestDecisionView(CommandView):
    """Approve or reject the pending follow request of the user in the path to you."""

    approve: bool

    def _decide(self, request: Request, username: str) -> Response:
        decide = services.follow_request_approve if self.approve else services.follow_request_reject
        follow_request = decide(owner=request.user, follower_id=user_id_by_username(username))
        self.aggregate = (AggregateType.FOLLOW_REQUEST, follow_request.aggregate_id)
        out = {
            "follower_id": follow_request.follower_id,
            "followee_id": follow_request.followee_id,
            "follower_username": follow_request.follower.username,
            "outcome": "approved" if self.approve else "rejected",
            "followed_by": self.approve,
        }
        return Response(FollowRequestOut(out).data)


class FollowRequestApproveView(_FollowRequestDecisionView):
    approve = True

    @extend_schema(request=None, responses={200: FollowRequestOut}, summary="Approve a follow request: they follow you")
    def post(self, request: Request, username: str) -> Response:
        return self._decide(request, username)


class FollowRequestRejectView(_FollowRequestDecisionView):
    approve = False

    @extend_schema(
        request=None, responses={200: FollowRequestOut}, summary="Reject a follow request (they may ask again)"
    )
    def post(self, request: Request, username: str) -> Response:
        return self._decide(request, username)
