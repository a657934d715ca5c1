"""HTTP revalidation of one read-model row (a post, a profile, `me`): `ETag` + `If-None-Match` -> 304.

The tag is weak (`W/"v<version>.<digest>"`): `version` is the row's aggregate version (edits,
profile changes), and the digest covers every value of the row the response is rendered from,
because much of what a client sees changes WITHOUT that version: like/comment/follower counts,
the author's display name copied onto a post, the viewer's overlay (`liked_by_me`,
`followed_by_me`). The body is JSON that PostgreSQL rendered from the row with the viewer's
overlay (socialapp.read.common.rendered), so hashing those very bytes (plus the serializer's
field declaration, so a deploy that changes the documented representation changes every tag)
makes "the tag changes whenever the body would" true by construction. A 304 skips sending the
body; the query itself still runs (it is one indexed row).
Hidden rows (deleted, suspended, deactivated) are 404 before any precondition is evaluated
(RFC 9110 13.2.1: preconditions apply only to what would be a 2xx).

`Cache-Control: private, no-cache`: a browser may keep the body but must revalidate each time
(the body depends on the viewer, so no shared cache may store it); `Vary: Authorization` says the
same to caches that look.
"""

from __future__ import annotations

import functools
import hashlib

from django.http import HttpResponseNotModified
from django.http.response import HttpResponseBase
from django.utils.cache import patch_vary_headers
from django.utils.http import parse_etags
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.request import Request
from rest_framework.serializers import BaseSerializer

from socialapp.read.common.rendered import json_response

CACHE_CONTROL = "private, no-cache"

CONDITIONAL_PARAMETERS = [
    OpenApiParameter(
        "If-None-Match",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        description="ETag(s) of a copy you hold (comma-separated, weak comparison), or `*`: 304 without a body "
        "when the representation is unchanged.",
    ),
    OpenApiParameter(
        "ETag",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=[200, 304],
        description='Weak validator of this representation (`W/"..."`); changes whenever the body would.',
    ),
    OpenApiParameter(
        "Cache-Control",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=[200, 304],
        description="`private, no-cache`: keep it, but revalidate with If-None-Match before each use.",
    ),
]
NOT_MODIFIED = OpenApiResponse(description="Not Modified: the copy named by If-None-Match is current (no body).")


@functools.cache
def _representation(serializer: type[BaseSerializer]) -> bytes:
    """The serializer's field declaration (names, sources, types): part of every tag."""
    return repr(serializer()).encode()


def _opaque(tag: str) -> str:
    return tag.removeprefix("W/")


def none_match_fails(header: str | None, tag: str) -> bool:
    """Whether If-None-Match names the current representation (RFC 9110 13.1.2): `*` (the row
    exists, else we would not be here) or a list containing the tag, compared weakly.
    Malformed members are ignored."""
    if not header:
        return False
    tags = parse_etags(header)
    if tags == ["*"]:
        return True
    current = _opaque(tag)
    return any(_opaque(candidate) == current for candidate in tags)


def rendered_etag(version: int, document: bytes, serializer: type[BaseSerializer]) -> str:
    """The tag of a body PostgreSQL rendered (socialapp.read.common.rendered): the digest covers
    the very bytes served (counts, copied names and the viewer's overlay are all in them) and
    the serializer that documents them."""
    digest = hashlib.blake2b(_representation(serializer), digest_size=12)
    digest.update(document)
    return f'W/"v{version}.{digest.hexdigest()}"'


def conditional_rendered(
    request: Request, *, version: int, document: bytes, serializer: type[BaseSerializer]
) -> HttpResponseBase:
    """200 with `document` (the rendered JSON) as is, or 304 without a body; both carry ETag,
    Cache-Control, Vary. (The query view adds X-Read-Lag / X-Consistency-Satisfied to either.)"""
    tag = rendered_etag(version, document, serializer)
    if none_match_fails(request.headers.get("If-None-Match"), tag):
        return _validated(HttpResponseNotModified(), tag)
    return _validated(json_response(document), tag)


def _validated(response: HttpResponseBase, tag: str) -> HttpResponseBase:
    response["ETag"] = tag
    response["Cache-Control"] = CACHE_CONTROL
    patch_vary_headers(response, ["Authorization"])
    return response
