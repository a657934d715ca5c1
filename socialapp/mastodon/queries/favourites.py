"""GET /api/v1/favourites: the caller's favourited statuses, newest favourite first.

Mastodon pages this list by the favourite's own id; ours is the log position of the like's
latest event (read_like.position, set by the posts projector), so a re-like moves to the top as a
new favourite would. Every cursor is one range scan of read_like_user_pos_idx (user_id,
-position, active likes only), joined to the posts that still show; the Link header's max_id and
min_id are positions, not status ids, as Mastodon's are favourite ids.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.urls import URLPattern, path
from rest_framework.request import Request
from rest_framework.response import Response

from socialapp.mastodon.common.dispatch import by_method
from socialapp.mastodon.common.paging import page_from
from socialapp.mastodon.common.schema import paging
from socialapp.mastodon.queries import rows
from socialapp.mastodon.queries.base import QueryView
from socialapp.mastodon.queries.lists import keyset, paged_response
from socialapp.read.common.sql import fetchall
from socialapp.read.common.visibility import Context


class FavouritesView(QueryView):
    """GET /api/v1/favourites (`read:favourites`; 20 a page by default, at most 40, as Mastodon)."""

    pages_with_link = True  # a Link header (next/prev): the OpenAPI document says so
    answers_list = True  # an array in the OpenAPI document
    schema_query: ClassVar[list[Any]] = paging(default=20, maximum=40)
    scopes = {"GET": "read:favourites"}

    def get(self, request: Request) -> Response:
        me = request.user.pk
        page = page_from(request, default=20, maximum=40)
        where, direction, params = keyset("l.position", page)
        found = fetchall(
            "SELECT l.position, l.post_id FROM read_like l JOIN read_post p ON p.post_id = l.post_id"
            f" WHERE l.user_id = %(me)s AND l.active AND {where} AND {rows.post_shown(Context.LIKES)}"
            f" ORDER BY l.position {direction} LIMIT %(limit)s",
            {**params, "me": me, "viewer": me},
        )
        keys = [r[0] for r in found]
        posts = [r[1] for r in (found[::-1] if page.ascending else found)]
        return paged_response(request, page, keys, rows.statuses(posts, viewer_id=me, base_url=rows.base_url(request)))


urlpatterns: list[URLPattern] = [
    path("api/v1/favourites", by_method(get=FavouritesView.as_view()), name="mastodon-favourites"),
]
