"""Responses whose JSON PostgreSQL renders: the bytes path of every query list and single read.

Read models hold everything a client receives, so the query builds each item's public JSON
(`json_build_object` over the row's columns, plus the viewer's overlay in the same statement)
and the view only concatenates those bytes into `{"results": [...], "next": ...}`. No DRF
serializer runs per item; DRF still does everything around the body (authentication,
throttling, content negotiation, the consistency wait, X-Read-Lag, problem JSON errors),
because these responses leave an APIView like any other. The `...Out` serializers stay as the
documented schema (`extend_schema(responses=...)`), and tests/read/test_rendered_contract.py
checks that the bytes are what those serializers would have produced from the same rows.

Why render in SQL rather than store a rendered column: every value of the JSON is already a
column the projectors maintain (counts, the author's name copied onto posts, scrubbed
content), so a stored copy would be a second thing to keep in step under reordering,
tombstones and suspension, and `projections check` would have to compare it too. Built at read
time it cannot drift, and the cost is PostgreSQL formatting ~20 small objects (microseconds).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson
from django.http import HttpResponse
from rest_framework.request import Request

from socialapp.read.common.pagination import encode_cursor, next_link, page_request

CONTENT_TYPE = "application/json"


def iso_datetime(expr: str) -> str:
    """SQL text of a timestamptz as DRF's DateTimeField renders it with USE_TZ and TIME_ZONE=UTC:
    `datetime.isoformat()` in UTC with `+00:00` written `Z`, so microseconds appear (six
    digits) only when nonzero. NULL stays NULL (JSON null)."""
    return (
        f"(to_char({expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS')"
        f" || CASE WHEN mod(extract(microseconds FROM {expr})::bigint, 1000000) = 0 THEN ''"
        f" ELSE to_char({expr} AT TIME ZONE 'UTC', '.US') END || 'Z')"
    )


def mentions_json(expr: str) -> str:
    """SQL of a stored mentions list (jsonb) in PublicMentionOut's shape: exactly `user_id` and
    `username`, as strings, in stored order. The empty list (most rows) skips the subquery."""
    return (
        f"(CASE WHEN {expr} IS NULL THEN NULL WHEN {expr} = '[]'::jsonb THEN '[]'::json ELSE"
        " (SELECT json_agg(json_build_object('user_id', m.v->>'user_id', 'username', m.v->>'username')"
        f" ORDER BY m.n) FROM jsonb_array_elements({expr}) WITH ORDINALITY AS m(v, n)) END)"
    )


def json_response(content: bytes, status: int = 200) -> HttpResponse:
    """A JSON body that is already bytes (DRF's JSONRenderer would only re-encode it)."""
    return HttpResponse(content, status=status, content_type=CONTENT_TYPE)


def _document(value: Any) -> bytes:
    return value.encode() if isinstance(value, str) else bytes(value)


def serve_rendered_page(
    request: Request,
    *,
    scope: str,
    fetch: Callable[[Any], Sequence[Sequence[Any]]],
    key: Callable[[Sequence[Any]], Sequence[Any]] | None = None,
    key_length: int = 1,
    extra: Callable[[], dict[str, Any]] | None = None,
) -> HttpResponse:
    """A whole list response: parse `limit` and `cursor` for this list (`scope`); `fetch(page)`
    returns up to `page.fetch_limit` rows (the extra one only tells that a next page exists)
    whose last column is the item's JSON text and whose other columns are its sort key (or
    `key(row)` derives the cursor key from the row). The body is the items' bytes joined, with
    `next` (the cursor of the last item served, also in the `Link` header) and the members of
    `extra()` after it."""
    page = page_request(request, scope, key_length)
    rows = fetch(page)
    has_more = len(rows) > page.limit
    rows = rows[: page.limit]
    next_key = (key(rows[-1]) if key else list(rows[-1][:-1])) if has_more and rows else None
    next_cursor = encode_cursor(next_key, scope) if next_key is not None else None
    parts = [b'{"results":[', b",".join(_document(row[-1]) for row in rows), b'],"next":', orjson.dumps(next_cursor)]
    for name, value in (extra() if extra else {}).items():
        parts += [b",", orjson.dumps(name), b":", orjson.dumps(value)]
    parts.append(b"}")
    response = json_response(b"".join(parts))
    if next_cursor:
        response["Link"] = next_link(request, next_cursor)
    return response
