"""The one text field every input serializer uses: strings only, bounded before anything else.

DRF's `CharField` turns `{"body": 123}` into the text "123" (and 1.5 into "1.5"): a client bug
becomes content instead of a 400. It also checks `max_length` only after `str()`, stripping and
the blank check, so oversized input costs work before it is refused. `StrictCharField`:

- accepts JSON strings only; anything else (number, boolean, list, object) is a 400 naming the
  field ("Not a valid string.");
- requires `max_length` (a field without one cannot be declared) and checks it first, before
  any per-character work in DRF or in the services (NFC normalisation, control-character scans,
  hashing).

`max_length` here is a cap on the raw input. The domain's own, exact limits (a body is at most 500
code points *after* trimming and NFC) stay in the services, which also check type themselves.
tests/api/test_input_fields.py walks every input serializer of every endpoint and fails on a plain
CharField or a missing max_length.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.validators import RegexValidator
from rest_framework import serializers
from rest_framework.fields import empty


class StrictCharField(serializers.CharField):
    default_error_messages = {"invalid": "Not a valid string."}

    def __init__(self, **kwargs: Any) -> None:
        if kwargs.get("max_length") is None:
            raise TypeError(f"{type(self).__name__} needs a max_length: every input must be bounded")
        super().__init__(**kwargs)

    def run_validation(self, data: Any = empty) -> Any:
        if data is not empty and data is not None:
            if not isinstance(data, str):
                self.fail("invalid")
            if len(data) > self.max_length:
                self.fail("max_length", max_length=self.max_length)
        return super().run_validation(data)


class StrictRegexField(StrictCharField):
    """`serializers.RegexField`, strict and bounded (the length is checked before the regex)."""

    default_error_messages = {**StrictCharField.default_error_messages, "invalid_format": "This value is invalid."}

    def __init__(self, regex: str | re.Pattern[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators.append(RegexValidator(regex, message=self.error_messages["invalid_format"]))


class StrictBooleanField(serializers.BooleanField):
    """JSON `true`/`false` only: DRF's BooleanField also takes "yes", "0", 1 and the like, so a
    client's typo would silently become a choice."""

    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictIntegerField(serializers.IntegerField):
    """JSON integers only: DRF's IntegerField also takes "12", 12.0 and `true`."""

    default_error_messages = {**serializers.IntegerField.default_error_messages, "invalid": "Must be a whole number."}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


def documented_as(field: serializers.Field, schema: dict[str, Any]) -> serializers.Field:
    """`field`, documented in the OpenAPI document with `schema` instead of what drf-spectacular
    reads from it: for the fields whose exact rules the services check (a text's length after
    trimming, its characters; a username's shape), so the document states them."""
    from drf_spectacular.utils import extend_schema_field  # (schema generation only)

    description = getattr(field, "help_text", None)
    documented = {**schema, **({"description": str(description)} if description else {})}
    # On a class of its own: a serializer deep-copies its declared fields by re-instantiating their
    # class, which keeps class attributes (drf-spectacular's annotation) and drops instance ones.
    documented_class = extend_schema_field(documented)(type(type(field).__name__, (type(field),), {}))
    return documented_class(*field._args, **field._kwargs)


def plain_text_field(max_length: int, **kwargs: Any) -> serializers.Field:
    """A StrictCharField whose characters the service does not restrict (a password, a login name,
    a session's label), documented with what DRF still refuses: blank unless `allow_blank`, and
    NUL (the schema promised `"\\u0000"` to a fuzzer, which the server refuses with a 400)."""
    from socialapp.common.text import NO_NUL  # DRF's ProhibitNullCharactersValidator, stated

    # minLength 1 whatever `allow_blank`: drf-spectacular adds the blank alternative to an
    # allow_blank field itself (`oneOf: [this, {maxLength: 0}]`), which must not match "" twice.
    schema: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": max_length, "pattern": NO_NUL}
    if kwargs.get("write_only"):
        schema["writeOnly"] = True
    return documented_as(StrictCharField(max_length=max_length, **kwargs), schema)


def clean_text_field(
    max_length: int, *, min_length: int = 0, multiline: bool = True, **kwargs: Any
) -> serializers.Field:
    """A user-written text (a body, a bio, a display name, a report's comment): a StrictCharField
    capped at `raw_input_cap(max_length)` raw characters, documented with the exact rules
    `clean_text(max_length=..., min_length=..., multiline=...)` checks in the service."""
    from socialapp.common.text import raw_input_cap, text_schema

    field_class = StrictCharField if min_length < 1 else _BlankLeftToServiceCharField
    # allow_blank=False where the text may not be blank, so that the document has no "" alternative
    # (drf-spectacular adds one to an allow_blank field); "" still reaches the service, whose 400
    # names the field with the service's message.
    field = field_class(
        trim_whitespace=False, allow_blank=min_length < 1, max_length=raw_input_cap(max_length), **kwargs
    )
    return documented_as(field, text_schema(max_length, min_length=min_length, multiline=multiline))


class _BlankLeftToServiceCharField(StrictCharField):
    """A StrictCharField that hands "" to the service (which refuses it with its own message)."""

    def run_validation(self, data: Any = empty) -> Any:
        if data == "":
            return ""
        return super().run_validation(data)
