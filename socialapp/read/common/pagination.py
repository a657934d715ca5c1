"""The query side's name for the shared keyset pagination (socialapp.common.pagination), kept
so that its lists import it from where they always did; the command side's audit trail pages
with the same module."""

from socialapp.common.pagination import (
    CURSOR_MAX_LENGTH,
    CURSOR_PARAMETER,
    DEFAULT_LIMIT,
    ID_PATTERN,
    LIMIT_PARAMETER,
    MAX_ID,
    MAX_LIMIT,
    PageIn,
    PageRequest,
    encode_cursor,
    id_schema,
    next_link,
    page_request,
    page_response,
    since_param,
)

__all__ = [
    "CURSOR_MAX_LENGTH",
    "CURSOR_PARAMETER",
    "DEFAULT_LIMIT",
    "ID_PATTERN",
    "LIMIT_PARAMETER",
    "MAX_ID",
    "MAX_LIMIT",
    "PageIn",
    "PageRequest",
    "encode_cursor",
    "id_schema",
    "next_link",
    "page_request",
    "page_response",
    "since_param",
]
