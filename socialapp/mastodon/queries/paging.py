"""Mastodon's offset paging parameters, shared by the routes that page by offset (search,
trends): a missing or empty value takes the default, a non-number is a 422 like every bad field
of ours, a negative one is Mastodon's own 400."""

from __future__ import annotations

from rest_framework import exceptions as drf

from socialapp.common.errors import ValidationFailed


class BadRequest(drf.APIException):
    status_code = 400


def non_negative_int(value: str | None, *, field: str, default: int) -> int:
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        raise ValidationFailed.on(field, "is not a number") from None
    if number < 0:
        raise BadRequest("Pagination values for `offset` and `limit` must be positive")
    return number
