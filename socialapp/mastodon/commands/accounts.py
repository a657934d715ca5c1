"""Mastodon accounts commands (see docs/mastodon.md for the route table).

- `PATCH /api/v1/accounts/update_credentials`: `display_name`, `note` (our bio) and `locked`
  (the account approves its followers: docs/privacy.md). What we
  cannot store is a 422 that changes nothing, never a silent drop (unsupported_profile_changes):
  avatar and header images (and their descriptions), profile fields with a name or a value,
  `bot`, `hide_collections` true, `discoverable`, `indexable` false, a default
  privacy other than public, `source[sensitive]` true, attribution domains. Values equal to our
  fixed behaviour are accepted as no-ops (clients send the whole form on every save): an
  all-blank set of fields, `bot=false`, `discoverable=true`... `source[language]` is accepted
  and kept nowhere: a status records the `language` it is posted with, never a default.
- `POST /api/v1/accounts/:id/follow` and `/unfollow`: by account id; idempotent; answer the
  Relationship. Following yourself is a 422; an unknown or hidden account a 404.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

from django.urls import URLPattern, path
from rest_framework.request import Request
from rest_framework.response import Response

from socialapp.common.errors import NotFound, ValidationFailed
from socialapp.common.request_schema import FORM_TYPES, boolean, request_body, text
from socialapp.mastodon.commands import rows
from socialapp.mastodon.commands.base import CommandView
from socialapp.mastodon.commands.params import body, not_supported, renamed, text_param
from socialapp.mastodon.common.dispatch import by_method
from socialapp.mastodon.common.params import as_bool, as_list
from socialapp.mastodon.common.schema import BLANK, NOT_SUPPORTED
from socialapp.write.accounts.models import User
from socialapp.write.accounts.services import profile_update
from socialapp.write.follows import services as follows
from socialapp.write.relations.models import FollowRequest

DISPLAY_NAME_LIMIT = User._meta.get_field("display_name").max_length or 50
NOTE_LIMIT = User._meta.get_field("bio").max_length or 300


# (param, the value our accounts always have, what the refusal says is not supported)
FIXED_FLAGS = (
    ("bot", False, "Bot accounts are"),
    ("hide_collections", False, "Hidden follower and following lists are"),
    ("discoverable", True, "Leaving the profile directory is"),
    ("indexable", True, "Excluding posts from search is"),
)
_FIELD_KEY = re.compile(r"fields_attributes\[([^\]]*)\]\[(name|value)\]")


def _source(data: Mapping[str, Any], key: str) -> Any:
    """`source[key]` from a form, or `source: {key: ...}` from JSON."""
    value = data.get(f"source[{key}]")
    if value is None and isinstance(data.get("source"), Mapping):
        value = data["source"].get(key)
    return value


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def profile_field_values(data: Mapping[str, Any]) -> list[Any]:
    """Every name and value of `fields_attributes`, as a form (`fields_attributes[0][name]`,
    what Mastodon.py sends) or JSON (an object of index -> {name, value}, or a list) sends it."""
    values = [data.get(key) for key in data if isinstance(key, str) and _FIELD_KEY.fullmatch(key)]
    nested = data.get("fields_attributes")
    if isinstance(nested, Mapping):
        nested = list(nested.values())
    if nested is None or nested == "":
        return values
    if not isinstance(nested, list) or not all(isinstance(item, Mapping) for item in nested):
        raise ValidationFailed.on("fields_attributes", "is not a set of name and value pairs")
    return values + [item.get(part) for item in nested for part in ("name", "value")]


def unsupported_profile_changes(request: Request, data: Mapping[str, Any]) -> None:
    """Refuse (422) anything asked for that we cannot store or give, before changing anything."""
    for image in ("avatar", "header"):
        if request.FILES.get(image) is not None or not _blank(data.get(image)):
            raise not_supported(f"{image.capitalize()} images are")
        if not _blank(data.get(f"{image}_description")):
            raise not_supported(f"{image.capitalize()} images are")
    if not all(_blank(value) for value in profile_field_values(data)):
        raise not_supported("Profile fields are")
    for name, fixed, what in FIXED_FLAGS:
        if as_bool(data.get(name), field=name, default=fixed) != fixed:
            raise not_supported(what)
    if _source(data, "privacy") not in (None, "", "public"):
        raise not_supported("Default visibility other than public is")
    if as_bool(_source(data, "sensitive"), field="source[sensitive]"):
        raise not_supported("Marking all posts sensitive by default is")
    if any(domain.strip() for domain in as_list(data, "attribution_domains")):
        raise not_supported("Attribution domains are")


_PAIR = {"type": "object", "properties": {"name": BLANK, "value": BLANK}}
_BLANK_IMAGE = {**BLANK, "description": "Images: " + NOT_SUPPORTED + " (blank is accepted)"}
PROFILE_FIELDS: dict[str, Any] = {
    "display_name": text(DISPLAY_NAME_LIMIT, multiline=False, nullable=True, description="Absent: unchanged"),
    "note": text(NOTE_LIMIT, nullable=True, description="The bio; absent: unchanged"),
    "locked": boolean("Approve followers; absent or blank: unchanged"),
    "avatar": _BLANK_IMAGE,
    "header": _BLANK_IMAGE,
    "avatar_description": _BLANK_IMAGE,
    "header_description": _BLANK_IMAGE,
    **{
        name: boolean(f"Always {str(fixed).lower()} here: {what} not supported", only=fixed)
        for name, fixed, what in FIXED_FLAGS
    },
    "source": {
        "properties": {
            "privacy": {
                "type": "string",
                "enum": ["public", "", None],
                "nullable": True,
                "description": "Default visibility: public only",
            },
            "sensitive": boolean("false only", only=False),
            "language": {"description": "Accepted and kept nowhere: a status records its own language"},
        },
        "description": "Posting defaults (a form sends `source[privacy]`...)",
    },
}
# JSON only: Mastodon.py's form keys (`fields_attributes[0][name]`) are refused unless blank too.
UPDATE_CREDENTIALS_BODY = request_body(PROFILE_FIELDS, forms=FORM_TYPES)  # multipart: Mastodon.py's
UPDATE_CREDENTIALS_BODY["application/json"]["properties"].update(
    fields_attributes={
        "anyOf": [
            {"type": "array", "items": _PAIR},
            {"type": "object", "additionalProperties": _PAIR},
            {"type": "string", "maxLength": 0},
        ],
        "nullable": True,
        "description": "Profile fields: " + NOT_SUPPORTED + " (blank names and values are accepted)",
    },
    attribution_domains={
        "anyOf": [{"type": "array", "items": {k: v for k, v in BLANK.items() if k != "nullable"}}, BLANK],
        "description": "Attribution domains: " + NOT_SUPPORTED + " (blank ones are accepted)",
    },
)
for _form in FORM_TYPES:
    UPDATE_CREDENTIALS_BODY[_form]["properties"]["attribution_domains[]"] = {
        "type": "array",
        "items": {k: v for k, v in BLANK.items() if k != "nullable"},
    }


class UpdateCredentialsView(CommandView):
    scopes: ClassVar[dict[str, str]] = {"PATCH": "write:accounts"}
    schema_bodies: ClassVar[dict[str, Any]] = {"PATCH": UPDATE_CREDENTIALS_BODY}

    def patch(self, request: Request) -> Response:
        data = body(request)
        unsupported_profile_changes(request, data)
        display_name = text_param(data, "display_name", limit=DISPLAY_NAME_LIMIT, default=None)
        note = text_param(data, "note", limit=NOTE_LIMIT, default=None)
        raw_locked = data.get("locked")
        locked = None if raw_locked in (None, "") else as_bool(raw_locked, field="locked")
        with renamed({"bio": "note"}):
            user = profile_update(user_id=request.user.pk, display_name=display_name, bio=note, locked=locked)
        return Response(rows.credential_account(user, base_url=rows.base_url(request)))


class FollowView(CommandView):
    """POST /api/v1/accounts/:id/follow (Mastodon's `reblogs`, `notify`, `languages` options
    have nothing to act on here and are ignored)."""

    scopes: ClassVar[dict[str, str]] = {"POST": "write:follows"}  # `follow` covers it
    active: ClassVar[bool] = True
    schema_bodies: ClassVar[dict[str, Any]] = {
        "POST": request_body(
            {
                "reblogs": boolean("Accepted (there are no reblogs)"),
                "notify": boolean("Accepted (no such notifications)"),
                "languages": {"description": "Accepted and ignored (every status is shown)"},
            }
        )
    }

    def post(self, request: Request, account_id: int) -> Response:
        if self.active:  # checked, then ignored: a malformed option is a 422 that changes nothing
            data = body(request)
            as_bool(data.get("reblogs"), field="reblogs")
            as_bool(data.get("notify"), field="notify")
        other = User.objects.filter(pk=account_id, deactivated_at__isnull=True, suspended_at__isnull=True).first()
        if other is None:
            raise NotFound("No such user.")
        if other.pk == request.user.pk:
            message = "You cannot follow yourself"
            raise ValidationFailed(message, errors={"non_field_errors": [message]})
        requested = False
        if self.active:
            row, _changed = follows.user_follow(follower=request.user, username=other.username)
            requested = isinstance(row, FollowRequest)  # a locked account: asked, not following
        else:
            follows.user_unfollow(follower=request.user, username=other.username)
        relationship = rows.relationship(request.user, other.pk)
        relationship["requested"] = relationship.get("requested") or requested
        return Response(relationship)


class UnfollowView(FollowView):
    active = False
    schema_bodies: ClassVar[dict[str, Any]] = {}


urlpatterns: list[URLPattern] = [
    path(
        "api/v1/accounts/update_credentials",
        by_method(patch=UpdateCredentialsView.as_view()),
        name="mastodon-update-credentials",
    ),
    path("api/v1/accounts/<id:account_id>/follow", by_method(post=FollowView.as_view()), name="mastodon-follow"),
    path("api/v1/accounts/<id:account_id>/unfollow", by_method(post=UnfollowView.as_view()), name="mastodon-unfollow"),
]
