"""Post search's query syntax against the real Elasticsearch: operators and their negations,
malformed operators (a 400 naming them), unknown operators searched as words, stems, typos,
the prefix of the word being typed, ranking (kinds of match, engagement, recency), paging with
function scores, highlights. Documents are written straight into the index (tests/search/
indexing.py) so that every field is under the test's control."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.test import APIClient

from socialapp.common.errors import ValidationFailed
from socialapp.read.search.query import parse

from .indexing import NOW, index_posts, post

pytestmark = pytest.mark.django_db(databases=["default", "read"])

POSTS = "/api/socialapp/v1/search/posts"
DAY = datetime(2026, 3, 10, tzinfo=UTC)


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [r["id"] for r in response.json()["results"]]


def found(api, q: str, **params) -> list[str]:
    return ids(api.get(POSTS, {"q": q, **params}))


def problem(response) -> str:
    """The 400's message about `q` (problem JSON)."""
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    return " ".join(response.json()["errors"]["q"])


@pytest.fixture
def corpus(search_indexes) -> None:
    index_posts(
        post(1, "I love running in the park", author="reader", author_id=1, language="en"),
        post(2, "She runs every morning #fitness with @bob", author="bob", language="en"),
        post(3, "The runner was quick, see https://example.org/page", author="carol", language="en"),
        post(4, "quickly done", author="bob", language="en", sensitive=True),
        post(5, "Wir gehen heute laufen im Park", author="dieter", language="de"),
        post(6, "Les coureurs courent vite dans le parc", author="zoé", language="fr"),
        post(7, "the foo:bar setting and title:x", author="carol", language="en"),
    )


def test_stems_find_other_forms_of_a_word(api, corpus) -> None:
    assert sorted(found(api, "run ")) == ["1", "2"]
    assert sorted(found(api, "running ")) == ["1", "2"]
    assert found(api, "runner ")[0] == "3"  # its own form first (Danish stems runner to run: further down)
    assert sorted(found(api, "quick ")) == ["3", "4"]
    assert found(api, "quickly ") == ["4", "3"]  # the exact word first, then its stem
    assert found(api, "laufe ") == ["5"]  # German stems for a German post
    assert found(api, "courir ") == [] and found(api, "coureur ") == ["6"]


def test_typos_in_longer_words_but_never_in_the_first_two_characters(api, corpus) -> None:
    assert found(api, "runing ") == ["1"]  # one letter missing
    assert found(api, "runnign ") == ["1"]  # two letters swapped
    assert found(api, "xunning ") == []  # the first two characters are never a typo
    assert found(api, "rnuning ") == []
    assert found(api, "quikc ") == ["3"]  # quick, swapped
    assert found(api, "rum ") == []  # four letters: no typo allowed


def test_the_last_word_is_a_prefix_only_while_typed(api, corpus) -> None:
    assert found(api, "lov") == ["1"]  # no trailing space: "lov" may be "love"
    assert found(api, "lov ") == []  # a space after it: the word is complete
    assert found(api, "running lov") == ["1"]
    assert found(api, "lov running") == []  # only the last word is a prefix
    assert sorted(found(api, "par")) == ["1", "5", "6"]  # park, Park, parc
    assert found(api, "I l") == []  # one character is not a prefix
    assert found(api, '"in the" lov') == ["1"] and found(api, 'lov "in the"') == []


def test_from_me_and_from_someone(api, corpus) -> None:
    assert found(api, "from:bob") == ["4", "2"]  # no text: newest first
    assert found(api, "from:@BOB quickly") == ["4"]
    assert found(api, "from:me") == ["1"]  # the `api` client is user 1
    assert sorted(found(api, "-from:bob -from:me -from:carol")) == ["5", "6"]
    assert found(api, "from:nobody") == []
    # Our API has no anonymous callers; Mastodon's search does (tests/mastodon/test_search.py).
    assert APIClient().get(POSTS, {"q": "from:me run"}).status_code == 401
    with pytest.raises(ValidationFailed, match="from:me"):
        parse("from:me run", viewer_id=None)


def test_dates_are_utc_days_before_and_after_leave_the_day_out(api, search_indexes) -> None:
    index_posts(
        post(1, "tick a", at=DAY - timedelta(minutes=1)),
        post(2, "tick b", at=DAY),
        post(3, "tick c", at=DAY + timedelta(hours=12)),
        post(4, "tick d", at=DAY + timedelta(days=1) - timedelta(milliseconds=1)),
        post(5, "tick e", at=DAY + timedelta(days=1)),
    )
    assert found(api, "tick before:2026-03-10") == ["1"]
    assert found(api, "tick after:2026-03-10") == ["5"]
    assert found(api, "tick during:2026-03-10", sort="recent") == ["4", "3", "2"]
    assert found(api, "tick -during:2026-03-10", sort="recent") == ["5", "1"]
    assert found(api, "tick after:2026-03-09 before:2026-03-11", sort="recent") == ["4", "3", "2"]
    assert found(api, "tick -before:2026-03-10", sort="recent") == ["5", "4", "3", "2"]


def test_has_is_and_language(api, corpus) -> None:
    assert found(api, "has:hashtag") == ["2"]
    assert found(api, "has:mention") == ["2"]
    assert found(api, "has:link") == ["3"]
    assert "3" not in found(api, "-has:link") and len(found(api, "-has:link")) == 6
    assert found(api, "has:media") == [] and found(api, "has:poll run") == []  # no such posts here
    assert len(found(api, "-has:media")) == 7  # excluding what nothing has excludes nothing
    assert found(api, "is:sensitive") == ["4"]
    assert "4" not in found(api, "-is:sensitive")
    assert found(api, "is:reply") == []  # comments aren't indexed
    assert len(found(api, "-is:reply")) == 7
    assert found(api, "language:de") == ["5"] and found(api, "lang:DE") == ["5"]
    assert found(api, "language:de-AT") == ["5"]  # a region subtag is dropped
    assert "5" not in found(api, "-language:de") and len(found(api, "-language:de")) == 6
    assert found(api, "language:fr parc") == ["6"]
    assert found(api, "language:ja") == []  # a valid code nobody wrote in


def test_negated_words_phrases_tags_and_mentions(api, corpus) -> None:
    assert sorted(found(api, "run ")) == ["1", "2"]
    assert found(api, "run -park") == ["2"]
    assert found(api, "run -PARK") == ["2"]  # folded like everything
    assert found(api, 'run -"in the park"') == ["2"]
    assert sorted(found(api, 'run -"the park in"')) == ["1", "2"]  # not that phrase
    assert found(api, "run -#fitness") == ["1"]
    assert found(api, "run -@bob") == ["1"]
    # A negated word excludes the word and its other forms in the post's own language...
    assert found(api, "-runs run ") == []
    assert "2" not in found(api, "-running morning")
    assert sorted(found(api, "-run")) == ["3", "4", "5", "6", "7"]  # "runner" is its own stem in English
    # ... but never through another language's stem (Danish stems runner to run).
    assert sorted(found(api, "-runner park ")) == ["1", "5"]
    assert found(api, "-laufen park ") == ["1"]  # the German post goes, with its German stem


def test_unknown_operators_are_words(api, corpus) -> None:
    assert found(api, "foo:bar") == ["7"]
    assert found(api, "title:x") == ["7"]
    assert found(api, "https://example.org/page") == ["3"]
    assert found(api, "nope:nothing") == []


@pytest.mark.parametrize(
    ("q", "named"),
    [
        ("run from:", "from:"),
        ("from:bad/name", "from:"),
        ("before:2026-13-01", "before:"),
        ("before:9999-99-99", "before:"),
        ("after:yesterday", "after:"),
        ("during:2026-1-1", "during:"),
        ("during:", "during:"),
        ("has:", "has:"),
        ("has:everything", "has:"),
        ("-has:whatever", "has:"),
        ("is:bot", "is:"),
        ("is:", "is:"),
        ("language:toolong", "language:"),
        ("language:xx", "language:"),
        ("lang:12", "lang:"),
        ("language:", "language:"),
        ("run -before:31.12.2026", "before:"),
    ],
)
def test_malformed_operators_are_a_400_naming_them(api, corpus, q, named) -> None:
    message = problem(api.get(POSTS, {"q": q}))
    assert named in message, message


def test_operator_abuse_is_bounded(api, corpus) -> None:
    assert "terms" in problem(api.get(POSTS, {"q": " ".join(["has:link"] * 33)}))
    assert "characters" in problem(api.get(POSTS, {"q": " ".join(["is:x"] * 500)}))
    for q in ("-", "--", "- -", '"-from:x"', "-#", "-@", '-""', "from:me:me"):
        response = api.get(POSTS, {"q": q})
        assert response.status_code in (200, 400), (q, response.content)
    assert found(api, "-") == [] and found(api, "--") == []  # nothing asked, nothing found
    assert found(api, '"-from:x"') == []  # a phrase, not an operator


def _same_time(*docs):
    return [{**d, "created_at": NOW - timedelta(days=3)} for d in docs]


def test_exact_ranks_above_stemmed_above_typos(api, search_indexes) -> None:
    index_posts(
        *_same_time(
            post(1, "lost connectiom today", language="en"),  # a typo of the word
            post(2, "lost connections today", language="en"),  # another form (stem connect)
            post(3, "lost connection today", language="en"),  # the word itself
            post(4, "lost Connéction today", language="en"),  # the word, folded
        )
    )
    ranked = found(api, "connection ")
    assert set(ranked[:2]) == {"3", "4"} and ranked[2:] == ["2", "1"]
    # While the word is typed, the prefix still ranks below a stem in the post's language.
    assert found(api, "connection")[2:] == ["2", "1"]


def test_engagement_and_recency_blend_with_text(api, search_indexes) -> None:
    index_posts(
        post(1, "tea time", likes=0, age=timedelta(days=30)),
        post(2, "tea time", likes=50, age=timedelta(days=30)),
        post(3, "tea time", comments=10, age=timedelta(days=30)),  # engagement 20
        post(4, "tea time", likes=15, age=timedelta(days=30)),
        post(5, "tea time", likes=0, age=timedelta(hours=1)),
    )
    ranked = found(api, "tea ")
    assert ranked.index("2") < ranked.index("3") < ranked.index("4") < ranked.index("1")
    assert ranked.index("5") < ranked.index("1")  # newer, with the same engagement
    assert found(api, "tea ", sort="recent") == ["5", "4", "3", "2", "1"]  # pure recency
    # Text still leads: the word itself with no likes above another form of it with five.
    index_posts(*_same_time(post(10, "brewing beer", likes=0), post(11, "brewed beer", likes=5)))
    assert found(api, "brewing ")[:2] == ["10", "11"]


def test_relevance_pages_walk_every_hit_once(api, search_indexes) -> None:
    index_posts(
        *(post(100 + i, f"page word {'word ' * (i % 3)}", likes=i % 4, age=timedelta(hours=i)) for i in range(9))
    )
    first = found(api, "word ")
    seen: list[str] = []
    params = {"q": "word ", "limit": 2}
    for _ in range(10):
        response = api.get(POSTS, params)
        seen += ids(response)
        cursor = response.json()["next"]
        if not cursor:
            break
        params = {**params, "cursor": cursor}
    assert seen == first and len(seen) == 9
    recent = api.get(POSTS, {"q": "word ", "limit": 2, "sort": "recent"}).json()["next"]
    assert api.get(POSTS, {"q": "word ", "cursor": recent}).status_code == 400  # another list's cursor


def test_highlight_marks_every_kind_of_match_and_escapes_the_rest(api, search_indexes) -> None:
    body = '<script>alert("x")</script> Running & jumping over #Hurdles in the "park" <b>fast</b>'
    index_posts(post(1, body, language="en"))
    [hit] = api.get(POSTS, {"q": "runs jumpin"}).json()["results"]
    assert hit["language"] == "en"
    assert hit["highlight"] == (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; <em>Running</em> &amp; <em>jumping</em> over #Hurdles"
        " in the &quot;park&quot; &lt;b&gt;fast&lt;/b&gt;"
    )
    assert "<script>" not in hit["snippet"] and "<em>Running</em>" in hit["snippet"]
    [hit] = api.get(POSTS, {"q": 'jumpimg "the park" #hurdles '}).json()["results"]
    assert "<em>jumping</em>" in hit["highlight"]  # a typo
    assert "<em>the &quot;park</em>" in hit["highlight"]  # a phrase, punctuation between its words included
    assert "<em>#Hurdles</em>" in hit["highlight"]
    assert "<b>" not in hit["highlight"] and "<em>fast" not in hit["highlight"]


def test_snippet_is_a_window_around_the_first_match(api, search_indexes) -> None:
    body = ("filler " * 60) + "needle <i>here</i> " + ("tail " * 60)
    index_posts(post(1, body))
    [hit] = api.get(POSTS, {"q": "needle "}).json()["results"]
    assert hit["snippet"].startswith("…") and hit["snippet"].endswith("…")
    assert "<em>needle</em> &lt;i&gt;here&lt;/i&gt;" in hit["snippet"]
    assert len(hit["snippet"].replace("<em>", "").replace("</em>", "")) < 260
    assert hit["highlight"].count("<em>") == 1 and len(hit["highlight"]) > len(body)


def test_scores_follow_the_documented_formula(search_indexes) -> None:
    """text * (1 + 0.5 log10(1 + engagement)) * (1 + 0.5 * 0.5^(age / 7d)), docs/search.md."""
    from socialapp.read.search import indexes
    from socialapp.read.search.client import get_client
    from socialapp.read.search.query import posts_query, ranked

    index_posts(
        post(1, "tea time", likes=9, at=NOW),  # 8 x 1.5 x 1.5
        post(2, "tea time", likes=99, at=NOW - timedelta(days=7)),  # 8 x 2 x 1.25
        post(3, "teas time", comments=5, at=NOW - timedelta(days=700)),  # 3 x (1 + 0.5 log10 11) x 1
    )
    body = ranked(posts_query(parse("tea "), author=None, since=None, until=None), origin=NOW)
    hits = get_client().search(index=indexes.read_alias("posts"), query=body)["hits"]["hits"]
    scores = {h["_id"]: h["_score"] for h in hits}
    assert scores["2"] == pytest.approx(20.0, rel=0.01)  # (BM25's tie-breaking share is below 1 %)
    assert scores["1"] == pytest.approx(18.0, rel=0.01)
    assert scores["3"] == pytest.approx(3 * 1.5207, rel=0.01)
