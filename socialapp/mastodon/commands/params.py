"""What the Mastodon command views share: the request body as a mapping, field names as clients
know them, and refusals of what this server does not do (never a silent downgrade)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from socialapp.common.errors import ValidationFailed
from socialapp.common.text import raw_input_cap
from socialapp.mastodon.common.params import as_text


def body(request: Any) -> Mapping[str, Any]:
    """The parsed body (form or JSON object); a JSON body that is not an object is a 422."""
    data = request.data
    if not isinstance(data, Mapping):
        raise ValidationFailed(
            "The request body must be an object", errors={"non_field_errors": ["Body must be an object"]}
        )
    return data


def not_supported(what: str) -> ValidationFailed:
    """422 `Validation failed: <What> ... not supported by this server` (no field prefix)."""
    message = f"{what} not supported by this server"
    return ValidationFailed(message, errors={"non_field_errors": [message]})


def text_param(data: Mapping[str, Any], name: str, *, limit: int, default: str | None = "") -> str | None:
    """A text parameter, capped raw before the service's per-character rules (socialapp.common.
    text: the cap bounds the work, the service keeps the exact length rule)."""
    raw = data.get(name)
    if raw is None:
        return default
    value = as_text(raw, field=name)
    if len(value) > raw_input_cap(limit):
        raise ValidationFailed.on(name, f"is too long (maximum is {limit} characters)")
    return value


@contextmanager
def renamed(names: Mapping[str, str]) -> Iterator[None]:
    """A service's ValidationFailed with our field names (`body`, `bio`) as the client sent them
    (`status`, `note`), so the 422 names what the client can fix."""
    try:
        yield
    except ValidationFailed as exc:
        if exc.errors:
            exc.errors = {names.get(field, field): messages for field, messages in exc.errors.items()}
        raise
