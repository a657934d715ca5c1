"""Mastodon status queries: a status, its context (thread), who favourited it.

A status id names a post or a comment (one id space). A post's descendants are its comments; a
comment's ancestors are its post and the chain of comments it answers (`in_reply_to_id`), and
its descendants the comments that answer it, directly or down the chain. Descendants come in
thread order, as Mastodon sends them: depth first, each level oldest first. A comment whose
answered comment is no longer shown still belongs to the post's thread: it hangs from the post.

History (StatusEdit entities, oldest first, the original first) comes from read_status_version,
the posts projector's one row per create or edit event; a status with no rows there (projected
before that table existed) answers its current content as its only version, as Mastodon does
for a status with no recorded edits. Its source (what the author typed) is the author's only.

Favourites exist on posts only (comments cannot be liked: their `favourited_by` is empty). The
list is paged by the liker's id (read_like's primary key (post_id, user_id)), which stands in for
Mastodon's favourite id in the cursors and the Link header.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, ClassVar

from django.urls import URLPattern, path
from rest_framework.request import Request
from rest_framework.response import Response

from socialapp.common.errors import NotFound
from socialapp.common.text import parse_hashtags
from socialapp.mastodon.common import entities
from socialapp.mastodon.common.dispatch import by_method
from socialapp.mastodon.common.paging import page_from
from socialapp.mastodon.common.params import as_id, as_list
from socialapp.mastodon.common.schema import ids_param, paging
from socialapp.mastodon.queries import rows
from socialapp.mastodon.queries.base import QueryView, viewer_id
from socialapp.mastodon.queries.lists import keyset, paged_response
from socialapp.read.common.sql import fetchall
from socialapp.read.common.visibility import Context

# Mastodon caps a thread's descendants (4096 for a signed-in caller); so do we, to bound a page.
MAX_DESCENDANTS = 4096


class StatusView(QueryView):
    """GET /api/v1/statuses/:id (public; PUT and DELETE on the same path are commands.statuses)."""

    def get(self, request: Request, status_id: int) -> Response:
        found = rows.status_rows([status_id], viewer_id=viewer_id(request)).get(status_id)
        if found is None:
            raise NotFound("Record not found")
        return Response(entities.status(found, base_url=rows.base_url(request)))


def _thread(post_id: int, viewer: int | None) -> list[tuple[int, int | None]]:
    """(comment id, answered comment id) of the comments of a post the viewer may see in a thread
    (THREAD: blocked and muted authors' comments are left out), oldest first (read_comment_post_idx)."""
    return fetchall(
        "SELECT c.comment_id, c.in_reply_to_id FROM read_comment c WHERE c.post_id = %(p)s"
        f" AND {rows.comment_shown(Context.THREAD)} ORDER BY c.comment_id LIMIT %(n)s",
        {"p": post_id, "n": MAX_DESCENDANTS, "viewer": viewer},
    )


def _descendants(root: int, comments: list[tuple[int, int | None]], post_id: int) -> list[int]:
    """Depth first from `root` (the post or one of its comments), children oldest first."""
    shown = {c for c, _ in comments}
    children: dict[int, list[int]] = defaultdict(list)
    for comment, answered in comments:
        parent = answered if answered in shown else post_id
        children[parent].append(comment)
    out: list[int] = []
    stack = list(reversed(children.get(root, [])))
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(reversed(children.get(node, [])))
    return out


def _ancestors(comment_id: int, comments: list[tuple[int, int | None]], post_id: int) -> list[int]:
    """The post, then the answered comments down to the one `comment_id` answers."""
    answered = dict(comments)
    chain: list[int] = []
    current = answered.get(comment_id)
    while current is not None and current in answered and current not in chain:
        chain.append(current)
        current = answered[current]
    return [post_id, *reversed(chain)]


class ContextView(QueryView):
    """GET /api/v1/statuses/:id/context (public)."""

    def get(self, request: Request, status_id: int) -> Response:
        viewer, root = viewer_id(request), rows.base_url(request)
        found = rows.status_rows([status_id], viewer_id=viewer).get(status_id)
        if found is None:
            raise NotFound("Record not found")
        is_comment = found["in_reply_to_id"] is not None
        post_id = _post_of(status_id) if is_comment else status_id
        comments = _thread(post_id, viewer)
        ancestors = _ancestors(status_id, comments, post_id) if is_comment else []
        descendants = _descendants(status_id, comments, post_id)
        hydrated = rows.status_rows([*ancestors, *descendants], viewer_id=viewer)

        def render(ids: list[int]) -> list[dict[str, Any]]:
            return [entities.status(hydrated[i], base_url=root) for i in ids if i in hydrated]

        return Response({"ancestors": render(ancestors), "descendants": render(descendants)})


def _post_of(comment_id: int) -> int:
    found = fetchall("SELECT post_id FROM read_comment WHERE comment_id = %s", [comment_id])
    return found[0][0]


class FavouritedByView(QueryView):
    """GET /api/v1/statuses/:id/favourited_by (public; accounts, paged by the liker's id)."""

    pages_with_link = True  # a Link header (next/prev): the OpenAPI document says so
    answers_list = True  # an array in the OpenAPI document
    schema_query: ClassVar[list[Any]] = paging(default=40, maximum=80)

    def get(self, request: Request, status_id: int) -> Response:
        viewer = viewer_id(request)
        found = rows.status_rows([status_id], viewer_id=viewer).get(status_id)
        if found is None:
            raise NotFound("Record not found")
        page = page_from(request, default=40, maximum=80)
        if found["in_reply_to_id"] is not None:
            return paged_response(request, page, [], [])  # a comment: never liked
        where, direction, params = keyset("l.user_id", page)
        keys = [
            r[0]
            for r in fetchall(
                "SELECT l.user_id FROM read_like l JOIN read_profile pr ON pr.user_id = l.user_id"
                f" WHERE l.post_id = %(p)s AND l.active AND {where} AND {rows.ACCOUNT_VISIBLE}"
                f" AND {rows.listed('l.user_id')} ORDER BY l.user_id {direction} LIMIT %(limit)s",
                {**params, "p": status_id, "viewer": viewer},
            )
        ]
        ordered = keys[::-1] if page.ascending else keys
        return paged_response(request, page, keys, rows.accounts(ordered, base_url=rows.base_url(request)))


def visible_status(request: Request, status_id: int) -> entities.StatusRow:
    """The status as the caller may see it; 404 if unknown or hidden."""
    found = rows.status_rows([status_id], viewer_id=viewer_id(request)).get(status_id)
    if found is None:
        raise NotFound("Record not found")
    return found


def _versions(status: entities.StatusRow) -> list[entities.StatusEditRow]:
    found = fetchall(
        "SELECT body, spoiler_text, sensitive, hashtags, mentions, created_at FROM read_status_version"
        " WHERE status_id = %s ORDER BY version",
        [status["id"]],
    )
    if not found:  # projected before versions were kept: the current content is the only one
        at = status["edited_at"] or status["created_at"]
        found = [
            (status["body"], status["spoiler_text"], status["sensitive"], status["hashtags"], status["mentions"], at)
        ]
    return [
        entities.StatusEditRow(
            account=status["account"],
            body=body,
            spoiler_text=spoiler,
            sensitive=sensitive,
            hashtags=list(tags) if tags is not None else parse_hashtags(body),
            mentions=rows.as_json(mentions) or [],
            created_at=at,
        )
        for body, spoiler, sensitive, tags, mentions, at in found
    ]


class HistoryView(QueryView):
    """GET /api/v1/statuses/:id/history (public, as Mastodon: `read:statuses` if a token is sent):
    StatusEdit entities, oldest first, the original first."""

    answers_list = True  # an array in the OpenAPI document

    def get(self, request: Request, status_id: int) -> Response:
        status, root = visible_status(request, status_id), rows.base_url(request)
        return Response([entities.status_edit(v, base_url=root) for v in _versions(status)])


class SourceView(QueryView):
    """GET /api/v1/statuses/:id/source: the caller's own status as typed (Mastodon looks the id up
    among the caller's statuses, so anybody else's is a 404)."""

    scopes = {"GET": "read:statuses"}

    def get(self, request: Request, status_id: int) -> Response:
        status = visible_status(request, status_id)
        if status["account"]["id"] != request.user.pk:
            raise NotFound("Record not found")
        return Response(entities.status_source(status_id, text=status["body"], spoiler_text=status["spoiler_text"]))


# Mastodon's DEFAULT_STATUSES_LIMIT: GET /api/v1/statuses?id[]= reads the first 20 distinct ids.
MAX_BATCH_STATUSES = 20


class StatusesView(QueryView):
    """GET /api/v1/statuses?id[]=...: the shown statuses among the first 20 distinct ids, in the
    order asked (POST on the same path is commands.statuses; socialapp/mastodon/urls.py composes)."""

    answers_list = True  # an array in the OpenAPI document
    schema_query: ClassVar[list[Any]] = [
        ids_param("id", f"The statuses (the first {MAX_BATCH_STATUSES} distinct ones are read, as Mastodon)")
    ]

    def get(self, request: Request) -> Response:
        wanted = [as_id(v, field="id") for v in as_list(request.query_params, "id")]
        ids = list(dict.fromkeys(i for i in wanted if i is not None))[:MAX_BATCH_STATUSES]
        return Response(rows.statuses(ids, viewer_id=viewer_id(request), base_url=rows.base_url(request)))


urlpatterns: list[URLPattern] = [
    path(
        "api/v1/statuses/<id:status_id>/history", by_method(get=HistoryView.as_view()), name="mastodon-status-history"
    ),
    path("api/v1/statuses/<id:status_id>/source", by_method(get=SourceView.as_view()), name="mastodon-status-source"),
    path(
        "api/v1/statuses/<id:status_id>/context", by_method(get=ContextView.as_view()), name="mastodon-status-context"
    ),
    path(
        "api/v1/statuses/<id:status_id>/favourited_by",
        by_method(get=FavouritedByView.as_view()),
        name="mastodon-status-favourited-by",
    ),
]
