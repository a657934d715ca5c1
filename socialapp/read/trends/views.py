"""Query views of trends: trending tags and posts per window, and a tag's daily history."""

from __future__ import annotations

import orjson
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from socialapp.read.common.rendered import json_response
from socialapp.read.common.views import CONSISTENCY_PARAMETERS, QueryView, viewer_id
from socialapp.read.trends import selectors
from socialapp.read.trends.serializers import (
    TagHistoryOut,
    TrendingPostsIn,
    TrendingPostsOut,
    TrendingTagsIn,
    TrendingTagsOut,
)

#: What the trends endpoints serve: the counters, and for posts the posts and relations models.
PROJECTORS = ("trends", "posts", "relations")


def _validated(serializer_class: type[serializers.Serializer], request: Request) -> dict:
    # A plain dict, not the QueryDict: DRF reads an empty value of a QueryDict (an HTML form's
    # empty field) as "absent", so `?window=` would get the default; here it is a 400, as the
    # schema says (an enum value, an integer).
    serializer = serializer_class(data=request.query_params.dict())
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class TrendingTagsView(QueryView):
    permission_classes = [AllowAny]
    projectors = ("trends",)

    @extend_schema(
        operation_id="trends_tags",
        summary="Trending hashtags of a window, best first",
        parameters=[TrendingTagsIn, *CONSISTENCY_PARAMETERS],
        responses=TrendingTagsOut,
        tags=["queries"],
    )
    def get(self, request: Request) -> Response:
        params = _validated(TrendingTagsIn, request)
        found = selectors.top_tags(window=params["window"], limit=params["limit"], offset=params["offset"])
        return Response({"window": params["window"], "results": found})


class TrendingPostsView(QueryView):
    permission_classes = [AllowAny]
    projectors = PROJECTORS

    @extend_schema(
        operation_id="trends_posts",
        summary="Trending posts of a window, best first, as you may see them",
        parameters=[TrendingPostsIn, *CONSISTENCY_PARAMETERS],
        responses=TrendingPostsOut,
        tags=["queries"],
    )
    def get(self, request: Request) -> HttpResponse:
        params = _validated(TrendingPostsIn, request)
        rows = selectors.trending_posts(
            window=params["window"], viewer_id=viewer_id(request), limit=params["limit"], offset=params["offset"]
        )
        body = b"".join(
            [
                b'{"window":',
                orjson.dumps(params["window"]),
                b',"results":[',
                b",".join(row[1].encode() for row in rows),
                b"]}",
            ]
        )
        return json_response(body)


class TagHistoryView(QueryView):
    permission_classes = [AllowAny]
    projectors = ("trends",)

    @extend_schema(
        operation_id="tags_history",
        summary="A hashtag's uses and distinct accounts per day, for 7 days (today first)",
        parameters=[*CONSISTENCY_PARAMETERS],
        responses=TagHistoryOut,
        tags=["queries"],
    )
    def get(self, request: Request, tag: str) -> Response:
        name = tag.lower().lstrip("#")
        history = selectors.tag_history([name])[name]
        return Response(TagHistoryOut({"tag": name, "history": history}).data)
