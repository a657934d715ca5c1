"""Mastodon timelines: home, public, hashtag. Posts only (comments are replies: never in a
timeline here, as Mastodon's public timelines leave replies out by default).

- home: the feed read model exactly as our own feed serves it (socialapp.read.feeds.selectors
  .HOME_FEED_SQL): the reader's fanned-out entries (feed_entry's primary key) merged with the
  posts of followed authors left to the read-time merge (hybrid fan-out), with Mastodon's three
  cursors on both branches. An empty first page regenerates a feed that is empty in storage (new
  or evicted), then reads again, as the feed view does (socialapp.read.feeds.views).
- public: every shown post, newest first (read_post's primary key). `local` is accepted (every
  post is local), `remote=true` is empty (we federate with nobody), `only_media=true` is empty
  (we store no media).
- tag: read_post_tag's primary key (tag, post_id), the tag as our parser folds it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.urls import URLPattern, path
from rest_framework.request import Request
from rest_framework.response import Response

from socialapp.mastodon.common.dispatch import by_method
from socialapp.mastodon.common.paging import Page, page_from
from socialapp.mastodon.common.params import as_bool
from socialapp.mastodon.common.schema import flag_param, paging
from socialapp.mastodon.queries import rows
from socialapp.mastodon.queries.base import QueryView, viewer_id
from socialapp.mastodon.queries.lists import keyset, paged_response
from socialapp.read.common.sql import fetchall
from socialapp.read.common.visibility import Context
from socialapp.read.feeds import maintenance


def home_ids(reader_id: int, page: Page) -> list[int]:
    """The reader's home feed page (ids, in the page's read order): HOME_FEED_SQL's two branches
    with the page's bounds on each."""
    entry_where, direction, params = keyset("e.post_id", page, prefix="e_")
    merge_where, _, more = keyset("fp.post_id", page, prefix="m_")
    sql = f"""
WITH candidates AS (
  (SELECT e.post_id FROM feed_entry e JOIN read_post p ON p.post_id = e.post_id
    WHERE e.reader_id = %(r)s AND {entry_where} AND {rows.post_shown(Context.HOME, viewer="%(r)s")}
    ORDER BY e.post_id {direction} LIMIT %(limit)s)
  UNION
  (SELECT m.post_id FROM feed_author a JOIN feed_follow f ON f.followee_id = a.user_id AND f.follower_id = %(r)s
    CROSS JOIN LATERAL (
      SELECT fp.post_id FROM feed_post fp JOIN read_post p ON p.post_id = fp.post_id
      WHERE fp.author_id = f.followee_id AND NOT fp.fanned_out AND NOT fp.deleted AND {merge_where}
        AND {rows.post_shown(Context.HOME, viewer="%(r)s")}
      ORDER BY fp.post_id {direction} LIMIT %(limit)s) m
    WHERE a.has_unfanned AND f.active)
)
SELECT c.post_id FROM candidates c ORDER BY c.post_id {direction} LIMIT %(limit)s
"""
    return [r[0] for r in fetchall(sql, {**params, **more, "r": reader_id})]


def public_ids(page: Page, viewer: int | None) -> list[int]:
    where, direction, params = keyset("p.post_id", page)
    return [
        r[0]
        for r in fetchall(
            f"SELECT p.post_id FROM read_post p WHERE {where} AND {rows.post_shown(Context.PUBLIC)}"
            f" ORDER BY p.post_id {direction} LIMIT %(limit)s",
            {**params, "viewer": viewer},
        )
    ]


def tag_ids(tag: str, page: Page, viewer: int | None) -> list[int]:
    where, direction, params = keyset("t.post_id", page)
    return [
        r[0]
        for r in fetchall(
            f"SELECT t.post_id FROM read_post_tag t JOIN read_post p ON p.post_id = t.post_id"
            f" WHERE t.tag = %(tag)s AND {where} AND {rows.post_shown(Context.TAG)}"
            f" ORDER BY t.post_id {direction} LIMIT %(limit)s",
            {**params, "tag": tag.lower().lstrip("#"), "viewer": viewer},
        )
    ]


def _respond(request: Request, page: Page, ids: list[int]) -> Response:
    ordered = ids[::-1] if page.ascending else ids
    body = rows.statuses(ordered, viewer_id=viewer_id(request), base_url=rows.base_url(request))
    return paged_response(request, page, ids, body)


class HomeView(QueryView):
    """GET /api/v1/timelines/home (read:statuses)."""

    pages_with_link = True  # a Link header (next/prev): the OpenAPI document says so
    answers_list = True  # an array in the OpenAPI document
    schema_query: ClassVar[list[Any]] = paging()

    scopes = {"GET": "read:statuses"}

    def get(self, request: Request) -> Response:
        page, reader = page_from(request), request.user.pk
        ids = home_ids(reader, page)
        first_page = page.max_id is None and page.lower is None
        if not ids and first_page and maintenance.regenerate_if_empty(reader):
            ids = home_ids(reader, page)
        return _respond(request, page, ids)


PUBLIC_FILTERS = [
    flag_param("local", "Only local statuses: every status is local, so this changes nothing"),
    flag_param("remote", "Only remote statuses: none here, so an empty page"),
    flag_param("only_media", "Only statuses with media: none here, so an empty page"),
]


def _nothing_remote_or_media(request: Request) -> bool:
    q = request.query_params
    as_bool(q.get("local"), field="local")  # every post is local: accepted, changes nothing
    remote = as_bool(q.get("remote"), field="remote")
    only_media = as_bool(q.get("only_media"), field="only_media")  # checked whatever `remote` says
    return remote or only_media


class PublicView(QueryView):
    """GET /api/v1/timelines/public (public)."""

    pages_with_link = True  # a Link header (next/prev): the OpenAPI document says so
    answers_list = True  # an array in the OpenAPI document
    schema_query: ClassVar[list[Any]] = [*paging(), *PUBLIC_FILTERS]

    def get(self, request: Request) -> Response:
        page = page_from(request)
        if _nothing_remote_or_media(request):
            return paged_response(request, page, [], [])
        return _respond(request, page, public_ids(page, viewer_id(request)))


class TagView(QueryView):
    """GET /api/v1/timelines/tag/:hashtag (public)."""

    pages_with_link = True  # a Link header (next/prev): the OpenAPI document says so
    answers_list = True  # an array in the OpenAPI document
    schema_query: ClassVar[list[Any]] = [*paging(), *PUBLIC_FILTERS]

    def get(self, request: Request, tag: str) -> Response:
        page = page_from(request)
        if _nothing_remote_or_media(request):
            return paged_response(request, page, [], [])
        return _respond(request, page, tag_ids(tag, page, viewer_id(request)))


urlpatterns: list[URLPattern] = [
    path("api/v1/timelines/home", by_method(get=HomeView.as_view()), name="mastodon-timeline-home"),
    path("api/v1/timelines/public", by_method(get=PublicView.as_view()), name="mastodon-timeline-public"),
    path("api/v1/timelines/tag/<tag:tag>", by_method(get=TagView.as_view()), name="mastodon-timeline-tag"),
]
