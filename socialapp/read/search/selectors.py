"""Search selectors: query Elasticsearch, re-check visibility on the read DB, shape results.

Visibility is enforced twice: hidden documents carry `hidden: true` and every query filters
them out, and the hits are checked again against the search state (deleted post, deactivated
author) before they are served, so a document Elasticsearch has not caught up on never leaks.
Any failure to reach Elasticsearch becomes ServiceUnavailable (503), never a 500.
The re-check reads the search state through the router: the request's read replica, if any.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from elastic_transport import TransportError
from elasticsearch import ApiError, NotFoundError

from socialapp.common.errors import ServiceUnavailable, ValidationFailed
from socialapp.read.common.visibility import Relations
from socialapp.read.search import query as search_query
from socialapp.read.search.client import get_client
from socialapp.read.search.highlight import Highlighter, highlight, snippet
from socialapp.read.search.indexes import read_alias
from socialapp.read.search.models import SearchPost, SearchUser

T = TypeVar("T")
POST_SOURCE = [
    "post_id",
    "author_id",
    "author_username",
    "author_display_name",
    "body",
    "language",
    "hashtags",
    "created_at",
    "like_count",
]


@dataclass
class Page:
    results: list[dict[str, Any]]
    next_key: list[Any] | None  # sort values of the last hit when the page is full (search_after)


def _es(call: Callable[[], T]) -> T:
    try:
        return call()
    except NotFoundError as exc:
        raise ServiceUnavailable("The search index is not initialised yet; try again later.") from exc
    except (TransportError, ApiError) as exc:
        status = getattr(getattr(exc, "meta", None), "status", None)
        if isinstance(exc, ApiError) and status == 400:
            # A query we built was refused: treat as an invalid query, not a server error.
            raise ValidationFailed.on("q", "This query cannot be run.") from exc
        raise ServiceUnavailable("Search is temporarily unavailable; try again shortly.") from exc


def _search(
    kind: str, body: dict[str, Any], sort: list[Any], limit: int, after: list[Any] | None, offset: int = 0
) -> list[dict]:
    kwargs: dict[str, Any] = {"index": read_alias(kind), "size": limit, "sort": sort, "track_total_hits": False, **body}
    if after is not None:
        kwargs["search_after"] = after
    elif offset:
        kwargs["from_"] = offset  # Mastodon's `offset` paging (our own API uses search_after)
    response = _es(lambda: get_client().search(**kwargs))
    return response["hits"]["hits"]


def _next(hits: list[dict], limit: int) -> list[Any] | None:
    """A full page of hits may have a successor (visibility re-checks can shorten `results`,
    so it is the hits that count)."""
    return hits[-1]["sort"] if len(hits) == limit and hits else None


def search_posts(
    *,
    q: str,
    author: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    sort: str = "relevance",
    limit: int = 20,
    after: list[Any] | None = None,
    offset: int = 0,
    viewer: Relations | None = None,
    open_end: bool = False,
) -> Page:
    """`viewer`: the searcher's relations (viewer_relations; None is anonymous: public posts only,
    and `from:me` is a 400). `open_end`: the raw `q` did not end with whitespace, so its last word
    also matches as a prefix (query.open_ended). With `sort=relevance` the cursor key is the hit's
    sort values plus the clock of the first page (epoch ms), so every page ranks recency alike."""
    parsed = search_query.parse(q, viewer_id=viewer.user_id if viewer else None, open_end=open_end)
    query = search_query.posts_query(parsed, author=author, since=since, until=until, viewer=viewer)
    relevance = sort != "recent"
    origin_ms = None
    if relevance:
        origin_ms = after[-1] if after else int(datetime.now(UTC).timestamp() * 1000)
        if not isinstance(origin_ms, int) or isinstance(origin_ms, bool) or not 0 <= origin_ms < 2**53:
            raise ValidationFailed.on("cursor", "Invalid cursor.")
        after = after[:-1] if after else None
    if relevance and parsed.has_text:
        order: list[Any] = [{"_score": "desc"}, {"post_id": "desc"}]
        query = search_query.ranked(query, origin=datetime.fromtimestamp(origin_ms / 1000, UTC))  # type: ignore[operator]
    else:  # sort=recent, or nothing to rank by (only #tags, @names, operators): newest first
        order = [{"created_at": "desc"}, {"post_id": "desc"}]
    body = {"query": query, "_source": POST_SOURCE}
    hits = _search("posts", body, order, limit, after, offset)
    sources = [h["_source"] for h in hits]
    post_ids = [s["post_id"] for s in sources]
    author_ids = {s["author_id"] for s in sources}
    gone = set(SearchPost.objects.filter(post_id__in=post_ids, deleted=True).values_list("pk", flat=True))
    authors = {u.user_id: u for u in SearchUser.objects.filter(user_id__in=author_ids)}
    highlighter = Highlighter(parsed)
    results = []
    for src in sources:
        author_row = authors.get(src["author_id"])
        if src["post_id"] in gone or (author_row is not None and (author_row.deactivated or author_row.suspended)):
            continue
        language = src.get("language") or None
        spans = highlighter.spans(src["body"], language)
        results.append(
            {
                "id": str(src["post_id"]),
                "author": {
                    "id": str(src["author_id"]),
                    "username": author_row.username if author_row and author_row.username else src["author_username"],
                    "display_name": author_row.display_name if author_row else src["author_display_name"],
                },
                "body": src["body"],
                "snippet": snippet(src["body"], spans),
                "highlight": highlight(src["body"], spans),
                "language": language,
                "hashtags": src["hashtags"],
                "like_count": src["like_count"],
                "created_at": src["created_at"],
            }
        )
    next_key = _next(hits, limit)
    if next_key is not None and origin_ms is not None:
        next_key = [*next_key, origin_ms]
    return Page(results, next_key)


def search_users(
    *,
    q: str,
    limit: int = 20,
    after: list[Any] | None = None,
    offset: int = 0,
    only: list[int] | None = None,
    viewer: Relations | None = None,
) -> Page:
    """`only`: search among these user ids alone (a terms filter inside the query, so `limit` and
    `offset` count matching users among them; Mastodon's accounts search `following=true`).
    `viewer`: accounts blocked either way with the searcher are left out."""
    query = search_query.users_query(q, viewer=viewer)
    if only is not None:
        query = {"bool": {"must": [query], "filter": [{"terms": {"user_id": only}}]}}
    body = {"query": query, "_source": ["user_id", "username", "display_name"]}
    hits = _search("users", body, [{"_score": "desc"}, {"user_id": "asc"}], limit, after, offset)
    ids = [h["_source"]["user_id"] for h in hits]
    hidden = set(
        SearchUser.objects.filter(user_id__in=ids)
        .exclude(deactivated=False, suspended=False)  # deactivated or suspended
        .values_list("pk", flat=True)
    )
    results = [
        {"id": str(s["user_id"]), "username": s["username"], "display_name": s["display_name"]}
        for s in (h["_source"] for h in hits)
        if s["user_id"] not in hidden
    ]
    return Page(results, _next(hits, limit))


def search_hashtags(*, q: str, limit: int = 20, after: list[Any] | None = None, offset: int = 0) -> Page:
    body = {"query": search_query.hashtags_query(q), "_source": ["tag", "post_count", "last_used_at"]}
    hits = _search("hashtags", body, [{"post_count": "desc"}, {"tag": "asc"}], limit, after, offset)
    results = [
        {"tag": s["tag"], "post_count": s["post_count"], "last_used_at": s.get("last_used_at")}
        for s in (h["_source"] for h in hits)
    ]
    return Page(results, _next(hits, limit))
