"""The relevance benchmark (bench/search_relevance.py) and its data: the metrics on rankings worked
out by hand, the labels of the generator on posts made by hand, the committed corpus and queries
being exactly what the generator makes, and both parts run at a tiny size against the real
Elasticsearch and read database (untimed: the figures' shape, both systems evaluated)."""

from __future__ import annotations

import json
import math
import random
from datetime import date
from typing import Any

import pytest

from bench import search_corpus
from bench.ranking import ndcg_at, recall_at
from bench.search_corpus import Vocabulary, phrase_grader, prefix_grader, seen, word_grader


# ------------------------------------------------------------------------------ metrics
def test_ndcg_is_one_for_the_ideal_ranking_and_zero_without_hits() -> None:
    grades = {"a": 2, "b": 1, "c": 1}
    assert ndcg_at(["a", "b", "c"], grades) == pytest.approx(1.0)
    assert ndcg_at(["a", "c", "b", "x"], grades) == pytest.approx(1.0)  # equal grades: either order
    assert ndcg_at(["x", "y"], grades) == 0.0
    assert ndcg_at([], grades) == 0.0
    assert math.isnan(ndcg_at(["a"], {}))


def test_ndcg_by_hand() -> None:
    # DCG = (2^1-1)/log2(2) + 0 + (2^2-1)/log2(4) = 1 + 1.5; ideal = 3/log2(2) + 1/log2(3)
    grades = {"a": 2, "b": 1}
    assert ndcg_at(["b", "x", "a"], grades) == pytest.approx(2.5 / (3 + 1 / math.log2(3)))
    # only the top k counts: the grade-2 hit at rank 3 is cut off at k=2
    assert ndcg_at(["b", "x", "a"], grades, k=2) == pytest.approx(1 / (3 + 1 / math.log2(3)))
    # a result listed twice counts once
    assert ndcg_at(["a", "a", "b"], grades) == pytest.approx(1.0)


def test_recall_is_over_what_fits_in_the_top_k() -> None:
    many = {str(i): 1 for i in range(12)}
    assert recall_at([str(i) for i in range(5)] + ["x"] * 5, many) == 0.5  # 5 / min(10, 12)
    assert recall_at([str(i) for i in range(10)], many) == 1.0
    assert recall_at(["a", "x", "b"], {"a": 2, "b": 1, "c": 1}) == pytest.approx(2 / 3)
    assert recall_at(["a", "b"], {"a": 2, "b": 1, "c": 1}, k=1) == 1.0  # 1 / min(1, 3)
    assert math.isnan(recall_at(["a"], {}))


# ------------------------------------------------------------------------------ labels
def _post(pid: int, body: str, lang: str = "en", **extra: Any) -> dict[str, Any]:
    return {"post_id": pid, "body": body, "true_language": lang, "author_username": "emma1",
            "created_at": "2025-04-02T10:00:00Z", "mentions": [], "hashtags": [], "visibility": "public",
            **extra}  # fmt: skip


def test_words_find_their_family_in_every_inflection_and_nothing_that_only_looks_alike() -> None:
    vocab = Vocabulary.build()
    posts = {
        1: _post(1, "Morning run done"),
        2: _post(2, "Two runners passed me"),
        3: _post(3, "He ran so fast #running"),
        4: _post(4, "The runway thing again"),  # a distractor: shares a prefix, not a word
        5: _post(5, "Er läuft jeden Tag", "de"),  # the same topic in another language: other words
        6: _post(6, "Des conseils pour courir ?", "fr"),
    }
    s = {pid: seen(p, vocab) for pid, p in posts.items()}
    grade = word_grader(vocab, "run")
    assert {pid: grade(x) for pid, x in s.items()} == {1: 2, 2: 1, 3: 1, 4: 0, 5: 0, 6: 0}
    typo = word_grader(vocab, "running")  # a typo query is labelled as the word meant
    assert {pid: typo(x) for pid, x in s.items()} == {1: 1, 2: 1, 3: 2, 4: 0, 5: 0, 6: 0}
    german = word_grader(vocab, "laufer")  # typed without the accent: folded
    assert german(s[5]) == 1 and german(s[1]) == 0
    prefix = prefix_grader(vocab, "runn")
    assert {pid: prefix(x) for pid, x in s.items()} == {1: 1, 2: 2, 3: 2, 4: 0, 5: 0, 6: 0}


def test_shared_words_are_relevant_in_every_language_that_has_them() -> None:
    vocab = Vocabulary.build()
    grade = word_grader(vocab, "marathon")
    assert grade(seen(_post(1, "Mein erster Marathon", "de"), vocab)) == 2
    assert grade(seen(_post(2, "Encore un marathons", "fr"), vocab)) == 1
    assert grade(seen(_post(3, "Mi primer maratón", "es"), vocab)) == 0  # another word (maraton)


def test_phrases_exact_then_inflected_in_order() -> None:
    vocab = Vocabulary.build()
    grade = phrase_grader([("morning",), ("run", "runs")])
    bodies = {"Loved the morning run today": 2, "Two morning runs done": 1, "A run this morning": 0}
    assert {b: grade(seen(_post(1, b), vocab)) for b in bodies} == bodies


def test_the_vocabulary_keeps_chatter_and_distractors_out_of_the_families() -> None:
    vocab = Vocabulary.build()
    for lang, forms in vocab.family_of.items():
        assert "runway" not in forms and "laufwerk" not in forms, lang
    assert vocab.targets("läufer") == {"de:running:laufen"}
    assert "plan" in vocab.other_words() and "running" not in vocab.other_words()


# ------------------------------------------------------------------------------ the committed data
def test_the_committed_corpus_and_queries_are_what_the_generator_makes() -> None:
    posts, doc = search_corpus.generate()
    assert search_corpus.CORPUS_FILE.read_bytes() == search_corpus.corpus_bytes(posts)
    assert search_corpus.QUERIES_FILE.read_text() == search_corpus.queries_text(doc)


def test_the_corpus_and_queries_have_the_promised_shape() -> None:
    posts, doc = search_corpus.load()
    facts = search_corpus.summary(posts, doc)
    assert facts["posts"] >= 10_000
    assert set(facts["languages"]) == {"en", "de", "fr", "es"} and min(facts["languages"].values()) >= 1000
    assert 0 < facts["language_given"] < facts["posts"] / 2
    assert facts["queries"] >= 100 and min(facts["queries_by_category"].values()) >= 15
    assert set(facts["queries_by_category"]) == set(search_corpus.CATEGORIES)
    assert min(facts[k] for k in ("with_link", "with_mention", "with_hashtag")) > 500
    assert facts["kinds"]["distractor"] > 0
    bodies = " ".join(p["body"] for p in posts)
    for form in ("runners", "running", "Läufer", "läuft", "coureurs", "corredores", "bibliothèque"):
        assert f" {form}" in bodies, form
    days = {p["created_at"][:10] for p in posts}
    assert len(days) > 300 and not days & {d.isoformat() for d in search_corpus.GAP_DAYS}
    ids = {str(p["post_id"]) for p in posts if p["visibility"] == "public"}
    for q in doc["queries"]:
        assert q["relevant"] and set(q["relevant"]) <= ids, q["id"]  # only public posts are relevant
        assert set(q["relevant"].values()) <= {1, 2}
    queries = {q["q"] for q in doc["queries"]}
    assert {"libary", "runing"} <= queries
    for op in ("from:", "before:", "after:", "during:", "has:link", "has:mention", "language:", " -"):
        assert any(op in q for q in queries), op
    assert any(q.startswith('"') for q in queries)


# ------------------------------------------------------------------------------ both parts, tiny
@pytest.mark.django_db(transaction=True, databases=["default", "read"])
def test_both_parts_run_both_systems_at_a_tiny_size(settings, tmp_path) -> None:
    from bench import search_relevance as bench

    settings.ELASTICSEARCH_INDEX_PREFIX = f"{settings.ELASTICSEARCH_INDEX_PREFIX}_benchrel"
    posts, doc = search_corpus.load()
    posts = posts[:300]
    kept = {str(p["post_id"]) for p in posts}
    queries = []
    for category in search_corpus.CATEGORIES:  # two queries a category, labels cut to the tiny corpus
        for q in doc["queries"]:
            relevant = {k: g for k, g in q["relevant"].items() if k in kept}
            if q["category"] == category and relevant and sum(x["category"] == category for x in queries) < 2:
                queries.append({**q, "relevant": relevant})
    assert {q["category"] for q in queries} == set(search_corpus.CATEGORIES)
    try:
        relevance = bench.relevance(posts, {**doc, "queries": queries})
        latency = bench.latency(300, samples=14, warmup=2)
        profile = bench.profile(300, samples=14)
    finally:
        bench.drop()

    assert relevance["corpus"]["posts"] == 300 and relevance["indexing"]["posts"] == 300
    for name in ("before", "after"):
        by_category = relevance["systems"][name]["by_category"]
        assert set(by_category) == {*search_corpus.CATEGORIES, "overall"}
        assert by_category["overall"]["queries"] == len(queries)
        for figures in by_category.values():
            assert 0 <= figures["ndcg@10"] <= 1 and 0 <= figures["recall@10"] <= 1
    for row in relevance["queries"]:
        assert {"before", "after"} <= set(row) and row["relevant"] > 0
    detection = relevance["language_detection"]
    assert detection["posts_without_given_language"] > 0 and 0 <= detection["indexed_in_true_language"] <= 1
    # the old search knew no operators and no fuzziness: a typo finds nothing there
    typos = [r for r in relevance["queries"] if r["category"] == "typos"]
    assert all(r["before"]["returned"] == 0 for r in typos)

    posts_search = latency["posts_search"]
    for name in ("before", "after"):
        assert posts_search[name]["samples"] == 14
        assert posts_search[name]["p50_ms"] > 0 and posts_search[name]["p99_ms"] >= posts_search[name]["p50_ms"]
    assert set(posts_search["by_kind"]) <= set(latency["query_mix"])
    assert {"ratio_p50", "ratio_p99", "kinds_both_answer"} <= set(posts_search)
    assert latency["users"]["samples"] > 0 and latency["hashtags"]["samples"] > 0
    assert set(latency["meets_targets"]) == {"p50", "p99", "vs_baseline"}

    assert profile["samples"] > 0 and set(profile["p50_overall"]) == {
        "selector_ms", "es_call_ms", "took_ms", "took_no_ranking_ms", "took_no_typos_ms",
        "took_no_any_language_stems_ms", "took_baseline_ms",
    }  # fmt: skip

    bench.write_results("relevance", relevance, results=tmp_path)
    written = bench.write_results("latency", latency, results=tmp_path)
    assert {"relevance", "latency"} <= set(written)
    assert json.loads((tmp_path / "search_relevance.json").read_text())["relevance"]["systems"]
    assert (tmp_path / "search_relevance.png").stat().st_size > 10_000


def test_dates_move_by_whole_days_with_the_operators() -> None:
    from bench.search_relevance import shift_days, shifted_post, shifted_query

    days = shift_days(date(2026, 12, 31))
    assert days == 365
    assert shifted_post({"created_at": "2025-03-02T14:03:11Z"}, days)["created_at"] == "2026-03-02T14:03:11Z"
    assert shifted_query("before:2025-03-01 run", days) == "before:2026-03-01 run"
    assert shifted_query("after:2025-12-31 -x during:2025-01-01", 1) == "after:2026-01-01 -x during:2025-01-02"
    assert shifted_query("runners", days) == "runners"


def test_latency_queries_cover_the_mix() -> None:
    from bench.search_relevance import latency_queries

    authors = search_corpus.make_authors(random.Random(1), 60)[0]
    pool = latency_queries(random.Random(2), authors, 700)
    kinds = {kind for kind, _q, _sort in pool}
    assert kinds == {"word", "two_words", "typo", "prefix", "phrase", "operator", "recent"}
    assert {sort for kind, _q, sort in pool if kind == "recent"} == {"recent"}
    assert any(q.startswith("from:") for _k, q, _s in pool) and any('"' in q for _k, q, _s in pool)
    assert date(2025, 1, 1) < search_corpus.GAP_DAYS[0]
