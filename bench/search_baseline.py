"""Posts search as it was before issue 18 (commit 274447d), frozen: the "before" of
bench/search_relevance.py.

A copy, not an import, so that the comparison keeps meaning what it meant when the issue was
built: the document shape of `sync._post_source` (the body folded, nothing else derived), the
posts mapping of schema version 2, and the posts half of `query.py` and `selectors.search_posts`
(quoted phrases, `#tag`, `@mention`, every other word ANDed on `body_folded`; no stems, no
fuzziness, no prefixes, no operators: `from:x` is searched as the words `from` and `x`; ranked
by BM25 alone). The only change is that `search_posts` takes the index to ask, so the benchmark
can keep a baseline index beside the live one or ask the live one with the old query. The
optional ranking sub-field of SEARCH_LANGUAGE_ANALYZER (off by default, full image only) is left
out: it was off.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from django.conf import settings
from elastic_transport import TransportError
from elasticsearch import ApiError, NotFoundError

from socialapp.common.errors import ServiceUnavailable, ValidationFailed
from socialapp.read.common.visibility import Relations, search_filter
from socialapp.read.search.client import get_client
from socialapp.read.search.folding import HL_CLOSE, HL_OPEN, fold, fold_with_offsets
from socialapp.read.search.models import SearchPost, SearchUser

T = TypeVar("T")
SNIPPET_CHARS = 200

# ------------------------------------------------------------------------------ the index (sync.py, indexes.py)
POSTS_MAPPING: dict[str, Any] = {
    "dynamic": "strict",
    "_meta": {"schema_version": 2},
    "properties": {
        "hidden": {"type": "boolean"},
        "post_id": {"type": "long"},
        "author_id": {"type": "long"},
        "author_username": {"type": "keyword"},  # lower-cased
        "author_display_name": {"type": "keyword", "index": False},
        "body": {"type": "text", "index": False},  # shown, never searched
        "body_folded": {"type": "text", "analyzer": "standard"},
        "hashtags": {"type": "keyword"},
        "mentions": {"type": "keyword"},
        "created_at": {"type": "date"},
        "like_count": {"type": "integer"},
        "visibility": {"type": "keyword"},  # public, unlisted, followers, direct
    },
}


def post_source(
    *,
    post_id: int,
    author_id: int,
    author_username: str,
    author_display_name: str,
    body: str,
    hashtags: list[str],
    mentions: list[str],
    created_at: datetime | str,
    like_count: int,
    visibility: str,
) -> dict[str, Any]:
    """`sync._post_source` of a visible post."""
    return {
        "hidden": False,
        "post_id": post_id,
        "author_id": author_id,
        "author_username": author_username.lower(),
        "author_display_name": author_display_name,
        "body": body,
        "body_folded": fold(body),
        "hashtags": hashtags,
        "mentions": mentions,
        "created_at": created_at,
        "like_count": like_count,
        "visibility": visibility,
    }


# ------------------------------------------------------------------------------ query.py
_TOKEN = re.compile(r'"([^"]*)"?|(\S+)')
_TAG = re.compile(r"^#(\w+)$")
_MENTION = re.compile(r"^@(\w[\w.]*)$")


@dataclass
class ParsedQuery:
    words: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    hashtags: list[str] = field(default_factory=list)
    mentions: list[str] = field(default_factory=list)

    @property
    def has_text(self) -> bool:
        return bool(self.words or self.phrases)


def parse(q: str) -> ParsedQuery:
    """Quoted text is a phrase (an unbalanced quote runs to the end); `#x` and `@x` are terms."""
    parsed = ParsedQuery()
    for phrase, word in _TOKEN.findall(q):
        if phrase:
            folded = fold(phrase).strip()
            if folded:
                parsed.phrases.append(folded)
        elif word:
            if tag := _TAG.match(word):
                parsed.hashtags.append(tag.group(1).lower())
            elif mention := _MENTION.match(word):
                parsed.mentions.append(mention.group(1).lower())
            else:
                parsed.words.append(fold(word))
    if (
        len(parsed.words) + len(parsed.phrases) + len(parsed.hashtags) + len(parsed.mentions)
        > settings.SEARCH_MAX_TERMS
    ):
        raise ValidationFailed.on("q", f"At most {settings.SEARCH_MAX_TERMS} terms.")
    return parsed


def posts_query(
    parsed: ParsedQuery,
    *,
    author: str | None,
    since: datetime | None,
    until: datetime | None,
    viewer: Relations | None = None,
) -> dict:
    must: list[dict[str, Any]] = []
    filters: list[dict[str, Any]] = [{"term": {"hidden": False}}, *search_filter(viewer)]
    should: list[dict[str, Any]] = []
    if parsed.words:
        words = " ".join(parsed.words)
        must.append({"match": {"body_folded": {"query": words, "operator": "and"}}})
    must.extend({"match_phrase": {"body_folded": {"query": phrase}}} for phrase in parsed.phrases)
    filters.extend({"term": {"hashtags": tag}} for tag in parsed.hashtags)
    filters.extend({"term": {"mentions": name}} for name in parsed.mentions)
    if author:
        filters.append({"term": {"author_username": author.lower().lstrip("@")}})
    if since or until:
        bounds = {}
        if since:
            bounds["gte"] = since.isoformat()
        if until:
            bounds["lt"] = until.isoformat()
        filters.append({"range": {"created_at": bounds}})
    return {"bool": {"must": must or [{"match_all": {}}], "should": should, "filter": filters}}


HIGHLIGHT = {
    "fields": {"body_folded": {"number_of_fragments": 0}},
    "pre_tags": [HL_OPEN],
    "post_tags": [HL_CLOSE],
}


# ------------------------------------------------------------------------------ selectors.py (posts)
@dataclass
class Page:
    results: list[dict[str, Any]]
    next_key: list[Any] | None


def _es(call: Callable[[], T]) -> T:
    try:
        return call()
    except NotFoundError as exc:
        raise ServiceUnavailable("The search index is not initialised yet; try again later.") from exc
    except (TransportError, ApiError) as exc:
        status = getattr(getattr(exc, "meta", None), "status", None)
        if isinstance(exc, ApiError) and status == 400:
            raise ValidationFailed.on("q", "This query cannot be run.") from exc
        raise ServiceUnavailable("Search is temporarily unavailable; try again shortly.") from exc


def _search(
    index: str, body: dict[str, Any], sort: list[Any], limit: int, after: list[Any] | None, offset: int = 0
) -> list[dict]:
    kwargs: dict[str, Any] = {"index": index, "size": limit, "sort": sort, "track_total_hits": False, **body}
    if after is not None:
        kwargs["search_after"] = after
    elif offset:
        kwargs["from_"] = offset
    response = _es(lambda: get_client().search(**kwargs))
    return response["hits"]["hits"]


def _next(hits: list[dict], limit: int) -> list[Any] | None:
    return hits[-1]["sort"] if len(hits) == limit and hits else None


def snippet(body: str, highlighted_folded: str | None) -> str:
    if not highlighted_folded:
        text = body[:SNIPPET_CHARS]
        return html.escape(text) + ("…" if len(body) > SNIPPET_CHARS else "")
    _folded, origin = fold_with_offsets(body)
    spans: list[tuple[int, int]] = []
    pos = 0
    start: int | None = None
    for char in highlighted_folded:
        if char == HL_OPEN:
            start = pos
        elif char == HL_CLOSE:
            if start is not None and start < pos <= len(origin):
                spans.append((origin[start], origin[pos - 1] + 1))
            start = None
        else:
            pos += 1
    if not spans:
        return snippet(body, None)
    window_start = max(0, spans[0][0] - SNIPPET_CHARS // 4)
    window_end = min(len(body), window_start + SNIPPET_CHARS)
    out: list[str] = ["…"] if window_start > 0 else []
    cursor = window_start
    for a, b in spans:
        if a < cursor or b > window_end:
            continue
        out += [html.escape(body[cursor:a]), "<em>", html.escape(body[a:b]), "</em>"]
        cursor = b
    out.append(html.escape(body[cursor:window_end]))
    if window_end < len(body):
        out.append("…")
    return "".join(out)


def search_posts(
    *,
    index: str,
    q: str,
    author: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    sort: str = "relevance",
    limit: int = 20,
    after: list[Any] | None = None,
    offset: int = 0,
    viewer: Relations | None = None,
) -> Page:
    parsed = parse(q)
    if sort == "recent" or not parsed.has_text:
        order: list[Any] = [{"created_at": "desc"}, {"post_id": "desc"}]
    else:
        order = [{"_score": "desc"}, {"post_id": "desc"}]
    body = {
        "query": posts_query(parsed, author=author, since=since, until=until, viewer=viewer),
        "highlight": HIGHLIGHT,
        "_source": [
            "post_id",
            "author_id",
            "author_username",
            "author_display_name",
            "body",
            "hashtags",
            "created_at",
            "like_count",
        ],
    }
    hits = _search(index, body, order, limit, after, offset)
    sources = [h["_source"] for h in hits]
    post_ids = [s["post_id"] for s in sources]
    author_ids = {s["author_id"] for s in sources}
    gone = set(SearchPost.objects.filter(post_id__in=post_ids, deleted=True).values_list("pk", flat=True))
    authors = {u.user_id: u for u in SearchUser.objects.filter(user_id__in=author_ids)}
    results = []
    for hit, src in zip(hits, sources, strict=True):
        author_row = authors.get(src["author_id"])
        if src["post_id"] in gone or (author_row is not None and (author_row.deactivated or author_row.suspended)):
            continue
        highlighted = (hit.get("highlight") or {}).get("body_folded", [None])[0]
        results.append(
            {
                "id": str(src["post_id"]),
                "author": {
                    "id": str(src["author_id"]),
                    "username": author_row.username if author_row and author_row.username else src["author_username"],
                    "display_name": author_row.display_name if author_row else src["author_display_name"],
                },
                "body": src["body"],
                "snippet": snippet(src["body"], highlighted),
                "hashtags": src["hashtags"],
                "like_count": src["like_count"],
                "created_at": src["created_at"],
            }
        )
    return Page(results, _next(hits, limit))
