"""Keyset (cursor) pagination for every list of our API: the query side's lists, and the staff
audit trail on the command side (socialapp/write/audit), which pages the log the same way.

A cursor is the sort key of the last item served, signed (so a client cannot forge keys we
would feed to SQL) and opaque. Keyset, not offset: a page boundary is a key, so items inserted
above it while a client pages never shift or repeat what follows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.utils.http import urlencode
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from socialapp.common.errors import ValidationFailed
from socialapp.common.fields import StrictCharField
from socialapp.common.ids import BIGINT_MAX, id_pattern

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# Our cursors are well under 200 characters (the longest, a relevance search's, ~160); anything
# much longer is not one of ours, and is refused before its signature is computed or its payload
# decompressed. Also what keeps the longest schema-valid request line under gunicorn's limit
# (tests/contract/test_request_line.py).
CURSOR_MAX_LENGTH = 512
# What Django's signing writes (URL-safe base64, `:` between value, timestamp and signature, a
# leading `.` when compressed): a cursor is one of ours only if it has this shape. Being ASCII
# needing no percent-encoding, a valid cursor costs at most CURSOR_MAX_LENGTH bytes of request
# line (tests/contract/test_request_line.py).
CURSOR_PATTERN = "^[A-Za-z0-9_.:-]+$"
_CURSOR_RE = re.compile(CURSOR_PATTERN)
_SALT = "socialapp.read.cursor"  # (named when only the query side paged; kept: cursors in use stay valid)


class PageIn(serializers.Serializer):
    """The raw paging parameters, bounded (their meaning is checked by `page_request`)."""

    limit = StrictCharField(required=False, max_length=8)
    cursor = StrictCharField(required=False, max_length=CURSOR_MAX_LENGTH)


@dataclass(frozen=True)
class PageRequest:
    limit: int
    after: list[Any] | None  # sort key of the last item of the previous page

    def key(self, n: int, kind: type = int) -> Any:
        """The n-th component of the cursor's key, checked against the expected type."""
        if self.after is None:
            return None
        value = self.after[n]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ValidationFailed.on("cursor", "Invalid cursor.")
        return value

    @property
    def fetch_limit(self) -> int:
        """How many rows to fetch: one more than served, only to tell that a next page exists."""
        return self.limit + 1


def encode_cursor(key: Sequence[Any], scope: str) -> str:
    return signing.dumps([scope, list(key)], salt=_SALT, compress=True)


def page_request(request: Request, scope: str, key_length: int = 1) -> PageRequest:
    """Parse `limit` and `cursor`; a bad one is a 400 (problem JSON), never a guess."""
    given = {k: request.query_params[k] for k in ("limit", "cursor") if k in request.query_params}
    if given:  # (an empty PageIn is always valid: a first page with defaults skips DRF's validation)
        PageIn(data=given).is_valid(raise_exception=True)
    raw_limit = request.query_params.get("limit")
    limit = DEFAULT_LIMIT
    if raw_limit is not None:
        try:
            limit = int(raw_limit)
        except ValueError:
            raise ValidationFailed.on("limit", f"limit must be an integer between 1 and {MAX_LIMIT}.") from None
        if not 1 <= limit <= MAX_LIMIT:
            raise ValidationFailed.on("limit", f"limit must be an integer between 1 and {MAX_LIMIT}.")
    raw_cursor = request.query_params.get("cursor")
    after = None
    if raw_cursor is not None:
        if not _CURSOR_RE.fullmatch(raw_cursor):
            raise ValidationFailed.on("cursor", "Invalid cursor.")
        try:
            cursor_scope, after = signing.loads(raw_cursor, salt=_SALT)
        except (signing.BadSignature, ValueError, TypeError):
            raise ValidationFailed.on("cursor", "Invalid cursor.") from None
        if cursor_scope != scope or not isinstance(after, list) or len(after) != key_length:
            raise ValidationFailed.on("cursor", "This cursor belongs to another list.")
    return PageRequest(limit=limit, after=after)


MAX_ID = BIGINT_MAX  # the largest id: 1..MAX_ID without a leading zero is an id (ids.id_pattern)
ID_PATTERN = id_pattern(leading_zeros=False)
_ID_RE = re.compile(ID_PATTERN)


def id_schema() -> dict[str, Any]:
    """The OpenAPI schema of an id sent as a string of digits (ids are 64-bit: JSON numbers would
    lose precision in JavaScript clients)."""
    return {"type": "string", "pattern": ID_PATTERN, "minLength": 1, "maxLength": len(str(MAX_ID))}


# Our API's paging parameters as the OpenAPI document states them: what `page_request` enforces.
LIMIT_PARAMETER = OpenApiParameter(
    "limit",
    {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
    OpenApiParameter.QUERY,
    description=f"1..{MAX_LIMIT}, default {DEFAULT_LIMIT}",
)
CURSOR_PARAMETER = OpenApiParameter(
    "cursor",
    {"type": "string", "minLength": 1, "maxLength": CURSOR_MAX_LENGTH, "pattern": CURSOR_PATTERN},
    OpenApiParameter.QUERY,
    description="`next` of the previous page (opaque; only a cursor this list answered is valid)",
)


def since_param(request: Request, name: str = "since") -> int | None:
    """The `since` of a resume (an id: a post's on the feed, a notification's on notifications),
    or None when absent. Not a positive integer that a bigint holds: a 400 naming the parameter
    (problem JSON), as for `limit`; never a guess."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if not _ID_RE.fullmatch(raw):
        raise ValidationFailed.on(name, f"{name} must be a positive integer id.")
    return int(raw)


def page_response(
    request: Request,
    *,
    scope: str,
    results: Any,
    next_key: Sequence[Any] | None,
    extra: dict[str, Any] | None = None,
) -> Response:
    """The list body (`results`, `next`) and the `Link` header, for lists that find their next
    key themselves and serialize in Python (search: a page of Elasticsearch hits is full or it
    is the last). Lists of read-model rows use socialapp.read.common.rendered instead."""
    next_cursor = encode_cursor(next_key, scope) if next_key is not None else None
    response = Response({"results": results, "next": next_cursor, **(extra or {})})
    if next_cursor:
        response["Link"] = next_link(request, next_cursor)
    return response


def next_link(request: Request, next_cursor: str) -> str:
    """The `Link` header of a page: this request's URL with `cursor` set to the next page's."""
    params = {k: v for k, v in request.query_params.items() if k != "cursor"}
    params["cursor"] = next_cursor
    url = request.build_absolute_uri(f"{request.path}?{urlencode(params)}")
    return f'<{url}>; rel="next"'
