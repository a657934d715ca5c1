"""Turning user input into Elasticsearch queries.

User text never reaches Elasticsearch as query DSL or query_string syntax: `parse` splits `q`
into quoted phrases, `#hashtag` terms, `@mention` terms and plain words, folds them like the
documents, and the builders wrap each in a `match`, `match_phrase` or `term` clause. Lucene
operators (`AND`, `*`, `~`, `:` …) are therefore just text; the `standard` analyzer drops the
punctuation, so a query of only punctuation matches nothing (an empty, valid result).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings

from socialapp.common.errors import ValidationFailed
from socialapp.read.common.visibility import Relations, search_filter
from socialapp.read.search.folding import HL_CLOSE, HL_OPEN, fold

_TOKEN = re.compile(r'"([^"]*)"?|(\S+)')
_TAG = re.compile(r"^#(\w+)$")
_MENTION = re.compile(r"^@(\w[\w.]*)$")


@dataclass
class ParsedQuery:
    words: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    hashtags: list[str] = field(default_factory=list)
    mentions: list[str] = field(default_factory=list)

    @property
    def has_text(self) -> bool:
        return bool(self.words or self.phrases)


def check_query(q: str | None, *, required: bool = True) -> str:
    q = (q or "").strip()
    if required and not q:
        raise ValidationFailed.on("q", "Give something to search for.")
    if len(q) > settings.SEARCH_MAX_QUERY_LENGTH:
        raise ValidationFailed.on("q", f"At most {settings.SEARCH_MAX_QUERY_LENGTH} characters.")
    if "\x00" in q:
        raise ValidationFailed.on("q", "Control characters are not allowed.")
    return q


def parse(q: str) -> ParsedQuery:
    """Quoted text is a phrase (an unbalanced quote runs to the end); `#x` and `@x` are terms."""
    parsed = ParsedQuery()
    for phrase, word in _TOKEN.findall(q):
        if phrase:
            folded = fold(phrase).strip()
            if folded:
                parsed.phrases.append(folded)
        elif word:
            if tag := _TAG.match(word):
                parsed.hashtags.append(tag.group(1).lower())
            elif mention := _MENTION.match(word):
                parsed.mentions.append(mention.group(1).lower())
            else:
                parsed.words.append(fold(word))
    if (
        len(parsed.words) + len(parsed.phrases) + len(parsed.hashtags) + len(parsed.mentions)
        > settings.SEARCH_MAX_TERMS
    ):
        raise ValidationFailed.on("q", f"At most {settings.SEARCH_MAX_TERMS} terms.")
    return parsed


def posts_query(
    parsed: ParsedQuery,
    *,
    author: str | None,
    since: datetime | None,
    until: datetime | None,
    viewer: Relations | None = None,
) -> dict:
    """`viewer`: the searcher's relations (None: anonymous), for the one visibility rule's SEARCH
    context (socialapp.read.common.visibility.search_filter): public posts or the viewer's own,
    minus authors blocked either way or muted. A filter inside the query, so pages stay full."""
    must: list[dict[str, Any]] = []
    filters: list[dict[str, Any]] = [{"term": {"hidden": False}}, *search_filter(viewer)]
    should: list[dict[str, Any]] = []
    if parsed.words:
        words = " ".join(parsed.words)
        must.append({"match": {"body_folded": {"query": words, "operator": "and"}}})
    must.extend({"match_phrase": {"body_folded": {"query": phrase}}} for phrase in parsed.phrases)
    filters.extend({"term": {"hashtags": tag}} for tag in parsed.hashtags)
    filters.extend({"term": {"mentions": name}} for name in parsed.mentions)
    if author:
        filters.append({"term": {"author_username": author.lower().lstrip("@")}})
    if since or until:
        bounds = {}
        if since:
            bounds["gte"] = since.isoformat()
        if until:
            bounds["lt"] = until.isoformat()
        filters.append({"range": {"created_at": bounds}})
    return {"bool": {"must": must or [{"match_all": {}}], "should": should, "filter": filters}}


def users_query(q: str, *, viewer: Relations | None = None) -> dict:
    """Accounts blocked either way with `viewer` are left out (account_listed's rule, as a filter)."""
    folded = fold(q.lstrip("@")).strip()
    words = folded.split()
    should: list[dict[str, Any]] = []
    if folded:
        should += [
            {"term": {"username_folded": {"value": folded, "boost": 10}}},
            {"prefix": {"username_folded": {"value": folded, "boost": 5}}},
            {"fuzzy": {"username_folded": {"value": folded, "fuzziness": "AUTO", "boost": 2}}},
            {"match": {"display_name_folded": {"query": folded, "operator": "and", "boost": 3}}},
            {"match": {"display_name_folded": {"query": folded, "fuzziness": "AUTO", "operator": "and"}}},
        ]
        if words:
            # Prefix on the last word while typing ("ada lov" finds "Ada Lovelace").
            prefix = {"prefix": {"display_name_folded": {"value": words[-1]}}}
            head = [{"match": {"display_name_folded": w}} for w in words[:-1]]
            should.append({"bool": {"must": [*head, prefix], "boost": 2}})
    query: dict[str, Any] = {
        "bool": {"should": should, "minimum_should_match": 1, "filter": [{"term": {"hidden": False}}]}
    }
    hidden = sorted(viewer.hidden_authors - {viewer.user_id}) if viewer is not None else []
    if hidden:
        query["bool"]["must_not"] = [{"terms": {"user_id": hidden}}]
    return query


def hashtags_query(q: str) -> dict:
    tag = q.strip().lstrip("#").lower()
    filters: list[dict[str, Any]] = [{"term": {"hidden": False}}, {"range": {"post_count": {"gt": 0}}}]
    if tag:
        filters.append({"prefix": {"tag": {"value": tag}}})
    return {"bool": {"filter": filters}}


HIGHLIGHT = {
    "fields": {"body_folded": {"number_of_fragments": 0}},
    "pre_tags": [HL_OPEN],
    "post_tags": [HL_CLOSE],
}
