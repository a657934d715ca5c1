"""Search API: thin views, explicit input and output serializers (serializers.py), the query
side's keyset cursors (signed sort values of the last hit, given to Elasticsearch as
`search_after`)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from socialapp.read.common.pagination import page_request, page_response
from socialapp.read.common.views import CONSISTENCY_PARAMETERS, PAGE_PARAMETERS, QueryView, viewer_id
from socialapp.read.common.visibility import viewer_relations
from socialapp.read.search import selectors
from socialapp.read.search.query import check_query, open_ended, query_parameter
from socialapp.read.search.selectors import Page
from socialapp.read.search.serializers import (
    HashtagHitOut,
    HashtagSearchPageOut,
    PostHitOut,
    PostSearchIn,
    PostSearchPageOut,
    SearchQueryIn,
    UserHitOut,
    UserSearchPageOut,
)


def _validated(serializer_class: type[serializers.Serializer], request: Request) -> dict:
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _served(request: Request, scope: str, page: Page, output: type[serializers.Serializer]) -> Response:
    return page_response(request, scope=scope, results=output(page.results, many=True).data, next_key=page.next_key)


class SearchView(QueryView):
    """Read-your-writes (`X-Consistency-Token`) and `X-Read-Lag` as on every query: "applied"
    means pushed to Elasticsearch, searchable after its refresh interval."""

    projectors = ("search", "relations")
    schema_errors = {503: "Search is unavailable (Elasticsearch cannot be reached or is not initialised)"}


class PostSearchView(SearchView):
    @extend_schema(
        parameters=[
            PostSearchIn,
            query_parameter(required=False, description=PostSearchIn().fields["q"].help_text),
            *PAGE_PARAMETERS,
            *CONSISTENCY_PARAMETERS,
        ],
        responses=PostSearchPageOut,
    )
    def get(self, request: Request) -> Response:
        data = _validated(PostSearchIn, request)
        has_filter = any(data.get(k) for k in ("author", "since", "until"))
        q = check_query(data.get("q"), required=not has_filter)
        scope = f"search.posts.{data['sort']}"
        # relevance: the hit's sort values and the first page's clock (selectors.search_posts)
        page = page_request(request, scope, key_length=2 if data["sort"] == "recent" else 3)
        found = selectors.search_posts(
            q=q,
            open_end=open_ended(data.get("q")),
            author=data.get("author"),
            since=data.get("since"),
            until=data.get("until"),
            sort=data["sort"],
            limit=page.limit,
            after=page.after,
            viewer=viewer_relations(viewer_id(request)),
        )
        return _served(request, scope, found, PostHitOut)


class UserSearchView(SearchView):
    @extend_schema(
        parameters=[SearchQueryIn, query_parameter(required=True), *PAGE_PARAMETERS, *CONSISTENCY_PARAMETERS],
        responses=UserSearchPageOut,
    )
    def get(self, request: Request) -> Response:
        q = check_query(_validated(SearchQueryIn, request).get("q"))
        page = page_request(request, "search.users", key_length=2)
        found = selectors.search_users(
            q=q, limit=page.limit, after=page.after, viewer=viewer_relations(viewer_id(request))
        )
        return _served(request, "search.users", found, UserHitOut)


class HashtagSearchView(SearchView):
    @extend_schema(
        parameters=[SearchQueryIn, query_parameter(required=False), *PAGE_PARAMETERS, *CONSISTENCY_PARAMETERS],
        responses=HashtagSearchPageOut,
    )
    def get(self, request: Request) -> Response:
        q = check_query(_validated(SearchQueryIn, request).get("q"), required=False)
        page = page_request(request, "search.hashtags", key_length=2)
        found = selectors.search_hashtags(q=q, limit=page.limit, after=page.after)
        return _served(request, "search.hashtags", found, HashtagHitOut)
