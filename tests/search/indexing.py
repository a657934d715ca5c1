"""Post documents written straight into the posts index, for the query tests: every field of
the issue 18 mapping under the test's control (language, sensitive, comment counts, times near
now) without going through events. The selectors re-check hits against the search state;
posts without a state row pass it (nothing says they are gone).

The documents come from `socialapp.read.search.documents.post_document`, the builder the
flush uses, so what the queries meet here is what the projector writes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from socialapp.read.search import indexes
from socialapp.read.search.client import get_client
from socialapp.read.search.documents import post_document

NOW = datetime.now(UTC)
_TAG = re.compile(r"#(\w+)")
_MENTION = re.compile(r"@(\w[\w.]*)")


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
    return post_document(
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
