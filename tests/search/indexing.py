"""Post documents written straight into the posts index, for the query tests: every field of
the issue 18 mapping under the test's control (language, sensitive, comment counts, times near
now), which events through the projector cannot all set yet. The selectors re-check hits
against the search state; posts without a state row pass it (nothing says they are gone).

The documents come from `socialapp.read.search.documents.post_document`, the builder
`sync._post_source` uses, when it exists; until then from `_fallback_document`, the same
contract written here (language.py decides the language and the stems)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from socialapp.read.search import indexes
from socialapp.read.search.client import get_client
from socialapp.read.search.folding import fold
from socialapp.read.search.language import document_language, stem_text

NOW = datetime.now(UTC)
_LINK = re.compile(r"https?://\S", re.IGNORECASE)
_TAG = re.compile(r"#(\w+)")
_MENTION = re.compile(r"@(\w[\w.]*)")


def _fallback_document(
    *,
    post_id: int,
    author_id: int,
    author_username: str,
    author_display_name: str,
    body: str,
    hashtags: list[str],
    mentions: list[str],
    created_at: datetime,
    like_count: int,
    comment_count: int,
    visibility: str,
    language: str,
    sensitive: bool,
) -> dict[str, Any]:
    code = document_language(language, body)
    has = [k for k, v in (("hashtag", hashtags), ("mention", mentions), ("link", _LINK.search(body))) if v]
    return {
        "hidden": False,
        "post_id": post_id,
        "author_id": author_id,
        "author_username": author_username.lower(),
        "author_display_name": author_display_name,
        "body": body,
        "body_folded": fold(body),
        "body_stemmed": stem_text(body, code),
        "language": code,
        "has": has,
        "is_reply": False,
        "sensitive": sensitive,
        "comment_count": comment_count,
        "engagement": like_count + 2 * comment_count,
        "hashtags": hashtags,
        "mentions": mentions,
        "created_at": created_at,
        "like_count": like_count,
        "visibility": visibility,
    }


try:  # the real builder, once the indexing side has it
    from socialapp.read.search.documents import post_document as _build  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - until the documents module lands
    _build = _fallback_document


def post(
    post_id: int,
    body: str,
    *,
    author: str = "alice",
    author_id: int | None = None,
    age: timedelta = timedelta(days=30),
    at: datetime | None = None,
    likes: int = 0,
    comments: int = 0,
    language: str = "",
    sensitive: bool = False,
    visibility: str = "public",
) -> dict[str, Any]:
    """The document of a visible post created `age` before now (or `at`)."""
    return _build(
        post_id=post_id,
        author_id=author_id if author_id is not None else sum(map(ord, author)),
        author_username=author,
        author_display_name=author.title(),
        body=body,
        hashtags=list(dict.fromkeys(t.lower() for t in _TAG.findall(body))),
        mentions=list(dict.fromkeys(m.lower().rstrip(".") for m in _MENTION.findall(body))),
        created_at=at or NOW - age,
        like_count=likes,
        comment_count=comments,
        visibility=visibility,
        language=language,
        sensitive=sensitive,
    )


def index_posts(*docs: dict[str, Any]) -> None:
    """Write the documents (version 1, external, as the flush does) and refresh."""
    client = get_client()
    for doc in docs:  # (orjson writes a datetime as ISO 8601)
        client.index(
            index=indexes.write_alias("posts"),
            id=str(doc["post_id"]),
            document=doc,
            version=1,
            version_type="external",
        )
    indexes.refresh("posts")
