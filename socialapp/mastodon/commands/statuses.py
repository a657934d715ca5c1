"""Mastodon statuses commands (see docs/mastodon.md for the route table).

- `POST /api/v1/statuses`: a post, or with `in_reply_to_id` a comment (on the post named, or on
  the post of the comment named, answering that comment). `Idempotency-Key` makes a retry answer
  the first attempt's status. `visibility` is Mastodon's (`public`, `unlisted`, `private`,
  `direct`; `private` is our `followers`), fixed at creation; a reply is at least as restricted
  as what it answers (the service narrows it). Media and polls are refused (422).
- `PUT`/`DELETE /api/v1/statuses/:id` (composed with the query side's GET in
  socialapp/mastodon/urls.py): the caller's own statuses only; anybody else's is 404, as
  Mastodon answers (it looks the id up among the caller's statuses). An edit ignores
  `visibility`, as Mastodon's does (its update service takes no visibility): clients send the
  whole compose form again, and the status keeps the visibility it was created with. (Our own
  API refuses a different visibility on an edit with a 422 instead: docs/privacy.md.)
- `language` (both): the ISO 639 code of the status's language. We keep ISO 639-1 codes (any
  case; a regional tag such as `pt-BR` or `zh_TW` keeps its language, `pt`, `zh`); anything else
  is a 422 naming `language` rather than a status labelled with what no reader understands. Left
  out or blank: none on creation, unchanged on an edit (as Mastodon's update service keeps it).
  Replies are our comments, which have no language: theirs is checked, then dropped, so the reply
  renders `"language": null`.
- `POST /api/v1/statuses/:id/favourite|unfavourite`: our likes, which only posts have: a
  comment is a 422 saying so.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from django.urls import URLPattern, path
from drf_spectacular.utils import OpenApiParameter
from rest_framework.request import Request
from rest_framework.response import Response

from socialapp.common import languages
from socialapp.common.errors import ValidationFailed
from socialapp.common.request_schema import JSON_ID_OR_BLANK, boolean, request_body, text
from socialapp.common.text import BODY_MAX_LENGTH, SPOILER_MAX_LENGTH
from socialapp.mastodon.commands import rows
from socialapp.mastodon.commands.base import CommandView
from socialapp.mastodon.commands.params import body, not_supported, renamed, text_param
from socialapp.mastodon.common.dispatch import by_method
from socialapp.mastodon.common.entities import OUR_VISIBILITY
from socialapp.mastodon.common.params import as_bool, as_id, as_list, as_text
from socialapp.mastodon.common.schema import LANGUAGE, MEDIA_IDS, POLL, SCHEDULED_AT
from socialapp.write import statuses as services
from socialapp.write.comments.models import Comment
from socialapp.write.posts import services as posts
from socialapp.write.posts.models import IDEMPOTENCY_KEY_MAX_LENGTH

WRITE = "write:statuses"
# Our field names in service errors, as the client sent them.
FIELDS = {"body": "status", "in_reply_to": "in_reply_to_id", "idempotency_key": "Idempotency-Key"}


def _visibility(data: Any) -> str | None:
    """Mastodon's `visibility` in our words (None: not given, the service's default)."""
    value = as_text(data.get("visibility"), field="visibility")
    if value == "":
        return None
    if value not in OUR_VISIBILITY:
        raise ValidationFailed.on("visibility", "is not included in the list")
    return OUR_VISIBILITY[value]


# `pt-BR`, `zh_TW`, `sr-Latn`: a BCP 47 language tag with a region or script after the language.
_TAGGED = re.compile(r"^([A-Za-z]{2})[-_][A-Za-z0-9]{2,8}$")


def _language(data: Any) -> str | None:
    """Mastodon's `language` as our ISO 639-1 code, lower-case (None: not given). A regional tag
    keeps its language (Mastodon lists `pt-BR`, `zh-TW` among its posting languages)."""
    value = as_text(data.get("language"), field="language").strip()
    if value == "":
        return None
    tagged = _TAGGED.match(value)
    code = languages.normalise(tagged.group(1) if tagged else value)
    if code is None:
        raise ValidationFailed.on("language", "is not a valid ISO 639-1 language code")
    return code


def _refuse_unsupported(data: Any) -> None:
    if as_list(data, "media_ids"):
        raise not_supported("Media attachments are")
    if data.get("poll") is not None or any(str(key).startswith("poll[") for key in data):
        raise not_supported("Polls are")
    if data.get("scheduled_at") not in (None, ""):
        raise not_supported("Scheduled statuses are")  # never publish now what was meant for later


# The compose form, as StatusesView and StatusView read it (the OpenAPI document's).
_COMMON_FIELDS: dict[str, Any] = {
    "status": text(BODY_MAX_LENGTH, required=True, description="The text (at least one character that is not blank)"),
    "spoiler_text": text(SPOILER_MAX_LENGTH, nullable=True, description="A content warning (blank: none)"),
    "sensitive": boolean("Mark the status sensitive (default false)"),
    "language": LANGUAGE,
    "media_ids": MEDIA_IDS,
    "poll": POLL,
    "scheduled_at": SCHEDULED_AT,
}
VISIBILITIES = (*OUR_VISIBILITY, "")
CREATE_BODY = request_body(
    {
        **_COMMON_FIELDS,
        "in_reply_to_id": {**JSON_ID_OR_BLANK, "nullable": True, "description": "The status this one answers"},
        "visibility": {
            "type": "string",
            "enum": [*VISIBILITIES, None],
            "nullable": True,
            "description": "public, unlisted, private (followers only) or direct; blank or absent: public "
            "(a reply is at least as restricted as what it answers)",
        },
    },
    required=("status",),
)
EDIT_BODY = request_body(
    {**_COMMON_FIELDS, "visibility": {"description": "Ignored: a status keeps the visibility it was created with"}},
    required=("status",),
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "maxLength": IDEMPOTENCY_KEY_MAX_LENGTH, "pattern": "^[\\x20-\\x7E]*$"},
    OpenApiParameter.HEADER,
    description="A retry with the same key answers the first attempt's status",
)


def _answer(request: Request, status: Any, *, source: bool = False) -> Response:
    out = rows.status(status, viewer=request.user, base_url=rows.base_url(request))
    if source:
        out["text"] = status.body  # delete-and-redraft: Mastodon sends the source text
    return Response(out)


class StatusesView(CommandView):
    """POST /api/v1/statuses."""

    scopes: ClassVar[dict[str, str]] = {"POST": WRITE}
    schema_errors = {404: "`in_reply_to_id`: no such status, or not visible to you"}  # the OpenAPI document's
    schema_bodies: ClassVar[dict[str, Any]] = {"POST": CREATE_BODY}
    schema_query: ClassVar[list[Any]] = [IDEMPOTENCY_KEY]

    def post(self, request: Request) -> Response:
        data = body(request)
        visibility = _visibility(data)
        language = _language(data)
        _refuse_unsupported(data)
        text = text_param(data, "status", limit=BODY_MAX_LENGTH)
        spoiler = text_param(data, "spoiler_text", limit=SPOILER_MAX_LENGTH)
        sensitive = as_bool(data.get("sensitive"), field="sensitive")
        in_reply_to_id = as_id(data.get("in_reply_to_id"), field="in_reply_to_id")
        with renamed(FIELDS):
            status, _created = services.status_create(
                author=request.user,
                body=text or "",
                in_reply_to_id=in_reply_to_id,
                spoiler_text=spoiler or "",
                sensitive=sensitive,
                visibility=visibility,
                language=language,
                idempotency_key=request.headers.get("Idempotency-Key"),
            )
        return _answer(request, status)


class StatusView(CommandView):
    """PUT (edit) and DELETE /api/v1/statuses/:id (GET on the same path is queries.statuses).

    An edit replaces what it names, as Mastodon's does: `spoiler_text` and `sensitive` left out
    mean none and false (Mastodon's controller passes every field to its update service);
    `language` left out keeps the post's (Mastodon's update service falls back to it)."""

    scopes: ClassVar[dict[str, str]] = {"PUT": WRITE, "DELETE": WRITE}
    schema_bodies: ClassVar[dict[str, Any]] = {"PUT": EDIT_BODY}

    def put(self, request: Request, status_id: int) -> Response:
        data = body(request)
        _refuse_unsupported(data)
        language = _language(data)
        text = text_param(data, "status", limit=BODY_MAX_LENGTH)
        spoiler = text_param(data, "spoiler_text", limit=SPOILER_MAX_LENGTH)
        sensitive = as_bool(data.get("sensitive"), field="sensitive")
        with renamed(FIELDS):
            status = services.status_edit(
                status_id=status_id,
                actor=request.user,
                body=text or "",
                spoiler_text=spoiler,
                sensitive=sensitive,
                language=language,
            )
        return _answer(request, status)

    def delete(self, request: Request, status_id: int) -> Response:
        status = services.status_delete(status_id=status_id, actor=request.user)
        return _answer(request, status, source=True)


class FavouriteView(CommandView):
    """POST /api/v1/statuses/:id/favourite and /unfavourite: idempotent, as Mastodon's are."""

    scopes: ClassVar[dict[str, str]] = {"POST": "write:favourites"}
    active: ClassVar[bool] = True

    def post(self, request: Request, status_id: int) -> Response:
        status = services.visible_status(status_id)
        if isinstance(status, Comment):
            raise not_supported("Favourites of replies are")
        if self.active:
            posts.post_like(post_id=status.pk, user=request.user)
        else:
            posts.post_unlike(post_id=status.pk, user=request.user)
        return _answer(request, status)


class UnfavouriteView(FavouriteView):
    active = False


# POST api/v1/statuses (StatusesView) and PUT/DELETE api/v1/statuses/<id> (StatusView) share their
# paths with queries: socialapp/mastodon/urls.py mounts them.
urlpatterns: list[URLPattern] = [
    path(
        "api/v1/statuses/<id:status_id>/favourite",
        by_method(post=FavouriteView.as_view()),
        name="mastodon-status-favourite",
    ),
    path(
        "api/v1/statuses/<id:status_id>/unfavourite",
        by_method(post=UnfavouriteView.as_view()),
        name="mastodon-status-unfavourite",
    ),
]
