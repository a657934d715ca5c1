"""Mastodon's paged lists on the query side: the keyset condition of a `Page`, and the response.

Every list is a keyset over one integer column that an index orders (status ids, a follow
edge's log position, a liker's id), so `max_id`, `since_id` and `min_id` are each one index range
scan: `keyset` writes the bounds and the direction, the caller's SQL names the column. The
response lists items newest first and carries Mastodon's `Link` header (next, then prev; none on
an empty page), keyed by the same column.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from socialapp.mastodon.common.paging import Page, link_header, newest_first


def keyset(column: str, page: Page, *, prefix: str = "") -> tuple[str, str, dict[str, Any]]:
    """(`AND`-able condition, ORDER BY direction, parameters) of `page` on `column`.

    Parameters are named `{prefix}max`, `{prefix}lower` and `limit`; a query that bounds two
    branches (a UNION) calls this once per column with the same page."""
    conditions, params = ["TRUE"], {"limit": page.limit}
    if page.max_id is not None:
        conditions.append(f"{column} < %({prefix}max)s")
        params[f"{prefix}max"] = page.max_id
    if page.lower is not None:
        conditions.append(f"{column} > %({prefix}lower)s")
        params[f"{prefix}lower"] = page.lower
    return " AND ".join(conditions), ("ASC" if page.ascending else "DESC"), params


def paged_response(request: Request, page: Page, keys: Sequence[int], body: list[Any]) -> Response:
    """The entities of a page (already newest first) with the Link header of its keys (in the
    order the selector read them)."""
    ordered = newest_first(page, keys)
    response = Response(body)
    link = link_header(request, page, ordered[0] if ordered else None, ordered[-1] if ordered else None)
    if link:
        response["Link"] = link
    return response
