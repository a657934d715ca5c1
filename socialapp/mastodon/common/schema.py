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

from socialapp.common.schema import operation_tag

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

    def get_request_serializer(self) -> Any:
        return OpenApiTypes.OBJECT if self.method in ("POST", "PUT", "PATCH") else None

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
) -> Callable[[Any], Any]:
    """`extend_schema` for a Mastodon view method: tag, summary, free-form response."""
    ok = EMPTY if empty else LIST if many else OBJECT
    extra: dict[str, Any] = {"operation_id": operation_id} if operation_id else {}
    return extend_schema(
        tags=[tag(area)],
        summary=summary,
        request=None,
        parameters=parameters or [],
        responses={200: ok},
        **extra,
    )
