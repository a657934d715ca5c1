"""Highlights of post search results, computed in Python from the parsed query.

Elasticsearch's highlighter only sees the terms of the field it highlights: it cannot mark the
word `running` that a query for `runs` found through `body_stemmed`, nor a typo or a prefix
the same way our clauses matched them. So the marks are drawn here, with the rules of
`query.word_clause`, on the words of the ORIGINAL body (language.WORD, as `body_stemmed` splits
them): a word is marked when its folded form equals a query word, its stem in the post's
language is one of the query word's stems that match such a post (query.Stems.in_language:
the word's stem in any configured language, or only in those of `language:`), the last query word (while typed) is a prefix of it,
it is a typo of a query word (Damerau-Levenshtein within AUTO:5,8, first two characters
equal), or it is part of a quoted phrase; `#tag` and `@name` terms mark their tags and
mentions. Everything else is HTML-escaped, so the result is safe to render as HTML.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from socialapp.read.search.folding import fold
from socialapp.read.search.language import WORD, stems
from socialapp.read.search.query import (
    FUZZY_PREFIX_LENGTH,
    PREFIX_MIN_CHARS,
    ParsedQuery,
    Stems,
    fuzzy_allowed,
    word_stems,
)

SNIPPET_CHARS = 200
_TAGS = re.compile(r"#(\w+)")
_MENTIONS = re.compile(r"@(\w[\w.]*)")

Span = tuple[int, int]


def max_edits(part: str) -> int:
    """Elasticsearch's AUTO:5,8 for one term: no typo below 5 characters, 1 up to 7, then 2."""
    return 0 if len(part) < 5 else 1 if len(part) < 8 else 2


def typo_of(candidate: str, part: str) -> bool:
    """`candidate` is within max_edits(part) edits of `part` (insertions, deletions,
    substitutions, transpositions of neighbours: Lucene's fuzzy query) and shares its first
    FUZZY_PREFIX_LENGTH characters."""
    limit = max_edits(part)
    if not limit or abs(len(candidate) - len(part)) > limit:
        return False
    if candidate[:FUZZY_PREFIX_LENGTH] != part[:FUZZY_PREFIX_LENGTH]:
        return False
    return _osa_distance(candidate, part, limit) <= limit


def _osa_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance, giving up (limit + 1) once every cell exceeds `limit`."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


@dataclass(frozen=True)
class _Word:
    parts: tuple[str, ...]  # the folded query word as the body's words split it
    stems: Stems
    fuzzy: bool
    prefix: bool


class Highlighter:
    """Built once per query, applied to each hit's body."""

    def __init__(self, parsed: ParsedQuery) -> None:
        languages = parsed.stem_languages()
        self.words: list[_Word] = []
        for i, word in enumerate(parsed.words):
            parts = tuple(WORD.findall(word))
            if not parts:
                continue
            self.words.append(
                _Word(
                    parts=parts,
                    stems=word_stems(parsed.originals[i], languages),
                    fuzzy=fuzzy_allowed(word),
                    prefix=parsed.prefix_last and i == len(parsed.words) - 1 and len(parts[-1]) >= PREFIX_MIN_CHARS,
                )
            )
        self.phrases = [p for p in (tuple(WORD.findall(phrase)) for phrase in parsed.phrases) if p]
        self.tags = set(parsed.hashtags)
        self.mentions = set(parsed.mentions)

    def spans(self, body: str, language: str | None) -> list[Span]:
        """The (start, end) character ranges of `body` to mark, sorted, not overlapping."""
        tokens = list(WORD.finditer(body))
        folded = [fold(t.group()) for t in tokens]
        stemmed = stems([t.group().lower() for t in tokens], language) if self.words else []
        marked: list[Span] = []

        def mark(first: int, count: int) -> None:
            marked.append((tokens[first].start(), tokens[first + count - 1].end()))

        for word in self.words:
            k = len(word.parts)
            for i in range(len(tokens) - k + 1):
                if self._word_at(word, folded[i : i + k]):
                    mark(i, k)
            for stem in word.stems.in_language(language):
                wanted = stem.split()
                n = len(wanted)
                for i in range(len(tokens) - n + 1):
                    if stemmed[i : i + n] == wanted:
                        mark(i, n)
        for phrase in self.phrases:
            k = len(phrase)
            for i in range(len(tokens) - k + 1):
                if tuple(folded[i : i + k]) == phrase:
                    mark(i, k)
        marked += [m.span() for m in _TAGS.finditer(body) if m.group(1).lower() in self.tags]
        marked += [m.span() for m in _MENTIONS.finditer(body) if m.group(1).lower().rstrip(".") in self.mentions]
        return _merged(marked)

    @staticmethod
    def _word_at(word: _Word, found: list[str]) -> bool:
        """The query word's parts against the body's words at one position: each equal, or a
        typo of it (fuzzy words), the last one also a prefix (the word being typed)."""
        last = len(word.parts) - 1
        for j, (part, candidate) in enumerate(zip(word.parts, found, strict=True)):
            if candidate == part:
                continue
            if word.prefix and j == last and candidate.startswith(part):
                continue
            if word.fuzzy and typo_of(candidate, part):
                continue
            return False
        return True


def _merged(spans: list[Span]) -> list[Span]:
    out: list[Span] = []
    for start, end in sorted(spans):
        if out and start < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def highlight(body: str, spans: list[Span]) -> str:
    """The whole body, HTML-escaped, with <em> around each span."""
    out: list[str] = []
    cursor = 0
    for start, end in spans:
        out += [html.escape(body[cursor:start]), "<em>", html.escape(body[start:end]), "</em>"]
        cursor = end
    out.append(html.escape(body[cursor:]))
    return "".join(out)


def snippet(body: str, spans: list[Span]) -> str:
    """An HTML-escaped excerpt of at most SNIPPET_CHARS characters of the body (plus "…" where
    cut), starting a little before the first mark, with <em> around the marks inside it."""
    if not spans:
        return html.escape(body[:SNIPPET_CHARS]) + ("…" if len(body) > SNIPPET_CHARS else "")
    window_start = max(0, spans[0][0] - SNIPPET_CHARS // 4)
    window_end = min(len(body), window_start + SNIPPET_CHARS)
    inside = [(a, b) for a, b in spans if a >= window_start and b <= window_end]
    text = highlight(body[window_start:window_end], [(a - window_start, b - window_start) for a, b in inside])
    return ("…" if window_start > 0 else "") + text + ("…" if window_end < len(body) else "")
