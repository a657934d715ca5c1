"""Request parameters as Mastodon clients send them: form or JSON bodies, query strings.

Booleans arrive as `true/false`, `1/0`, `True/False` or JSON booleans; lists as `key[]` (form,
query) or JSON arrays. Everything a client may leave out has a default; anything present but
malformed is a 422 through ValidationFailed, never a guess.
"""

from __future__ import annotations

from typing import Any

from socialapp.common.errors import ValidationFailed

_TRUE = {"1", "true", "t", "on", "yes"}
_FALSE = {"0", "false", "f", "off", "no", ""}


def as_bool(value: Any, *, field: str, default: bool = False) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = str(value).lower()  # exactly a word of the lists (the OpenAPI document's pattern)
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValidationFailed.on(field, "is not a boolean")


def as_list(data: Any, key: str) -> list[str]:
    """`key[]` (repeated) or `key` (JSON array or repeated) from a QueryDict or a dict."""
    for name in (f"{key}[]", key):
        if hasattr(data, "getlist"):
            values = data.getlist(name)
            if len(values) == 1 and isinstance(values[0], list):
                values = values[0]
        else:
            values = data.get(name)
            if values is None:
                continue
            values = values if isinstance(values, list) else [values]
        if values:
            return [str(v) for v in values]
    return []


def as_id(value: Any, *, field: str) -> int | None:
    """An id parameter (a string of digits); None when absent or blank."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    if not text.isdigit() or len(text) > 19 or int(text) > 2**63 - 1:
        raise ValidationFailed.on(field, "is not a valid id")
    return int(text)


def as_text(value: Any, *, field: str, default: str = "") -> str:
    if value is None:
        return default
    if not isinstance(value, str):
        raise ValidationFailed.on(field, "must be a string")
    return value
