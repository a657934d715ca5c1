"""No request the OpenAPI document calls valid is refused by gunicorn for its length (414).

gunicorn refuses a request line (`GET /path?query HTTP/1.1`) over limit_request_line bytes before
the application runs (socialapp/gunicorn_conf.py). For every operation of our API this computes
the longest request line a schema-valid request can have: the longest path, every query
parameter at its maxLength, each character at its worst percent-encoded size (12 bytes: a
4-byte UTF-8 character is three bytes `%XX` each... four times; 3 for a pattern that allows
ASCII only), and checks it fits. A new parameter without a bound, or one bounded too loosely,
fails here, not in production.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from socialapp.gunicorn_conf import REQUEST_LINE_LIMIT

OURS = "/api/socialapp/"
UNICODE_CHAR = 12  # a 4-byte UTF-8 character, percent-encoded
ASCII_CHAR = 3  # an ASCII character at worst (`%3A`)
INTEGER = 20  # "-9223372036854775808"
DATE_TIME = 40  # a date-time without a maxLength (ours have 40: Django parses at most that)
# A pattern whose every alternative is built of ASCII classes and literals only.
_ASCII_ONLY = re.compile(r"^[\x20-\x7e]*$")


def _schema() -> dict[str, Any]:
    response = Client().get("/api/socialapp/v1/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    return response.json()


def _ascii_only(pattern: str) -> bool:
    """Whether `pattern` matches ASCII only: printable ASCII throughout, no negated class, no
    escape that matches non-ASCII (`\\w`, `\\s`, `\\S`, `\\u`...), no `.` outside a class."""
    if not _ASCII_ONLY.match(pattern) or "[^" in pattern or re.search(r"\\[wWsSdDpPu]", pattern):
        return False
    outside_classes = re.sub(r"\[(?:\\.|[^\]])*\]", "", pattern.replace("\\\\", ""))
    return not re.search(r"(?<!\\)\.", outside_classes)


def worst_value_bytes(schema: dict[str, Any]) -> int:
    if "enum" in schema:
        return max(len(str(v)) for v in schema["enum"]) * ASCII_CHAR
    kind = schema.get("type")
    if kind in ("integer", "number"):
        return INTEGER
    if kind == "boolean":
        return len("false")
    if kind == "string" and schema.get("format") == "date-time":
        return schema.get("maxLength", DATE_TIME) * ASCII_CHAR
    assert kind == "string" and "maxLength" in schema, f"unbounded query parameter: {schema}"
    per_char = ASCII_CHAR if _ascii_only(schema.get("pattern", "")) else UNICODE_CHAR
    return schema["maxLength"] * per_char


def worst_request_line(path: str, method: str, operation: dict[str, Any]) -> int:
    path_bytes = len(path)
    query = 0
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        if parameter["in"] == "path":
            # the template's `{name}` replaced by the longest value (path parameters are bounded)
            path_bytes += worst_value_bytes(schema) - len(parameter["name"]) - 2
        elif parameter["in"] == "query":
            query += len(parameter["name"]) + 2 + worst_value_bytes(schema)  # `&name=value`
    return len(method) + 1 + path_bytes + query + len(" HTTP/1.1")


def test_ascii_only_patterns_are_told_apart():
    assert _ascii_only("^[A-Za-z0-9_.:-]+$")
    assert not _ascii_only(r"^[^\u0000]*$")
    assert not _ascii_only(r"^@?\w+$")


@pytest.mark.django_db
def test_no_schema_valid_request_line_is_over_gunicorns_limit():
    schema = _schema()
    worst = {
        f"{method.upper()} {path}": worst_request_line(path, method.upper(), operation)
        for path, operations in schema["paths"].items()
        if path.startswith(OURS)
        for method, operation in operations.items()
        if isinstance(operation, dict) and any(p["in"] == "query" for p in operation.get("parameters", []))
    }
    assert worst, "no operation of ours takes query parameters?"
    over = {label: size for label, size in worst.items() if size > REQUEST_LINE_LIMIT}
    assert not over, f"request lines over limit_request_line ({REQUEST_LINE_LIMIT}): {over}"
    print(f"longest schema-valid request line: {max(worst.values())} bytes of {REQUEST_LINE_LIMIT}")
