"""Mastodon trends: `GET /api/v1/trends/tags` (and its deprecated alias `/api/v1/trends`),
`/api/v1/trends/statuses` and `/api/v1/trends/links`, and `GET /api/v1/tags/:name`
(docs/analytics.md, "Trends").

Mirrors Api::V1::Trends::*Controller: anonymous callers allowed, `limit` (tags: default 10, at
most 20; statuses: default 20, at most 40; Mastodon clamps at twice the default) and `offset`,
with `Link` headers that page by offset (`next` when the page is full, `prev` when offset >
limit). Tags are REST::TagSerializer entities with `history`; statuses pass the one visibility rule
for the caller (read.trends.selectors), then render as every status does (rows.py). We hold no
links: `trends/links` is always an empty list. The window is always the default (24h): Mastodon
has no parameter for it; our own API has `window`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

from django.urls import path
from rest_framework import exceptions as drf
from rest_framework.request import Request
from rest_framework.response import Response

from socialapp.mastodon.common import entities
from socialapp.mastodon.common.dispatch import by_method
from socialapp.mastodon.common.schema import mastodon_schema, offset_paging
from socialapp.mastodon.queries import rows
from socialapp.mastodon.queries.base import QueryView, viewer_id
from socialapp.mastodon.queries.paging import non_negative_int
from socialapp.read.trends import selectors
from socialapp.read.trends.ranking import DEFAULT_WINDOW

MAX_OFFSET = 10_000
TAG_PARAMETERS = offset_paging(default=10, maximum=20)  # links page the same way
STATUS_PARAMETERS = offset_paging(default=20, maximum=40)


def _page(request: Request, default_limit: int) -> tuple[int, int]:
    """(limit, offset) as Mastodon's limit_param: at most twice the default, at least 1."""
    limit = min(
        max(non_negative_int(request.query_params.get("limit"), field="limit", default=default_limit), 1),
        2 * default_limit,
    )
    offset = min(non_negative_int(request.query_params.get("offset"), field="offset", default=0), MAX_OFFSET)
    return limit, offset


def _link(request: Request, limit: int, offset: int, count: int) -> str | None:
    base = request.build_absolute_uri(request.path)
    links = []
    if count == limit:
        links.append(f'<{base}?{urlencode({"limit": limit, "offset": offset + limit})}>; rel="next"')
    if offset > limit:
        links.append(f'<{base}?{urlencode({"limit": limit, "offset": offset - limit})}>; rel="prev"')
    return ", ".join(links) or None


def _paged(request: Request, items: list[Any], limit: int, offset: int) -> Response:
    response = Response(items)
    link = _link(request, limit, offset, len(items))
    if link:
        response["Link"] = link
    return response


def history_entities(tags: list[str]) -> dict[str, list[dict[str, str]]]:
    """Mastodon's Tag history: 7 days, newest first; `day` the UTC midnight in Unix seconds,
    `uses` and `accounts` as strings (Tag::History#as_json)."""

    def day(d: date) -> str:
        return str(int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp()))

    return {
        tag: [{"day": day(h["day"]), "uses": str(h["uses"]), "accounts": str(h["accounts"])} for h in days]
        for tag, days in selectors.tag_history(tags).items()
    }


def tag_entities(names: list[str], *, base_url: str) -> list[dict[str, Any]]:
    """Tag entities with their history (every place our Mastodon face renders a REST::Tag)."""
    histories = history_entities(names) if names else {}
    return [entities.tag(name, base_url=base_url, history=histories[name]) for name in names]


class TrendingTagsView(QueryView):
    pages_with_link = True  # a Link header (next/prev): the OpenAPI document says so
    projectors = ("trends",)
    scopes: dict[str, str] = {}

    @mastodon_schema("trends", "Trending hashtags", many=True, parameters=TAG_PARAMETERS)
    def get(self, request: Request) -> Response:
        limit, offset = _page(request, 10)
        names = [t["name"] for t in selectors.top_tags(window=DEFAULT_WINDOW, limit=limit, offset=offset)]
        return _paged(request, tag_entities(names, base_url=rows.base_url(request)), limit, offset)


class LegacyTrendsView(TrendingTagsView):
    """`GET /api/v1/trends`: the deprecated name of trends/tags."""

    @mastodon_schema(
        "trends", "Trending hashtags (deprecated alias of trends/tags)", many=True, parameters=TAG_PARAMETERS
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


class TrendingStatusesView(QueryView):
    pages_with_link = True  # a Link header (next/prev): the OpenAPI document says so
    projectors = ("trends", "posts", "relations")
    scopes: dict[str, str] = {}

    @mastodon_schema("trends", "Trending statuses you may see", many=True, parameters=STATUS_PARAMETERS)
    def get(self, request: Request) -> Response:
        limit, offset = _page(request, 20)
        viewer = viewer_id(request)
        ids = selectors.trending_post_ids(window=DEFAULT_WINDOW, viewer_id=viewer, limit=limit, offset=offset)
        return _paged(request, rows.statuses(ids, viewer_id=viewer, base_url=rows.base_url(request)), limit, offset)


class TrendingLinksView(QueryView):
    projectors = ()
    scopes: dict[str, str] = {}

    @mastodon_schema("trends", "Trending links (none: we hold no link previews)", many=True, parameters=TAG_PARAMETERS)
    def get(self, request: Request) -> Response:
        _page(request, 10)  # checked like Mastodon's, then nothing to page
        return Response([])


class TagView(QueryView):
    """`GET /api/v1/tags/:name`: one Tag entity with its history (Api::V1::TagsController#show);
    404 for a tag no public post has used (we keep no other tag records). Following tags is not
    served."""

    projectors = ("trends",)
    scopes: dict[str, str] = {}

    @mastodon_schema("trends", "A hashtag, with its daily history")
    def get(self, request: Request, tag: str) -> Response:
        name = tag.lower().lstrip("#")
        if not selectors.tag_known(name):
            raise drf.NotFound("Record not found")
        return Response(tag_entities([name], base_url=rows.base_url(request))[0])


urlpatterns = [
    path("api/v1/trends", by_method(get=LegacyTrendsView.as_view()), name="mastodon-trends"),
    path("api/v1/trends/tags", by_method(get=TrendingTagsView.as_view()), name="mastodon-trends-tags"),
    path("api/v1/trends/statuses", by_method(get=TrendingStatusesView.as_view()), name="mastodon-trends-statuses"),
    path("api/v1/trends/links", by_method(get=TrendingLinksView.as_view()), name="mastodon-trends-links"),
    path("api/v1/tags/<tag:tag>", by_method(get=TagView.as_view()), name="mastodon-tag"),
]
