"""The API's JSON parser: DRF's, except that JSON nested too deeply is a 400 like any other
malformed body.

Python's json module parses recursively; `[[[[...` ten thousand levels deep raises RecursionError,
which DRF's parser (it catches ValueError only) let through as a 500. No request of ours nests
more than a few levels, so the depth Python can parse is plenty; beyond it, a ParseError.
"""

from __future__ import annotations

from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict | None = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply") from None
