"""Mastodon's id paging: `limit`, `max_id`, `since_id`, `min_id` and the `Link` header.

- `max_id`: older than this id (the next page); `since_id`: newer than this id, newest first
  (new items, possibly with a gap); `min_id`: the page just newer than this id (the previous
  page, no gap): selectors read it oldest first and the view serves it newest first again.
- The `Link` header names the next page (`max_id` of the last item) first, then the previous
  one (`min_id` of the first item), with the request's other parameters kept: toot matches it
  with an anchored pattern, Mastodon.py's fetch_next/fetch_previous follow it.

Selectors take a `Page` and answer from a keyset index, so every cursor is an index range scan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import HttpRequest

from socialapp.common.errors import ValidationFailed
from socialapp.mastodon.common.params import as_id


@dataclass(frozen=True)
class Page:
    limit: int
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None

    @property
    def ascending(self) -> bool:
        """Whether the selector reads oldest first (a `min_id` page)."""
        return self.min_id is not None

    @property
    def lower(self) -> int | None:
        """Items must have an id above this (min_id wins over since_id, as in Mastodon)."""
        return self.min_id if self.min_id is not None else self.since_id


def page_from(request: HttpRequest, *, default: int = 20, maximum: int = 40) -> Page:
    params = request.GET
    raw_limit = params.get("limit")
    limit = default
    if raw_limit not in (None, ""):
        try:
            limit = int(raw_limit)
        except ValueError:
            raise ValidationFailed.on("limit", "is not a number") from None
        limit = max(1, min(limit, maximum))  # Mastodon clamps rather than refuses
    return Page(
        limit=limit,
        max_id=as_id(params.get("max_id"), field="max_id"),
        since_id=as_id(params.get("since_id"), field="since_id"),
        min_id=as_id(params.get("min_id"), field="min_id"),
    )


def newest_first(page: Page, rows: Sequence) -> list:
    """Rows as a selector read them, in the order the response lists them (newest first)."""
    return list(reversed(rows)) if page.ascending else list(rows)


def link_header(
    request: HttpRequest, page: Page, first_key: int | str | None, last_key: int | str | None
) -> str | None:
    """`<...max_id=LAST>; rel="next", <...min_id=FIRST>; rel="prev"` for a page of items whose
    newest key is `first_key` and oldest `last_key`; None for an empty page (Mastodon sends
    no Link then)."""
    if first_key is None or last_key is None:
        return None
    base = request.build_absolute_uri(request.path)
    cursors = ("max_id", "since_id", "min_id", "limit")
    kept = [(key, value) for key, values in request.GET.lists() if key not in cursors for value in values]
    next_query = urlencode([*kept, ("limit", page.limit), ("max_id", last_key)])
    prev_query = urlencode([*kept, ("limit", page.limit), ("min_id", first_key)])
    return f'<{base}?{next_query}>; rel="next", <{base}?{prev_query}>; rel="prev"'
