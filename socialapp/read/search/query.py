"""Turning user input into Elasticsearch queries (the syntax is documented in docs/search.md).

User text never reaches Elasticsearch as query DSL or query_string syntax: `parse` splits `q`
into tokens (plain words, quoted phrases, `#tag`, `@name`, a few `name:value` operators, each
optionally negated by a leading `-`), checks the operators' values against strict formats and
folds the text like the documents; the builders then put each piece into a `match`,
`match_phrase`, `match_bool_prefix`, `term` or `range` clause *as a value*. Lucene operators
(`AND`, `*`, `~`, `[1 TO 5]` …) are therefore just text the analyser drops, and a `name:value`
whose name is not one of ours (`foo:bar`, `https://x`) is searched as words.

Per word, several ways of matching compete in a `dis_max` (the best one counts), each a
`constant_score` so that the *kind* of match decides the rank, not Elasticsearch's term
statistics: the folded word itself (EXACT), its Snowball stem in the post's language (STEM),
the last word as a prefix while the user is still typing it (PREFIX), its stem in another
language (STEM_ANY), and a typo of at most AUTO:5,8 edits that keeps the first two characters
(FUZZY). A small BM25 share breaks ties between posts that match equally. `ranked` then
multiplies by engagement and recency (docs/search.md, "Ranking").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter

from socialapp.common.errors import ValidationFailed
from socialapp.common.languages import ISO_639_1
from socialapp.read.common.visibility import Relations, search_filter
from socialapp.read.search.folding import fold
from socialapp.read.search.language import WORD, configured_languages, stems

# A quoted phrase (an unbalanced quote runs to the end), optionally negated, or any other run of
# non-spaces. A quote inside a word (`foo"bar`) is part of the word.
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_TAG = re.compile(r"^#(\w+)$")
_MENTION = re.compile(r"^@(\w[\w.]*)$")
_OPERATOR = re.compile(r"^([A-Za-z]+):(.*)$", re.DOTALL)
_USERNAME = re.compile(r"^@?(\w[\w.]{0,149})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_LANGUAGE = re.compile(r"^([A-Za-z]{2})(?:[-_][A-Za-z0-9]{1,8})*$")

# How much each kind of match of one word scores (constant_score boosts; see the module doc).
# The steps are wide enough that engagement and recency (at most x2.5 and x1.5, see `ranked`)
# order posts within a kind of match and overturn it only for exceptional posts: the word
# itself (8) against another form of it (3) needs about 2.7 times the boost.
EXACT, STEM, PREFIX, STEM_ANY, FUZZY = 8.0, 3.0, 2.0, 1.25, 1.0
# BM25 on the folded body, as a tie-breaker between posts whose words match equally: per word at
# most idf * 1 ≈ 14.5 at a million posts, so at most ~0.15, below the 0.25 between two kinds.
BM25_WEIGHT = 0.01
# sort=relevance multiplies the text score by (1 + ENGAGEMENT_WEIGHT * log10(1 + engagement)) and
# (1 + RECENCY_WEIGHT * 0.5^(age / SEARCH_RECENCY_HALF_LIFE)).
ENGAGEMENT_WEIGHT = 0.5
RECENCY_WEIGHT = 0.5
FUZZY_MIN_CHARS = 5  # shorter words are never matched with typos
FUZZINESS = "AUTO:5,8"  # 0 edits below 5 characters, 1 up to 7, 2 from 8
FUZZY_PREFIX_LENGTH = 2  # a typo never touches the first two characters
FUZZY_MAX_EXPANSIONS = 50
PREFIX_MIN_CHARS = 2  # the shortest prefix `index_prefixes` holds

HAS = {"hashtag", "mention", "link"}
# Mastodon's other `has:` values: we have no media, polls or link cards, so they match nothing.
HAS_NOTHING = {"media", "image", "video", "audio", "poll", "embed"}
IS = {"reply": "is_reply", "sensitive": "sensitive"}
OPERATORS = ("from", "before", "after", "during", "has", "is", "language", "lang")

MATCH_NONE: dict[str, Any] = {"match_none": {}}


def syntax_help(error: str = "a 400") -> str:
    """The query syntax in a sentence or two, for the OpenAPI description of `q` (both APIs)."""
    return (
        "Every word must match: case and accents are ignored, other forms of a word match through"
        " stemming (runs finds running), words of 5 or more characters also match with a typo"
        " (never in their first two characters) and, when q does not end with a space, the last"
        ' word also matches as a prefix. "Quoted phrases" match in order. #hashtag and @name match'
        " tags and mentions. Operators: from:username, from:me (signed in), before:YYYY-MM-DD and"
        " after:YYYY-MM-DD (both leave that UTC day out), during:YYYY-MM-DD, has:hashtag, has:mention,"
        " has:link (has:media, image, video, audio, poll and embed are accepted and match nothing: no"
        " post has them), is:sensitive, is:reply (replies are not indexed: matches nothing), language:xx"
        " or lang:xx (ISO 639-1). A leading - excludes a word, phrase, #tag, @name or operator"
        f" (-word, -from:bob, -has:link). Any other name:value (foo:bar, URLs) is searched as words; a"
        f" malformed operator value is {error} naming the operator. At most"
        f" {settings.SEARCH_MAX_QUERY_LENGTH} characters and {settings.SEARCH_MAX_TERMS} terms"
        " (operators included)."
    )


@dataclass
class ParsedQuery:
    """What `q` asks for. Words, phrases, tags and mentions are folded; `filters` and
    `exclusions` are the operators' clauses (plain values checked by `parse`)."""

    words: list[str] = field(default_factory=list)
    originals: list[str] = field(default_factory=list)  # the words lower-cased, unfolded (for stems)
    phrases: list[str] = field(default_factory=list)
    hashtags: list[str] = field(default_factory=list)
    mentions: list[str] = field(default_factory=list)
    not_words: list[str] = field(default_factory=list)
    not_originals: list[str] = field(default_factory=list)  # the excluded words lower-cased, unfolded
    not_phrases: list[str] = field(default_factory=list)
    not_hashtags: list[str] = field(default_factory=list)
    not_mentions: list[str] = field(default_factory=list)
    filters: list[dict[str, Any]] = field(default_factory=list)
    exclusions: list[dict[str, Any]] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)  # of `language:` (narrows the stems)
    operators: int = 0  # how many were given (`-has:media` excludes nothing but asks for everything)
    prefix_last: bool = False  # words[-1] is still being typed: it also matches as a prefix
    unmatchable: bool = False  # text was given that no post can match (only punctuation, emoji)

    @property
    def has_text(self) -> bool:
        """Something to rank by relevance (else the newest first)."""
        return bool(self.words or self.phrases)

    @property
    def is_empty(self) -> bool:
        """Nothing that selects or excludes anything."""
        return not (
            self.words
            or self.phrases
            or self.hashtags
            or self.mentions
            or self.not_words
            or self.not_phrases
            or self.not_hashtags
            or self.not_mentions
            or self.operators
        )

    def stem_languages(self) -> list[str] | None:
        """The languages a word is stemmed in: those of `language:`, else every configured one."""
        return self.languages or None


def query_parameter(*, required: bool, description: str | None = None) -> OpenApiParameter:
    """`q` as the OpenAPI document states it, from the rules of `check_query`: at most
    SEARCH_MAX_QUERY_LENGTH characters, no NUL (RejectNulMiddleware refuses it in any URL),
    and, where required, something besides whitespace."""
    pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$" if required else r"^[^\u0000]*$"
    schema = {"type": "string", "maxLength": settings.SEARCH_MAX_QUERY_LENGTH, "pattern": pattern}
    if required:
        schema["minLength"] = 1
    return OpenApiParameter("q", schema, OpenApiParameter.QUERY, required=required, description=description)


def check_query(q: str | None, *, required: bool = True) -> str:
    raw = q or ""
    q = raw.strip()
    if required and not q:
        raise ValidationFailed.on("q", "Give something to search for.")
    if len(raw) > settings.SEARCH_MAX_QUERY_LENGTH:  # the raw value: what the schema's maxLength bounds
        raise ValidationFailed.on("q", f"At most {settings.SEARCH_MAX_QUERY_LENGTH} characters.")
    if "\x00" in q:
        raise ValidationFailed.on("q", "Control characters are not allowed.")
    return q


def open_ended(raw: str | None) -> bool:
    """True when the raw `q` does not end with whitespace: its last word may be half typed
    (`check_query` strips, so the views ask this of the raw value)."""
    return bool(raw) and not raw[-1].isspace()  # type: ignore[index]


def parse(q: str, *, viewer_id: int | None = None, open_end: bool = False) -> ParsedQuery:
    """Split `q` into its pieces (see the module doc); `viewer_id` is who `from:me` means (None:
    anonymous, a 400), `open_end` whether the last word may be a prefix (`open_ended`).

    Every token counts towards SEARCH_MAX_TERMS, operators and negations included, and is
    counted before anything else is looked at. A malformed value of one of our operators is a
    400 naming it; nothing of the query runs then."""
    tokens = list(_TOKEN.finditer(q))
    if len(tokens) > settings.SEARCH_MAX_TERMS:
        raise ValidationFailed.on(
            "q", f"At most {settings.SEARCH_MAX_TERMS} terms (words, phrases, #tags, @names and operators)."
        )
    parsed = ParsedQuery()
    last_word = False
    for token in tokens:
        last_word = False
        if token.group(3) is None:  # a quoted phrase
            _phrase(parsed, token.group(2), negated=bool(token.group(1)))
            continue
        text = token.group(3)
        negated = text.startswith("-") and len(text) > 1
        if negated:
            text = text[1:]
        elif text == "-":
            continue  # a dash alone: nothing to exclude
        operator = _OPERATOR.match(text)
        if operator and operator.group(1).lower() in OPERATORS:
            _operator(parsed, operator.group(1).lower(), operator.group(2), negated=negated, viewer_id=viewer_id)
        elif tag := _TAG.match(text):
            (parsed.not_hashtags if negated else parsed.hashtags).append(tag.group(1).lower())
        elif mention := _MENTION.match(text):
            (parsed.not_mentions if negated else parsed.mentions).append(mention.group(1).lower())
        else:
            folded = fold(text)
            if not WORD.search(folded):
                parsed.unmatchable |= not negated  # punctuation or emoji: the analyser keeps nothing
            elif negated:
                parsed.not_words.append(folded)
                parsed.not_originals.append(text.lower())
            else:
                parsed.words.append(folded)
                parsed.originals.append(text.lower())
                last_word = True
    parsed.prefix_last = open_end and last_word
    if parsed.unmatchable and not parsed.is_empty:
        parsed.unmatchable = False  # "🍰 #cake" is "#cake": an emoji beside real terms is ignored
    return parsed


def _phrase(parsed: ParsedQuery, text: str, *, negated: bool) -> None:
    folded = fold(text).strip()
    if not WORD.search(folded):
        parsed.unmatchable |= not negated
    else:
        (parsed.not_phrases if negated else parsed.phrases).append(folded)


def _operator(parsed: ParsedQuery, name: str, value: str, *, negated: bool, viewer_id: int | None) -> None:
    """The clause of one operator (checked), into `filters`, or `exclusions` when negated."""
    if not value:
        raise ValidationFailed.on("q", f"{name}: needs a value, e.g. {_EXAMPLES[name]}.")
    parsed.operators += 1
    clause: dict[str, Any]
    if name == "from":
        clause = _from(value, viewer_id)
    elif name in ("before", "after", "during"):
        clause = _date_range(name, value)
    elif name == "has":
        kind = value.lower()
        if kind in HAS:
            clause = {"term": {"has": kind}}
        elif kind in HAS_NOTHING:
            clause = MATCH_NONE
        else:
            allowed = ", ".join(sorted(HAS | HAS_NOTHING))
            raise ValidationFailed.on("q", f"has: is one of {allowed} (not {value[:40]!r}).")
    elif name == "is":
        flag = IS.get(value.lower())
        if flag is None:
            raise ValidationFailed.on("q", f"is: is one of {', '.join(IS)} (not {value[:40]!r}).")
        clause = {"term": {flag: True}}
    else:  # language, lang
        code = _language(name, value)
        clause = {"term": {"language": code}}
        if not negated:
            parsed.languages.append(code)
    if negated:
        if clause is not MATCH_NONE:  # excluding what nothing matches excludes nothing
            parsed.exclusions.append(clause)
    else:
        parsed.filters.append(clause)


_EXAMPLES = {
    "from": "from:alice or from:me",
    "before": "before:2026-01-31",
    "after": "after:2026-01-31",
    "during": "during:2026-01-31",
    "has": "has:link",
    "is": "is:sensitive",
    "language": "language:de",
    "lang": "lang:de",
}


def _from(value: str, viewer_id: int | None) -> dict[str, Any]:
    if value.lower() == "me":
        if viewer_id is None:
            raise ValidationFailed.on("q", "from:me needs a signed-in user.")
        return {"term": {"author_id": viewer_id}}
    username = _USERNAME.match(value)
    if username is None:
        raise ValidationFailed.on("q", f"from: expects a username, e.g. {_EXAMPLES['from']}.")
    return {"term": {"author_username": username.group(1).lower()}}


def _date_range(name: str, value: str) -> dict[str, Any]:
    """Mastodon's semantics (SearchQueryTransformer): `before:D` is `created_at < D`, `after:D`
    is `created_at > D` and `during:D` is within D, where Elasticsearch rounds the day: down
    for `lt`/`gte` (D 00:00), up for `gt`/`lte` (D 23:59:59.999). So before and after both
    leave day D out. Days are UTC days."""
    try:
        if not _DATE.match(value):
            raise ValueError(value)
        day = date.fromisoformat(value).isoformat()
    except ValueError:
        raise ValidationFailed.on("q", f"{name}: expects a date as YYYY-MM-DD (UTC), e.g. {_EXAMPLES[name]}.") from None
    bounds = {"before": {"lt": day}, "after": {"gt": day}, "during": {"gte": day, "lte": day}}[name]
    return {"range": {"created_at": {**bounds, "format": "strict_date", "time_zone": "UTC"}}}


def _language(name: str, value: str) -> str:
    """An ISO 639-1 code; a region or script subtag (`pt-BR`, `zh_Hant`) is dropped, as
    Mastodon's language_code_from_term does."""
    match = _LANGUAGE.match(value)
    code = match.group(1).lower() if match else ""
    if code not in ISO_639_1:
        raise ValidationFailed.on("q", f"{name}: expects a two-letter ISO 639-1 language code, e.g. {_EXAMPLES[name]}.")
    return code


@dataclass(frozen=True)
class Stems:
    """One query word's stems: in each language (`by_language`, the code → the stems of its
    parts, space-separated), and `literal` (the folded word) for posts in any other language,
    whose `body_stemmed` holds words no configured stemmer made."""

    by_language: dict[str, str]
    literal: str
    narrowed: bool  # `language:` given: only those languages, no "any other language" clause

    def groups(self) -> dict[str, list[str]]:
        """Each distinct stem with the languages it is the stem in."""
        out: dict[str, list[str]] = {}
        for code, stem in self.by_language.items():
            out.setdefault(stem, []).append(code)
        return out

    def for_language(self, code: str | None) -> str | None:
        """What a post in `code` must hold in `body_stemmed` to match by stem (STEM)."""
        if code in self.by_language:
            return self.by_language[code]
        return None if self.narrowed else self.literal

    def alternatives(self) -> list[str]:
        """Every distinct stem, the literal word first (STEM_ANY, for posts in any language)."""
        return [s for s in dict.fromkeys([self.literal, *self.by_language.values()]) if s]

    def in_language(self, code: str | None) -> set[str]:
        """The stems that match a post in `code` at all (what the highlighter marks)."""
        if self.narrowed:
            own = self.for_language(code)
            return {own} if own else set()
        return set(self.alternatives())


def word_stems(original: str, languages: list[str] | None = None) -> Stems:
    """The stems of a query word, lower-cased as typed (the stemmers know their accents), in the
    `languages` of `language:` or else every configured one (language.configured_languages)."""
    parts = WORD.findall(original.lower())
    codes = languages if languages is not None else configured_languages()
    return Stems(
        by_language={code: " ".join(stems(parts, code)) for code in codes},
        literal=" ".join(fold(p) for p in parts),
        narrowed=languages is not None,
    )


def fuzzy_allowed(word: str) -> bool:
    """Typos only in words of FUZZY_MIN_CHARS characters or more (of one analysed term)."""
    return any(len(part) >= FUZZY_MIN_CHARS for part in WORD.findall(word))


def word_clause(
    word: str, *, original: str | None = None, prefix: bool = False, languages: list[str] | None = None
) -> dict[str, Any]:
    """The folded `word` must match, in the best of these ways (dis_max of constant scores);
    `original`: the word lower-cased as typed, which the stemmers prefer.

    A stem counts fully (STEM) in its own language: the query word's stem in language X in the
    `body_stemmed` of a post indexed in X; posts in any other language (no stemmer, or not
    configured) by the folded word among their `body_stemmed` words. Any stem of the word in
    any language, whatever the post's language, counts less (STEM_ANY, below a prefix): Danish
    stems `runner` to `run`, which should not rank English posts about running as high, but
    language detection of short posts is uncertain, and a post about running indexed as Swedish
    still has `run` among its stems. At most 5 + len(SEARCH_LANGUAGES) clauses per word
    (exact, a stem per language, other languages, any stem, typo, prefix), whatever the word."""
    queries: list[dict[str, Any]] = [
        _constant({"match": {"body_folded": {"query": word, "operator": "and"}}}, EXACT),
    ]
    found = word_stems(original or word, languages)
    for stem, codes in found.groups().items():
        if not stem:
            continue
        stemmed = [{"match": {"body_stemmed": {"query": stem, "operator": "and"}}}, {"terms": {"language": codes}}]
        queries.append(_constant({"bool": {"filter": stemmed}}, STEM))
    if not found.narrowed and found.literal:
        other = {
            "filter": [{"match": {"body_stemmed": {"query": found.literal, "operator": "and"}}}],
            "must_not": [{"terms": {"language": list(found.by_language)}}],
        }
        queries.append(_constant({"bool": other}, STEM))
        alternatives = [
            {"match": {"body_stemmed": {"query": stem, "operator": "and"}}} for stem in found.alternatives()
        ]
        queries.append(_constant({"bool": {"should": alternatives, "minimum_should_match": 1}}, STEM_ANY))
    if fuzzy_allowed(word):
        fuzzy = {
            "query": word,
            "operator": "and",
            "fuzziness": FUZZINESS,
            "prefix_length": FUZZY_PREFIX_LENGTH,
            "max_expansions": FUZZY_MAX_EXPANSIONS,
        }
        queries.append(_constant({"match": {"body_folded": fuzzy}}, FUZZY))
    parts = WORD.findall(word)
    if prefix and parts and len(parts[-1]) >= PREFIX_MIN_CHARS:
        # The last analysed term is a prefix (index_prefixes serves 2-5 characters), the others exact.
        queries.append(_constant({"match_bool_prefix": {"body_folded": {"query": word, "operator": "and"}}}, PREFIX))
    return {"dis_max": {"queries": queries}}


def exclusion_clauses(word: str, *, original: str, languages: list[str] | None = None) -> list[dict[str, Any]]:
    """`-word`: the folded word itself, and its other forms in the post's own language (the
    word's stem in language X in the `body_stemmed` of a post indexed in X), as Mastodon's
    analysed exclusion does: `-match` also drops "matches". Never a stem of another language
    (Danish `runner` -> `run` must not make `-runner` drop English posts about running)."""
    clauses: list[dict[str, Any]] = [{"match": {"body_folded": {"query": word, "operator": "and"}}}]
    for stem, codes in word_stems(original, languages).groups().items():
        if stem:
            stemmed = [{"match": {"body_stemmed": {"query": stem, "operator": "and"}}}, {"terms": {"language": codes}}]
            clauses.append({"bool": {"filter": stemmed}})
    return clauses


def _constant(query: dict[str, Any], boost: float) -> dict[str, Any]:
    return {"constant_score": {"filter": query, "boost": boost}}


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
    minus authors blocked either way or muted. A filter inside the query, so pages stay full.
    The text scores the kinds of match (module doc); `ranked` adds engagement and recency."""
    languages = parsed.stem_languages()
    must: list[dict[str, Any]] = [
        word_clause(
            word,
            original=parsed.originals[i],
            prefix=parsed.prefix_last and i == len(parsed.words) - 1,
            languages=languages,
        )
        for i, word in enumerate(parsed.words)
    ]
    must.extend(
        _constant({"match_phrase": {"body_folded": {"query": phrase}}}, EXACT * len(WORD.findall(phrase)))
        for phrase in parsed.phrases
    )
    if parsed.unmatchable or (parsed.is_empty and not (author or since or until)):
        must = [MATCH_NONE]  # only text the analyser drops (e.g. "!!!" or an emoji): no post has it
    should: list[dict[str, Any]] = []
    if parsed.has_text:
        text = " ".join([*parsed.words, *parsed.phrases])
        should.append({"match": {"body_folded": {"query": text, "boost": BM25_WEIGHT}}})
    filters: list[dict[str, Any]] = [{"term": {"hidden": False}}, *search_filter(viewer), *parsed.filters]
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
    must_not: list[dict[str, Any]] = [*parsed.exclusions]
    for word, original in zip(parsed.not_words, parsed.not_originals, strict=True):
        must_not.extend(exclusion_clauses(word, original=original, languages=languages))
    must_not.extend({"match_phrase": {"body_folded": {"query": phrase}}} for phrase in parsed.not_phrases)
    must_not.extend({"term": {"hashtags": tag}} for tag in parsed.not_hashtags)
    must_not.extend({"term": {"mentions": name}} for name in parsed.not_mentions)
    query: dict[str, Any] = {"must": must or [{"match_all": {}}], "should": should, "filter": filters}
    if must_not:
        query["must_not"] = must_not
    return {"bool": query}


def ranked(query: dict[str, Any], *, origin: datetime) -> dict[str, Any]:
    """`sort=relevance`: score = text * (1 + 0.5 * log10(1 + engagement)) * (1 + 0.5 * 0.5^(age /
    half-life)), age counted from `origin` (the first page's time, carried by the cursor, so later
    pages rank with the same clock). Built-in function_score functions only (no scripting on the
    stripped distribution): a weight of 1 summed with a weighted field_value_factor, then with a
    weighted exp decay."""
    engagement = {
        "function_score": {
            "query": query,
            "functions": [
                {"weight": 1},
                {
                    "field_value_factor": {"field": "engagement", "modifier": "log1p", "missing": 0},
                    "weight": ENGAGEMENT_WEIGHT,
                },
            ],
            "score_mode": "sum",
            "boost_mode": "multiply",
        }
    }
    decay = {
        "exp": {
            "created_at": {
                "origin": origin.astimezone(UTC).isoformat(timespec="milliseconds"),
                "scale": settings.SEARCH_RECENCY_HALF_LIFE,
                "decay": 0.5,
            }
        },
        "weight": RECENCY_WEIGHT,
    }
    return {
        "function_score": {
            "query": engagement,
            "functions": [{"weight": 1}, decay],
            "score_mode": "sum",
            "boost_mode": "multiply",
        }
    }


def users_query(q: str, *, viewer: Relations | None = None) -> dict:
    """Accounts blocked either way with `viewer` are left out (account_listed's rule, as a filter).
    Typos: only for five characters or more, never in the first two (as for posts)."""
    folded = fold(q.lstrip("@")).strip()
    words = folded.split()
    should: list[dict[str, Any]] = []
    if folded:
        should += [
            {"term": {"username_folded": {"value": folded, "boost": 10}}},
            {"prefix": {"username_folded": {"value": folded, "boost": 5}}},
            {"match": {"display_name_folded": {"query": folded, "operator": "and", "boost": 3}}},
        ]
        if len(folded) >= FUZZY_MIN_CHARS:
            should.append(
                {
                    "fuzzy": {
                        "username_folded": {
                            "value": folded,
                            "fuzziness": FUZZINESS,
                            "prefix_length": FUZZY_PREFIX_LENGTH,
                            "boost": 2,
                        }
                    }
                }
            )
        typos = {
            "query": folded,
            "fuzziness": FUZZINESS,  # per analysed word: short words stay exact
            "prefix_length": FUZZY_PREFIX_LENGTH,
            "operator": "and",
        }
        should.append({"match": {"display_name_folded": typos}})
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
