"""Post and like command endpoints: thin; the services decide."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from socialapp.events.catalogue import AggregateType
from socialapp.write.common.api import CommandView
from socialapp.write.posts import serializers as s
from socialapp.write.posts import services


class PostCreateView(CommandView):
    @extend_schema(request=s.PostIn, responses={201: s.PostOut})
    def post(self, request: Request) -> Response:
        data = s.PostIn(data=request.data)
        data.is_valid(raise_exception=True)
        post = services.post_create(
            author=request.user,
            body=data.validated_data["body"],
            visibility=data.validated_data.get("visibility", "public"),
            language=data.validated_data.get("language"),
        )
        return Response(s.post_out(post), status=status.HTTP_201_CREATED)


class PostDetailView(CommandView):
    @extend_schema(request=s.PostEditIn, responses={200: s.PostOut})
    def patch(self, request: Request, post_id: int) -> Response:
        data = s.PostIn(data=request.data)
        data.is_valid(raise_exception=True)
        post = services.post_edit(
            post_id=post_id,
            actor=request.user,
            body=data.validated_data["body"],
            visibility=data.validated_data.get("visibility"),
            language=data.validated_data.get("language"),
        )
        self.aggregate = (AggregateType.POST, post.id)
        return Response(s.post_out(post))

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, post_id: int) -> Response:
        services.post_delete(post_id=post_id, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PostLikeView(CommandView):
    @extend_schema(request=None, responses={200: s.LikeOut})
    def put(self, request: Request, post_id: int) -> Response:
        like, _changed = services.post_like(post_id=post_id, user=request.user)
        self.aggregate = (AggregateType.LIKE, like.aggregate_id)
        return Response(s.like_out(post_id, request.user.pk))

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, post_id: int) -> Response:
        like, _changed = services.post_unlike(post_id=post_id, user=request.user)
        # Never liked: nothing to wait for but the post.
        self.aggregates = [(AggregateType.LIKE, like.aggregate_id)] if like else []
        self.aggregates.append((AggregateType.POST, post_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
