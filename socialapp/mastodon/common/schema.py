"""OpenAPI for the Mastodon routes, which have no DRF serializers.

Their shapes are Mastodon's (documented at docs.joinmastodon.org), rendered from plain rows by
entities.py, so the document describes each operation by its tag (`mastodon: <area>`), a summary
and a free-form JSON response (an object or an array of objects); the error responses come from
socialapp.common.schema.document_errors, as for our own API:
enough for the generator to document every route without a warning, without restating
Mastodon's entities as serializers we would have to keep in step with the renderers.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema

from socialapp.common import languages
from socialapp.common.request_schema import ID_OR_BLANK, JSON_ID, boolean, either_case
from socialapp.common.schema import operation_tag
from socialapp.common.text import NO_NUL

OBJECT = OpenApiResponse(response=OpenApiTypes.OBJECT, description="A Mastodon entity (docs.joinmastodon.org)")
LIST = OpenApiResponse(
    response={"type": "array", "items": {"type": "object", "additionalProperties": True}},
    description="Mastodon entities, newest first; the Link header names the next and previous pages",
)
EMPTY = OpenApiResponse(response=OpenApiTypes.OBJECT, description="An empty object (`{}`)")

# The error responses (Mastodon's `{"error": "..."}` shape) are not declared here: the
# postprocessing hook socialapp.common.schema.document_errors derives them from each view.


def tag(area: str) -> str:
    return f"mastodon: {area}"


class MastodonAutoSchema(AutoSchema):
    """The schema class of every Mastodon view (MastodonView.schema): without a word from the
    view, an operation is still documented with Mastodon's tag for its path, an id of its own
    (`mastodon_v1_notifications_id_get`: our own API's ids stay as they are), the first line of
    its docstring as summary, a free-form JSON body and response, and the error shape. A view's
    `mastodon_schema(...)` (extend_schema) says more where it can."""

    def get_operation_id(self) -> str:
        words = [w for w in re.split(r"[^A-Za-z0-9]+", self.path) if w and w != "api"]
        if self.path.endswith("/"):  # clients call some paths both ways (/api/v1/instance/): two ids
            words.append("slash")
        return "mastodon_" + "_".join([*words, self.method.lower()])

    def get_auth(self) -> list[dict[str, Any]]:
        """Anonymous callers too (`{}`) where the view's scopes table names no scope for the
        method and RouteScope is its only permission (public timelines, accounts, instance)."""
        auth = super().get_auth()
        public = getattr(self.view, "scopes", {}).get(self.method) is None
        only_route_scope = all(type(p).__name__ == "RouteScope" for p in self.view.get_permissions())
        if auth and public and only_route_scope and {} not in auth:
            auth.append({})
        return auth

    def get_tags(self) -> list[str]:
        return [operation_tag(self.path) or tag("other")]

    def get_description(self) -> str:  # type: ignore[override]
        """The handler's docstring, or the view's own (never a base class's)."""
        handler = getattr(self.view, self.method.lower(), None)
        doc = getattr(handler, "__doc__", None) or type(self.view).__dict__.get("__doc__") or ""
        return inspect.cleandoc(doc)

    def get_summary(self) -> str | None:
        handler = getattr(self.view, self.method.lower(), None)
        for doc in (getattr(handler, "__doc__", None), type(self.view).__doc__):
            if doc and doc.strip():
                return doc.strip().splitlines()[0].rstrip(".")
        return f"{self.method} {self.path}"

    def get_override_parameters(self) -> list[Any]:
        """What `extend_schema` said, then the view's `schema_query` (its query parameters:
        a list, or {method: list} where methods read different ones)."""
        declared = getattr(self.view, "schema_query", None) or []
        if isinstance(declared, dict):
            declared = declared.get(self.method, [])
        return [*super().get_override_parameters(), *declared]

    def get_operation(self, *args: Any, **kwargs: Any) -> Any:
        """drf-spectacular's operation, with `allowEmptyValue` where a parameter said a blank
        value reads as absent (query(..., blank=True))."""
        operation = super().get_operation(*args, **kwargs)
        for parameter in (operation or {}).get("parameters", []):
            if parameter.pop(BLANK_MARK, False):
                parameter["allowEmptyValue"] = True
        return operation

    def get_request_serializer(self) -> Any:
        """The view's `schema_bodies[method]` ({media type: schema}, socialapp.common.
        request_schema.request_body); none where the view reads no body (Mastodon's block,
        favourite...: a body sent anyway is parsed, must be an object, and is ignored)."""
        return (getattr(self.view, "schema_bodies", None) or {}).get(self.method)

    def _get_request_body(self, direction: str = "request") -> Any:
        """A body with required fields is itself required (drf-spectacular cannot tell from a
        raw schema)."""
        body = super()._get_request_body(direction)
        if body and any(media.get("schema", {}).get("required") for media in body["content"].values()):
            body["required"] = True
        return body

    def get_response_serializers(self) -> Any:
        """An array for views that answer lists (`answers_list = True`), an object otherwise."""
        return {200: LIST if getattr(self.view, "answers_list", False) else OBJECT}


def mastodon_schema(
    area: str,
    summary: str,
    *,
    many: bool = False,
    empty: bool = False,
    parameters: list[OpenApiParameter] | None = None,
    operation_id: str | None = None,
    request: Any = None,
) -> Callable[[Any], Any]:
    """`extend_schema` for a Mastodon view method: tag, summary, free-form response; its query
    `parameters` and its `request` body ({media type: schema}) where it reads any."""
    ok = EMPTY if empty else LIST if many else OBJECT
    extra: dict[str, Any] = {"operation_id": operation_id} if operation_id else {}
    return extend_schema(
        tags=[tag(area)],
        summary=summary,
        request=request,
        parameters=parameters or [],
        responses={200: ok},
        **extra,
    )


# --------------------------------------------------------------------------- query parameters
# What the views read from the query string, as they check it (common/params.py, paging.py).
ACCT_MAX = 300  # LookupView reads the first 300 characters


BLANK_MARK = "x-blank-means-absent"  # turned into allowEmptyValue by MastodonAutoSchema.get_operation


def query(
    name: str, schema: dict[str, Any], description: str = "", *, required: bool = False, blank: bool = False
) -> OpenApiParameter:
    """A query parameter; `blank`: an empty value reads as absent (OpenAPI's allowEmptyValue)."""
    return OpenApiParameter(
        name,
        schema,
        OpenApiParameter.QUERY,
        required=required,
        description=description or schema.get("description", ""),
        extensions={BLANK_MARK: True} if blank else None,
    )


def flag_param(name: str, description: str) -> OpenApiParameter:
    """A boolean query parameter (common/params.as_bool: true/false, 1/0, on/off, yes/no)."""
    return query(name, boolean(nullable=False), f"{description} (default false)", blank=True)


def ids_param(name: str, description: str) -> OpenApiParameter:
    """`name[]`: ids (blank ones are skipped)."""
    return query(f"{name}[]", {"type": "array", "items": ID_OR_BLANK}, description)


def strings_param(name: str, description: str, *, max_length: int = 100) -> OpenApiParameter:
    items = {"type": "string", "maxLength": max_length, "pattern": NO_NUL}
    return query(f"{name}[]", {"type": "array", "items": items}, description)


def paging(*, default: int = 20, maximum: int = 40) -> list[OpenApiParameter]:
    """Mastodon's id paging (common/paging.page_from): `limit` is clamped to 1..maximum rather
    than refused (as Mastodon does), the cursors are ids."""
    return [
        query(
            "limit",
            {"type": "integer", "default": default},
            f"Items per page: default {default}; values outside 1..{maximum} are clamped to it, as Mastodon does",
            blank=True,
        ),
        query("max_id", ID_OR_BLANK, "Items older than this id (the next page)", blank=True),
        query(
            "since_id",
            ID_OR_BLANK,
            "Items newer than this id, newest first (new items, possibly with a gap)",
            blank=True,
        ),
        query("min_id", ID_OR_BLANK, "The items just newer than this id (the previous page, no gap)", blank=True),
    ]


def offset_paging(*, default: int, maximum: int) -> list[OpenApiParameter]:
    """Mastodon's offset paging (queries/paging.non_negative_int): negative numbers are a 400."""
    return [
        query(
            "limit",
            {"type": "integer", "minimum": 0, "default": default},
            f"Results: default {default}; 0 counts as 1 and more than {maximum} as {maximum}",
            blank=True,
        ),
        query("offset", {"type": "integer", "minimum": 0, "default": 0}, "Results to skip", blank=True),
    ]


# --------------------------------------------------------------------------- request bodies
# Mastodon's `language` as commands/statuses._language reads it: an ISO 639-1 code of our list in
# any case, or a regional tag of one (`pt-BR`, `zh_TW`), blanks around it ignored; blank: none.
LANGUAGE: dict[str, Any] = {
    "type": "string",
    "nullable": True,
    "pattern": rf"^\s*(({'|'.join(either_case(c) for c in languages.CODES)})([-_][A-Za-z0-9]{{2,8}})?)?\s*$",
    "description": "ISO 639-1 code of the status's language (any case; a regional tag such as `pt-BR` keeps "
    "its language); blank or absent: none (on an edit: unchanged)",
}
BLANK: dict[str, Any] = {"type": "string", "pattern": r"^\s*$", "nullable": True}
NOT_SUPPORTED = "Not supported by this server: any other value is refused (422) and nothing changes"
MEDIA_IDS: dict[str, Any] = {
    "type": "array",
    "items": JSON_ID,
    "maxItems": 0,
    "nullable": True,
    "description": "Media attachments: " + NOT_SUPPORTED,
}
POLL: dict[str, Any] = {
    "type": "object",
    "nullable": True,
    "enum": [None],
    "description": "A poll: " + NOT_SUPPORTED + " (JSON null is accepted)",
}
SCHEDULED_AT: dict[str, Any] = {
    "type": "string",
    "maxLength": 0,
    "nullable": True,
    "description": "Scheduled statuses: " + NOT_SUPPORTED,
}
