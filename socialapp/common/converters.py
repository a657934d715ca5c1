"""Path converters for every identifier in an API path: `<id:...>`, `<username:...>`, `<tag:...>`.

A path parameter is input like any other, and Django's `str` converter lets anything but `/`
through: a NUL byte reached PostgreSQL (which cannot store it, so a 500), a 10,000-character
"username" was looked up, and a string that can never be a hashtag was searched for. These
converters refuse what cannot name a resource at the resolver, before any view, query or
per-character work runs: the request then gets the project's 404 problem JSON (no route),
whichever view, side or method it was meant for. A new route gets the same protection by using
them (tests/api/test_bad_input.py walks every API pattern and fails on a bare `str`/`int`).

They are registered in `CommonConfig.ready()`, before any URLconf is loaded.
"""

from __future__ import annotations

import unicodedata

from django.urls import register_converter

from socialapp.common.ids import BIGINT_MAX
from socialapp.common.text import HASHTAG_MAX, USERNAME_PATTERN, is_hashtag


class IdConverter:
    """A positive 64-bit id: at most 19 digits and no larger than a bigint, so that no query
    sees a number PostgreSQL would have to refuse."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > BIGINT_MAX:
            raise ValueError("out of the bigint range")
        return number

    def to_url(self, value: int) -> str:
        return str(value)


class UsernameConverter:
    """Exactly what registration accepts (socialapp.common.text.USERNAME_PATTERN): ASCII
    letters, digits and underscore, 3 to 30 of them. Nothing else can name an account."""

    regex = USERNAME_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class TagConverter:
    """A hashtag as `parse_hashtags` finds them (letters in any script, digits, underscore and
    combining marks, at least one letter, at most HASHTAG_MAX), optionally written with its
    leading `#` (%23), in any case and normalisation form. Returned NFC-normalised, as bodies
    are before their tags are parsed."""

    regex = f"#?[^/#]{{1,{HASHTAG_MAX}}}"

    def to_python(self, value: str) -> str:
        tag = unicodedata.normalize("NFC", value)
        if not is_hashtag(tag.removeprefix("#").lower()):
            raise ValueError("not a hashtag")
        return tag

    def to_url(self, value: str) -> str:
        return value


def register() -> None:
    register_converter(IdConverter, "id")
    register_converter(UsernameConverter, "username")
    register_converter(TagConverter, "tag")
