"""Search API: thin views, explicit input and output serializers, the query side's keyset cursors
(signed sort values of the last hit, given to Elasticsearch as `search_after`)."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from socialapp.common.fields import StrictCharField, StrictRegexField
from socialapp.common.text import raw_input_cap
from socialapp.read.common.pagination import page_request, page_response
from socialapp.read.common.views import CONSISTENCY_PARAMETERS, PAGE_PARAMETERS, QueryView
from socialapp.read.search import query as Q
from socialapp.read.search import selectors
from socialapp.read.search.selectors import Page


class QueryInput(serializers.Serializer):
    # The exact limit (SEARCH_MAX_QUERY_LENGTH, after trimming) is check_query's; this caps the raw input.
    q = StrictCharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        max_length=raw_input_cap(settings.SEARCH_MAX_QUERY_LENGTH),
    )


class PostSearchInput(QueryInput):
    author = StrictRegexField(r"^@?\w[\w.]{0,149}$", max_length=151, required=False)
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


def _validated(serializer_class: type[serializers.Serializer], request: Request) -> dict:
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _served(request: Request, scope: str, page: Page, output: type[serializers.Serializer]) -> Response:
    return page_response(request, scope=scope, results=output(page.results, many=True).data, next_key=page.next_key)


class SearchView(QueryView):
    """Read-your-writes (`X-Consistency-Token`) and `X-Read-Lag` as on every query: "applied"
    means pushed to Elasticsearch, searchable after its refresh interval."""

    projectors = ("search",)


class PostSearchView(SearchView):
    @extend_schema(parameters=[PostSearchInput, *PAGE_PARAMETERS, *CONSISTENCY_PARAMETERS], responses=PostPageOutput)
    def get(self, request: Request) -> Response:
        data = _validated(PostSearchInput, request)
        has_filter = any(data.get(k) for k in ("author", "since", "until"))
        q = Q.check_query(data.get("q"), required=not has_filter)
        scope = f"search.posts.{data['sort']}"
        page = page_request(request, scope, key_length=2)
        found = selectors.search_posts(
            q=q,
            author=data.get("author"),
            since=data.get("since"),
            until=data.get("until"),
            sort=data["sort"],
            limit=page.limit,
            after=page.after,
        )
        return _served(request, scope, found, PostHitOutput)


class UserSearchView(SearchView):
    @extend_schema(parameters=[QueryInput, *PAGE_PARAMETERS, *CONSISTENCY_PARAMETERS], responses=UserPageOutput)
    def get(self, request: Request) -> Response:
        q = Q.check_query(_validated(QueryInput, request).get("q"))
        page = page_request(request, "search.users", key_length=2)
        return _served(
            request, "search.users", selectors.search_users(q=q, limit=page.limit, after=page.after), UserHitOutput
        )


class HashtagSearchView(SearchView):
    @extend_schema(parameters=[QueryInput, *PAGE_PARAMETERS, *CONSISTENCY_PARAMETERS], responses=HashtagPageOutput)
    def get(self, request: Request) -> Response:
        q = Q.check_query(_validated(QueryInput, request).get("q"), required=False)
        page = page_request(request, "search.hashtags", key_length=2)
        found = selectors.search_hashtags(q=q, limit=page.limit, after=page.after)
        return _served(request, "search.hashtags", found, HashtagHitOutput)
