"""Comment command endpoints: thin; the services decide."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from socialapp.events.catalogue import AggregateType
from socialapp.write.comments import services
from socialapp.write.comments.serializers import CommentOut, comment_out
from socialapp.write.common.api import CommandView
from socialapp.write.posts.serializers import BodyIn, StatusIn


class CommentCreateView(CommandView):
    @extend_schema(request=StatusIn, responses={201: CommentOut})
    def post(self, request: Request, post_id: int) -> Response:
        data = StatusIn(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.comment_create(
            post_id=post_id,
            author=request.user,
            body=data.validated_data["body"],
            visibility=data.validated_data.get("visibility"),
        )
        return Response(comment_out(comment), status=status.HTTP_201_CREATED)


class CommentDetailView(CommandView):
    @extend_schema(request=BodyIn, responses={200: CommentOut})
    def patch(self, request: Request, comment_id: int) -> Response:
        data = StatusIn(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.comment_edit(
            comment_id=comment_id,
            actor=request.user,
            body=data.validated_data["body"],
            visibility=data.validated_data.get("visibility"),
        )
        self.aggregate = (AggregateType.COMMENT, comment.id)
        return Response(comment_out(comment))

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, comment_id: int) -> Response:
        services.comment_delete(comment_id=comment_id, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
