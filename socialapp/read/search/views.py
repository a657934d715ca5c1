"""Search API: thin views, explicit input and output serializers, cursor pagination."""

from __future__ import annotations

from urllib.parse import urlencode

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from socialapp.read.search import query as Q
from socialapp.read.search import selectors
from socialapp.read.search.selectors import Page


class _PageInput(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False, max_length=100_000)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=100, default=20)
    cursor = serializers.CharField(required=False, allow_blank=True, max_length=1024)


class PostSearchInput(_PageInput):
    author = serializers.RegexField(r"^@?\w[\w.]{0,149}$", required=False)
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)
    sort = serializers.ChoiceField(choices=["relevance", "recent"], required=False, default="relevance")


class AuthorOutput(serializers.Serializer):
    id = serializers.CharField()
    username = serializers.CharField()
    display_name = serializers.CharField()


class PostHitOutput(serializers.Serializer):
    id = serializers.CharField()
    author = AuthorOutput()
    body = serializers.CharField()
    snippet = serializers.CharField(help_text="HTML-escaped excerpt with <em> around the matches")
    hashtags = serializers.ListField(child=serializers.CharField())
    like_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class UserHitOutput(serializers.Serializer):
    id = serializers.CharField()
    username = serializers.CharField()
    display_name = serializers.CharField()


class HashtagHitOutput(serializers.Serializer):
    tag = serializers.CharField()
    post_count = serializers.IntegerField()
    last_used_at = serializers.DateTimeField(allow_null=True)


def _page_of(hit: type[serializers.Serializer], name: str) -> type[serializers.Serializer]:
    """The documented page shape: results plus the opaque cursor of the next page."""
    return type(
        name,
        (serializers.Serializer,),
        {
            "results": hit(many=True),
            "next": serializers.CharField(allow_null=True, help_text="cursor of the next page"),
        },
    )


PostPageOutput = _page_of(PostHitOutput, "PostSearchPage")
UserPageOutput = _page_of(UserHitOutput, "UserSearchPage")
HashtagPageOutput = _page_of(HashtagHitOutput, "HashtagSearchPage")


def _page_response(request: Request, page: Page, output: type[serializers.Serializer]) -> Response:
    body = {"results": output(page.results, many=True).data, "next": page.next_cursor}
    headers = {}
    if page.next_cursor:
        params = {k: v for k, v in request.query_params.items() if k != "cursor"}
        url = request.build_absolute_uri(request.path) + "?" + urlencode({**params, "cursor": page.next_cursor})
        headers["Link"] = f'<{url}>; rel="next"'
    return Response(body, headers=headers)


def _validated(serializer_class: type[serializers.Serializer], request: Request) -> dict:
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class PostSearchView(APIView):
    @extend_schema(parameters=[PostSearchInput], responses=PostPageOutput)
    def get(self, request: Request) -> Response:
        data = _validated(PostSearchInput, request)
        has_filter = any(data.get(k) for k in ("author", "since", "until"))
        q = Q.check_query(data.get("q"), required=not has_filter)
        page = selectors.search_posts(
            q=q,
            author=data.get("author"),
            since=data.get("since"),
            until=data.get("until"),
            sort=data["sort"],
            limit=data["limit"],
            cursor=data.get("cursor") or None,
        )
        return _page_response(request, page, PostHitOutput)


class UserSearchView(APIView):
    @extend_schema(parameters=[_PageInput], responses=UserPageOutput)
    def get(self, request: Request) -> Response:
        data = _validated(_PageInput, request)
        q = Q.check_query(data.get("q"))
        page = selectors.search_users(q=q, limit=data["limit"], cursor=data.get("cursor") or None)
        return _page_response(request, page, UserHitOutput)


class HashtagSearchView(APIView):
    @extend_schema(parameters=[_PageInput], responses=HashtagPageOutput)
    def get(self, request: Request) -> Response:
        data = _validated(_PageInput, request)
        q = Q.check_query(data.get("q"), required=False)
        page = selectors.search_hashtags(q=q, limit=data["limit"], cursor=data.get("cursor") or None)
        return _page_response(request, page, HashtagHitOutput)
