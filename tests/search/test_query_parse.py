"""The query parser, the clause builders and the highlighter, without Elasticsearch."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.test import override_settings

from socialapp.common.errors import ValidationFailed
from socialapp.read.search import query
from socialapp.read.search.highlight import Highlighter, highlight, max_edits, snippet, typo_of
from socialapp.read.search.query import open_ended, parse, posts_query, ranked, word_clause

from .test_api import HOSTILE


def test_tokens_become_words_phrases_tags_mentions_and_operators() -> None:
    parsed = parse('Crème "Brûlée CAFÉ" #Dessert @Bob -tea -"green tea" -#x -@y from:Alice -has:link lang:de')
    assert parsed.words == ["creme"] and parsed.originals == ["crème"]
    assert parsed.phrases == ["brulee cafe"] and parsed.not_phrases == ["green tea"]
    assert parsed.hashtags == ["dessert"] and parsed.mentions == ["bob"]
    assert parsed.not_words == ["tea"] and parsed.not_hashtags == ["x"] and parsed.not_mentions == ["y"]
    assert {"term": {"author_username": "alice"}} in parsed.filters
    assert {"term": {"language": "de"}} in parsed.filters and parsed.languages == ["de"]
    assert parsed.exclusions == [{"term": {"has": "link"}}]


def test_unknown_operators_and_urls_are_words() -> None:
    parsed = parse("foo:bar https://example.org mailto:x@y.z")
    assert parsed.words == ["foo:bar", "https://example.org", "mailto:x@y.z"]
    assert parsed.filters == [] and parsed.exclusions == []


def test_every_token_counts_towards_the_limit() -> None:
    with override_settings(SEARCH_MAX_TERMS=3):
        parse("a #b from:c")
        for q in ("a b c d", "a -b from:c is:sensitive", '"a" "b" "c" "d"', "- - - -"):
            with pytest.raises(ValidationFailed, match="At most 3 terms"):
                parse(q)


def test_the_last_word_is_a_prefix_only_when_q_ends_open() -> None:
    assert parse("ada lov", open_end=True).prefix_last
    assert not parse("ada lov", open_end=False).prefix_last
    assert not parse('ada "lov"', open_end=True).prefix_last  # a phrase is complete
    assert not parse("ada from:x", open_end=True).prefix_last
    assert not parse("ada -lov", open_end=True).prefix_last
    assert open_ended("ada lov") and not open_ended("ada lov ") and not open_ended("") and not open_ended(None)


def test_operator_clauses() -> None:
    assert parse("from:me", viewer_id=7).filters == [{"term": {"author_id": 7}}]
    assert parse("is:reply").filters == [{"term": {"is_reply": True}}]
    assert parse("IS:Sensitive").filters == [{"term": {"sensitive": True}}]
    assert parse("has:media").filters == [query.MATCH_NONE]
    media = parse("-has:media")
    assert media.exclusions == [] and not media.is_empty
    [before] = parse("before:2026-02-28").filters
    assert before["range"]["created_at"]["lt"] == "2026-02-28"
    assert parse("during:2024-02-29").filters[0]["range"]["created_at"]["lte"] == "2024-02-29"
    assert parse("language:pt_BR").filters == [{"term": {"language": "pt"}}]


@pytest.mark.parametrize(
    "q",
    [
        "from:",
        "from:a/b",
        "from:me",
        "before:2026-02-30",
        "after:26-01-01",
        "during:2026-01-01T00:00",
        "has:",
        "has:cats",
        "is:",
        "is:bot",
        "language:",
        "language:xx",
        "language:english",
        "lang:e",
    ],
)
def test_malformed_operators_name_themselves(q: str) -> None:
    name = q.split(":")[0] + ":"
    with pytest.raises(ValidationFailed) as error:
        parse(q, viewer_id=None)
    assert name in error.value.errors["q"][0]


def test_punctuation_alone_matches_nothing_but_beside_terms_is_ignored() -> None:
    assert parse("!!! 🍰").unmatchable
    assert not parse("!!! #cake").unmatchable and parse("!!! #cake").hashtags == ["cake"]
    body = posts_query(parse("!!!"), author=None, since=None, until=None)
    assert body["bool"]["must"] == [query.MATCH_NONE]
    body = posts_query(parse("-"), author=None, since=None, until=None)
    assert body["bool"]["must"] == [query.MATCH_NONE]
    body = posts_query(parse(""), author="bob", since=None, until=None)
    assert body["bool"]["must"] == [{"match_all": {}}]


@override_settings(SEARCH_LANGUAGES=["en", "de", "fr", "es", "it", "pt", "nl", "sv", "da", "no", "fi", "ru"])
def test_clauses_per_word_are_bounded() -> None:
    for word in ("connection", "running", "x", "don't", "laufen", "Straße"):
        clauses = word_clause(word, prefix=True)["dis_max"]["queries"]
        assert len(clauses) <= 5 + 12, (word, len(clauses))


def test_no_user_text_becomes_query_syntax() -> None:
    for q in HOSTILE:
        try:
            parsed = parse(q[:512], viewer_id=1, open_end=True)
        except ValidationFailed:
            continue
        body = ranked(posts_query(parsed, author=None, since=None, until=None), origin=datetime.now(UTC))
        text = json.dumps(body)
        assert "query_string" not in text and "script" not in text and "regexp" not in text and "wildcard" not in text


def test_auto_5_8_typos_keep_the_first_two_characters() -> None:
    assert [max_edits("a" * n) for n in (4, 5, 7, 8, 12)] == [0, 1, 1, 2, 2]
    assert typo_of("runing", "running") and typo_of("runnign", "running") and typo_of("running", "runnnig")
    assert not typo_of("runnxyg", "running")  # two edits in a 7-letter word
    assert not typo_of("xunning", "running") and not typo_of("urnning", "running")
    assert typo_of("conecton", "connection") and not typo_of("conecton", "connectio")
    assert not typo_of("runs", "rund")  # four letters: exact only


def test_highlight_escapes_and_marks() -> None:
    parsed = parse('jumps "the park" #hurdles @bob ru', open_end=True)
    body = "<i>Running</i> & jumping in the  park #Hurdles @Bob.smith @bob. rugby"
    spans = Highlighter(parsed).spans(body, "en")
    # "ru" is being typed: Running and rugby start with it; "jumps" finds jumping by its stem.
    assert highlight(body, spans) == (
        "&lt;i&gt;<em>Running</em>&lt;/i&gt; &amp; <em>jumping</em> in <em>the  park</em> <em>#Hurdles</em>"
        " @Bob.smith <em>@bob.</em> <em>rugby</em>"
    )
    assert snippet(body, []) == highlight(body, [])


def test_highlight_follows_the_posts_language() -> None:
    parsed = parse("laufen ")
    highlighter = Highlighter(parsed)
    assert highlight("Er läuft und lief", highlighter.spans("Er läuft und lief", "de")) == "Er läuft und lief"
    assert "<em>laufe</em>" in highlight("wir laufe", highlighter.spans("wir laufe", "de"))
    narrowed = Highlighter(parse("language:de läufer "))
    assert narrowed.spans("der Läufer", "de") == [(4, 10)]


def test_openapi_documents_the_query_syntax_and_the_hits() -> None:
    from tests.read.test_schema import generated_schema

    schema = generated_schema()
    for path in ("/api/socialapp/v1/search/posts", "/api/v2/search"):
        [q] = [p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == "q"]
        for operator in ("from:me", "before:", "after:", "during:", "has:link", "is:sensitive", "language:", '"', "-"):
            assert operator in q["description"], (path, operator)
        assert q["schema"]["maxLength"] >= 512
    hit = schema["components"]["schemas"]["PostHitOut"]["properties"]
    assert {"snippet", "highlight", "language"} <= set(hit)
    assert hit["language"].get("nullable") is True
