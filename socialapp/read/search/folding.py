"""Case and accent folding done in Python, identically at index and at query time.

The stripped Elasticsearch we develop on has no `asciifolding` filter, and we want one behaviour
on every distribution, so documents carry a `*_folded` copy made here and queries are folded by
the same function. `fold_with_offsets` also returns, for each folded character, the index of the
original character it came from, so highlights found in the folded text can be drawn on the
original text (accents and capitals intact).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

# Private-use characters mark highlights in the folded text; user text can never contain them.
HL_OPEN = "\ue000"
HL_CLOSE = "\ue001"
_STRIP = {HL_OPEN, HL_CLOSE}


@lru_cache(maxsize=65536)  # text repeats few distinct characters; indexing folds every post
def _fold_char(char: str) -> str:
    if char in _STRIP:
        return " "
    decomposed = unicodedata.normalize("NFKD", char)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return (kept or char).casefold()


class _FoldTable(dict[int, str]):
    """`_fold_char` by code point, as `str.translate` wants it: filled as characters are met, so a
    text is folded in one C loop over dict lookups (half the time of joining per-character calls)."""

    def __missing__(self, code: int) -> str:
        folded = self[code] = _fold_char(chr(code))
        return folded


_FOLD_TABLE = _FoldTable()


def fold(text: str) -> str:
    if text.isascii():  # the common case: nothing to decompose, casefold() is lower() on ASCII
        return text.lower()
    return text.translate(_FOLD_TABLE)


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    pieces: list[str] = []
    origin: list[int] = []
    for i, char in enumerate(text):
        piece = _fold_char(char)
        pieces.append(piece)
        origin.extend([i] * len(piece))
    return "".join(pieces), origin
