"""User-written text: the one place that cleans bodies and finds #hashtags and @mentions.

Posts and comments (and profile fields) go through here, so the rules are the same everywhere:

- NFC normalisation first, so that "é" typed as one code point or as "e" + combining accent
  is the same text, has the same length and the same hashtags.
- Lengths count code points after trimming (an emoji is one, a flag is two: what Python's
  `len` says; the limit is generous enough that grapheme counting would not change much).
- Control characters are refused (C0/C1 except newline and tab), as are lone surrogates and
  noncharacters, which PostgreSQL cannot store as UTF-8 or which only serve to spoof.
  Format characters (ZWJ in emoji sequences, bidi marks) are allowed: real languages need them.
"""

from __future__ import annotations

import re
import unicodedata

from socialapp.common.errors import ValidationFailed

BODY_MAX_LENGTH = 500
SPOILER_MAX_LENGTH = 500  # a content warning (Mastodon's spoiler_text): the body's rules, may be blank
USERNAME_PATTERN = r"[A-Za-z0-9_]{3,30}"

_ALLOWED_CONTROLS = {"\n", "\t"}
# A hashtag: '#' not preceded by a word character, '#' or '&' (HTML entities), then word
# characters in any script, combining marks included (Devanagari, Thai... need them; `\w`
# alone stops at them); at most 100, at least one letter ("#2024" is not a tag).
_HASHTAG_START = re.compile(r"(?<![\w#&])#")
HASHTAG_MAX = 100
# A mention: '@' not preceded by a word character or '@' (so e-mail addresses are not
# mentions), then a whole username.
_MENTION = re.compile(rf"(?<![\w@])@({USERNAME_PATTERN})(?![A-Za-z0-9_])")


def _is_forbidden(char: str) -> bool:
    if char in _ALLOWED_CONTROLS:
        return False
    category = unicodedata.category(char)
    if category in ("Cc", "Cs"):
        return True
    code = ord(char)
    return 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE


def raw_input_cap(max_length: int) -> int:
    """The most raw characters an input serializer takes for a text whose cleaned form may have
    `max_length`: room for surrounding whitespace and for decomposed input (NFD "e" + accent is
    two code points, one after NFC), yet a bound on the work done before the exact check."""
    return 4 * max_length


def clean_text(raw: object, *, field: str, max_length: int, min_length: int = 0, multiline: bool = True) -> str:
    """Normalise and validate one text field; raise ValidationFailed naming `field`."""
    if not isinstance(raw, str):
        raise ValidationFailed.on(field, "Must be a string.")
    raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    if any(_is_forbidden(c) for c in raw):
        raise ValidationFailed.on(field, "Control characters are not allowed.")
    text = unicodedata.normalize("NFC", raw).strip()
    if not multiline and ("\n" in text or "\t" in text):
        raise ValidationFailed.on(field, "Line breaks and tabs are not allowed.")
    if len(text) < min_length:
        raise ValidationFailed.on(
            field, "May not be blank." if min_length == 1 else f"At least {min_length} characters."
        )
    if len(text) > max_length:
        raise ValidationFailed.on(field, f"At most {max_length} characters (got {len(text)}).")
    return text


def clean_body(raw: object, *, field: str = "body") -> str:
    """A post or comment body: 1 to 500 code points after trimming."""
    return clean_text(raw, field=field, min_length=1, max_length=BODY_MAX_LENGTH)


def clean_spoiler(raw: object, *, field: str = "spoiler_text") -> str:
    """A content warning: the body's rules, but blank allowed (blank: no warning)."""
    return clean_text(raw, field=field, min_length=0, max_length=SPOILER_MAX_LENGTH)


def _is_tag_char(char: str) -> bool:
    return char.isalnum() or char == "_" or unicodedata.category(char) in ("Mn", "Mc")


def is_hashtag(tag: str) -> bool:
    """Whether `tag` (lower-cased, without '#') is one that `parse_hashtags` could find."""
    return 0 < len(tag) <= HASHTAG_MAX and all(_is_tag_char(c) for c in tag) and any(c.isalpha() for c in tag)


def parse_hashtags(body: str) -> list[str]:
    """Lower-cased tags without '#', in order of first appearance, without duplicates."""
    seen: dict[str, None] = {}
    for match in _HASHTAG_START.finditer(body):
        end = match.end()
        while end < len(body) and _is_tag_char(body[end]):
            end += 1
        tag = body[match.end() : end].lower()
        if 0 < len(tag) <= HASHTAG_MAX and any(c.isalpha() for c in tag):
            seen.setdefault(tag, None)
    return list(seen)


def parse_mentions(body: str) -> list[str]:
    """Usernames after '@', in order of first appearance, deduplicated without regard to case.
    Whether they name an active user is for the caller to decide (it needs the database)."""
    seen: dict[str, str] = {}
    for match in _MENTION.finditer(body):
        seen.setdefault(match.group(1).lower(), match.group(1))
    return list(seen.values())


# The characters `clean_text` refuses, as a JSON Schema (ECMA-262) character class body: C0/C1
# controls but newline, carriage return (read as a newline) and tab, and the BMP noncharacters.
# Not stated, still refused: lone surrogates (not characters at all: no valid UTF-8 text holds one,
# and regex engines such as the Rust one of JSON Schema validators cannot name them) and the
# astral noncharacters (U+1FFFE..., which need the `u` flag). Shared by the Mastodon face's text
# fields (socialapp.common.request_schema.text).
FORBIDDEN_CLASS = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufdd0-\ufdef\ufffe\uffff"


# A string with no NUL: DRF refuses one in every CharField, Django's middleware in a query string
# (PostgreSQL cannot store U+0000).
NO_NUL = "^[^\\u0000]*$"


def text_schema(max_length: int, *, min_length: int = 0, multiline: bool = True) -> dict[str, object]:
    """The OpenAPI schema of a text field `clean_text` checks with these arguments: its length
    limit, the characters it refuses and, with `min_length` 1, something besides whitespace.
    (`clean_text` counts after trimming and NFC: a text the schema allows is never refused for
    its length; padding with whitespace the schema would refuse is trimmed and accepted.)"""
    forbidden = FORBIDDEN_CLASS + ("" if multiline else r"\t\n\r")
    allowed = f"[^{forbidden}]"
    pattern = f"^{allowed}*$" if min_length < 1 else f"^{allowed}*[^\\s{forbidden}]{allowed}*$"
    schema: dict[str, object] = {"type": "string", "maxLength": max_length, "pattern": pattern}
    if min_length:
        schema["minLength"] = min_length
    return schema
