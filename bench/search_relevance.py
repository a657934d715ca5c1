"""Search relevance and latency, before and after issue 18, in one run.

    python -m bench.search_relevance              # both parts (part of `make bench`)
    python -m bench.search_relevance relevance    # nDCG@10 and recall@10 on the labelled corpus
    python -m bench.search_relevance latency      # p50/p99 at BENCH_SEARCH_RELEVANCE_POSTS posts

Two systems side by side, on the same Elasticsearch, in the same process:

- "before": posts search as it was at commit 274447d, frozen in bench/search_baseline.py: the
  documents of that day (the body folded, nothing else derived) and its query builder and
  selector (every word ANDed on `body_folded`, BM25 alone; operators are searched as words);
- "after": the real code, whatever it is when this runs: documents from
  `socialapp.read.search.documents.post_document`, queries through `selectors.search_posts`
  (`query.parse` and `query.posts_query` behind it).

Relevance: bench/data/search_relevance/ holds a corpus of 12,000 posts in English, German,
French and Spanish and 140 labelled queries in six categories, made by bench/search_corpus.py
from a seed (labels from the generator's ground truth, never from a search engine). Each system
indexes the corpus into an index of its own and answers every query (anonymous, first page of
10, default ranking); nDCG@10 and recall@10 (bench/ranking.py) are averaged per category and
overall.

Latency: BENCH_SEARCH_RELEVANCE_POSTS posts (default 1,000,000) made by the same generator (same
vocabulary, languages, inflections) are indexed as the new documents by raw parallel bulk, with
their authors in the search state (the selectors' re-check reads it). After a warm-up, a mix of
queries (plain words, two words, typos, prefixes, phrases, operators, sort=recent) is run
BENCH_SEARCH_RELEVANCE_SAMPLES times through each system on that one index, alternating which
goes first; users and hashtags searches through the new selectors too. Targets: new p50 ≤ 15 ms,
p99 ≤ 60 ms, and within 20 % of the baseline.

Knobs: BENCH_SEARCH_RELEVANCE_POSTS (1000000), BENCH_SEARCH_RELEVANCE_SAMPLES (3500 per system),
BENCH_SEARCH_RELEVANCE_WARMUP (300 per system), BENCH_SEARCH_RELEVANCE_PREFIX (the index prefix,
`bench_relevance_socialapp`; never the development or test one). Databases `benchrel_*`.

Figures: bench/results/search_relevance.json (each part replaces its own section), chart
bench/results/search_relevance.png.
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialapp.settings.dev")
django.setup()

from django.conf import settings  # noqa: E402
from elasticsearch import helpers  # noqa: E402

from bench import search_baseline, search_corpus  # noqa: E402
from bench import search_vocab as V  # noqa: E402
from bench.common import sql, use_own_databases  # noqa: E402
from bench.measure import quantiles_ms, stopwatch  # noqa: E402
from bench.ranking import ndcg_at, recall_at  # noqa: E402
from bench.report import RESULTS  # noqa: E402
from bench.seed import copy_rows  # noqa: E402
from socialapp.common.errors import ValidationFailed  # noqa: E402

N_POSTS = int(os.environ.get("BENCH_SEARCH_RELEVANCE_POSTS", "1000000"))
N_SAMPLES = int(os.environ.get("BENCH_SEARCH_RELEVANCE_SAMPLES", "3500"))
N_WARMUP = int(os.environ.get("BENCH_SEARCH_RELEVANCE_WARMUP", "300"))
PREFIX = os.environ.get("BENCH_SEARCH_RELEVANCE_PREFIX", "bench_relevance_socialapp")
K = 10
LATENCY_SEED = 1018
TARGETS = {"p50_ms": 15.0, "p99_ms": 60.0, "max_ratio_to_baseline": 1.2}
SYSTEMS = ("before", "after")
COMPARABLE_KINDS = ("word", "two_words", "phrase", "recent")  # the old search answers these too
NAME = "search_relevance"


# ------------------------------------------------------------------------------ environment
def use_bench_environment() -> None:
    """Databases, index prefix of its own: never the development or test data."""
    use_own_databases("benchrel")
    settings.ELASTICSEARCH_INDEX_PREFIX = PREFIX


def baseline_index() -> str:
    from socialapp.read.search.client import index_name

    return index_name("baseline-posts")


def reset() -> None:
    """Empty indexes (the live kinds with today's mappings, and the baseline's) and state."""
    from socialapp.read.search import indexes
    from socialapp.read.search.client import get_client

    if not settings.ELASTICSEARCH_INDEX_PREFIX.startswith(("bench", "test_")):
        raise RuntimeError(f"refusing to drop the indexes of prefix {settings.ELASTICSEARCH_INDEX_PREFIX!r}")
    indexes.drop_all()
    indexes.ensure_indexes()
    get_client().indices.create(
        index=baseline_index(), settings=indexes.index_settings(), mappings=search_baseline.POSTS_MAPPING
    )
    sql("read", "TRUNCATE search_post, search_user, search_hashtag, search_pending")


def drop() -> None:
    from socialapp.read.search import indexes

    indexes.drop_all()
    sql("read", "TRUNCATE search_post, search_user, search_hashtag, search_pending")


# ------------------------------------------------------------------------------ dates
# The corpus spans 2025; the new ranking weighs recency against the clock of the search, so the
# posts are moved, by whole days, to end today (and the dates of `before:`/`after:`/`during:`
# with them: whole days keep every label true). An instance's posts are of the past year too.
_DATE_OPERATOR = re.compile(r"\b(before|after|during):(\d{4}-\d{2}-\d{2})\b")


def shift_days(today: date | None = None) -> int:
    """The whole days that move the corpus's last day to `today` (UTC)."""
    return ((today or datetime.now(UTC).date()) - date(search_corpus.YEAR, 12, 31)).days


def shifted_post(post: dict[str, Any], days: int) -> dict[str, Any]:
    at = datetime.fromisoformat(post["created_at"].replace("Z", "+00:00")) + timedelta(days=days)
    return {**post, "created_at": at.isoformat().replace("+00:00", "Z")}


def shifted_query(q: str, days: int) -> str:
    return _DATE_OPERATOR.sub(
        lambda m: f"{m.group(1)}:{(date.fromisoformat(m.group(2)) + timedelta(days=days)).isoformat()}", q
    )


# ------------------------------------------------------------------------------ documents and seeding
def new_document(post: dict[str, Any]) -> dict[str, Any]:
    """The new system's document: the real builder."""
    from socialapp.read.search.documents import post_document

    return post_document(
        post_id=post["post_id"],
        author_id=post["author_id"],
        author_username=post["author_username"],
        author_display_name=post["author_display_name"],
        body=post["body"],
        hashtags=post["hashtags"],
        mentions=post["mentions"],
        created_at=post["created_at"],
        like_count=post["like_count"],
        comment_count=post["comment_count"],
        visibility=post["visibility"],
        language=post["language"],
        sensitive=post["sensitive"],
    )


def old_document(post: dict[str, Any]) -> dict[str, Any]:
    return search_baseline.post_source(
        post_id=post["post_id"],
        author_id=post["author_id"],
        author_username=post["author_username"],
        author_display_name=post["author_display_name"],
        body=post["body"],
        hashtags=post["hashtags"],
        mentions=post["mentions"],
        created_at=post["created_at"],
        like_count=post["like_count"],
        visibility=post["visibility"],
    )


def user_source(user_id: int, username: str, display_name: str) -> dict[str, Any]:
    try:
        from socialapp.read.search.documents import user_document
    except ImportError:  # before documents.py had it: the shape of sync._user_source
        from socialapp.read.search.folding import fold

        return {"hidden": False, "user_id": user_id, "username": username, "username_folded": fold(username),
                "display_name": display_name, "display_name_folded": fold(display_name)}  # fmt: skip
    return user_document(user_id=user_id, username=username, display_name=display_name)


def hashtag_source(tag: str, post_count: int, last_used_at: str) -> dict[str, Any]:
    try:
        from socialapp.read.search.documents import hashtag_document
    except ImportError:
        return {"hidden": False, "tag": tag, "post_count": post_count, "last_used_at": last_used_at}
    return hashtag_document(tag=tag, post_count=post_count, last_used_at=last_used_at)


def copy_state(table: str, rows: list[dict[str, Any]]) -> None:
    """COPY rows into a search state table, the columns it has (a table that gained a NOT NULL
    column without a database default that we don't know of is reported, not guessed)."""
    if not rows:
        return
    columns = sql(
        "read",
        "SELECT column_name, is_nullable, column_default FROM information_schema.columns"
        " WHERE table_schema = 'public' AND table_name = %s",
        [table],
    )
    have = [c for c, _n, _d in columns if c in rows[0]]
    unknown = [c for c, nullable, default in columns if c not in rows[0] and nullable == "NO" and default is None]
    if unknown:
        raise RuntimeError(f"{table}: no value for {unknown} (bench/search_relevance.py copy_state)")
    copy_rows("read", table, have, ([r[c] for c in have] for r in rows))


def state_row(post: dict[str, Any]) -> dict[str, Any]:
    """A search_post row as the projector leaves it once pushed (a superset of the columns)."""
    return {**{k: post[k] for k in ("post_id", "author_id", "author_username", "author_display_name", "body",
                                    "hashtags", "mentions", "like_count", "comment_count", "visibility",
                                    "language", "sensitive")},
            "created_at": post["created_at"], "edited_at": None, "version": 1, "deleted": False,
            "author_deactivated": False, "doc_version": 1, "is_reply": False}  # fmt: skip


def seed(posts: Iterable[dict[str, Any]], *, baseline: bool, chunk: int = 20_000) -> dict[str, Any]:
    """Index `posts` as the new documents into the live posts index (and, with `baseline`, as the
    old ones into the baseline index) by raw parallel bulk, refresh off meanwhile; their state
    rows, authors and hashtags too. Returns the counts and the rates."""
    from socialapp.read.search import indexes
    from socialapp.read.search.client import get_client

    # Bulk requests, refreshes and the force merge of a million documents outlast the product's
    # request timeout (ELASTICSEARCH_TIMEOUT, a few seconds): this client waits.
    es = get_client().options(request_timeout=1800)
    live = indexes.write_alias("posts")
    targets = [live, baseline_index()] if baseline else [live]
    for index in targets:
        es.indices.put_settings(index=index, settings={"refresh_interval": "-1"})
    authors: dict[int, tuple[str, str]] = {}
    tags: dict[str, list[Any]] = {}
    n = 0
    build_s = bulk_s = state_s = 0.0
    for rows in _chunks(posts, chunk):
        with stopwatch() as timer:
            actions = [{"_index": live, "_id": str(p["post_id"]), "_source": new_document(p)} for p in rows]
            if baseline:
                actions += [{"_index": targets[1], "_id": str(p["post_id"]), "_source": old_document(p)} for p in rows]
        build_s += timer.seconds
        with stopwatch() as timer:
            for ok, item in helpers.parallel_bulk(es, actions, chunk_size=2000, thread_count=2, raise_on_error=False):
                if not ok:
                    raise RuntimeError(f"bulk refused a document: {item}")
        bulk_s += timer.seconds
        with stopwatch() as timer:
            copy_state("search_post", [state_row(p) for p in rows])
        state_s += timer.seconds
        for p in rows:
            authors[p["author_id"]] = (p["author_username"], p["author_display_name"])
            if p["visibility"] == "public":
                for t in p["hashtags"]:
                    seen = tags.setdefault(t, [0, p["created_at"]])
                    seen[0] += 1
                    seen[1] = max(seen[1], p["created_at"])
        n += len(rows)
        if n % 200_000 == 0:
            print(f"  {n} posts indexed", flush=True)
    copy_state("search_user", [{"user_id": u, "username": name, "display_name": display, "version": 1,
                                "deactivated": False, "suspended": False, "suspension_version": 0, "doc_version": 1}
                               for u, (name, display) in authors.items()])  # fmt: skip
    copy_state("search_hashtag", [{"tag": t, "post_count": c, "last_used_at": at, "doc_version": 1}
                                  for t, (c, at) in tags.items()])  # fmt: skip
    sql("read", "ANALYZE search_post")
    side = [{"_index": indexes.write_alias("users"), "_id": str(u), "_source": user_source(u, name, display)}
            for u, (name, display) in authors.items()]  # fmt: skip
    side += [{"_index": indexes.write_alias("hashtags"), "_id": t, "_source": hashtag_source(t, c, at)}
             for t, (c, at) in tags.items()]  # fmt: skip
    helpers.bulk(es, side, chunk_size=2000)
    for index in targets:
        es.indices.put_settings(index=index, settings={"refresh_interval": settings.SEARCH_REFRESH_INTERVAL})
        es.indices.refresh(index=index)
        count = es.count(index=index)["count"]
        if count < n:
            raise RuntimeError(f"{index}: {count} of {n} posts indexed")
        es.indices.forcemerge(index=index, max_num_segments=4)
    es.indices.refresh(index=",".join(indexes.read_alias(k) for k in indexes.KINDS))
    return {
        "posts": n,
        "authors": len(authors),
        "hashtags": len(tags),
        "documents_built_per_s": round(n * len(targets) / build_s) if build_s else None,
        "raw_parallel_bulk_docs_per_s": round(n * len(targets) / bulk_s) if bulk_s else None,
        "state_copy_rows_per_s": round(n / state_s) if state_s else None,
    }


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


# ------------------------------------------------------------------------------ the two systems
def search_before(q: str, *, index: str | None = None, sort: str = "relevance", limit: int = K) -> list[str]:
    page = search_baseline.search_posts(index=index or baseline_index(), q=q, sort=sort, limit=limit)
    return [r["id"] for r in page.results]


def search_after(q: str, *, sort: str = "relevance", limit: int = K) -> list[str]:
    """As the posts search view calls it: the last word of a `q` that does not end with a space
    may be a prefix (query.open_ended)."""
    from socialapp.read.search import query as search_query
    from socialapp.read.search.selectors import search_posts

    kwargs: dict[str, Any] = {}
    if hasattr(search_query, "open_ended"):
        kwargs["open_end"] = search_query.open_ended(q)
    return [r["id"] for r in search_posts(q=q, sort=sort, limit=limit, **kwargs).results]


def run(system: Callable[[str], list[str]], q: str) -> tuple[list[str], str | None]:
    """The ranking, or none and the reason when the system refuses the query (a 400)."""
    try:
        return system(q), None
    except ValidationFailed as exc:
        return [], f"400: {getattr(exc, 'detail', exc)}"


# ------------------------------------------------------------------------------ relevance
def evaluate(queries: list[dict[str, Any]], systems: dict[str, Callable[[str], list[str]]]) -> dict[str, Any]:
    """Every query through every system: per-query figures, means per category and overall."""
    per_query = []
    for query in queries:
        row: dict[str, Any] = {"id": query["id"], "q": query["q"], "category": query["category"],
                               "relevant": len(query["relevant"])}  # fmt: skip
        for name, system in systems.items():
            ranking, error = run(system, query["q"])
            row[name] = {"ndcg@10": round(ndcg_at(ranking, query["relevant"], K), 4),
                         "recall@10": round(recall_at(ranking, query["relevant"], K), 4),
                         "returned": len(ranking)}  # fmt: skip
            if error:
                row[name]["error"] = error
        per_query.append(row)
    summary: dict[str, Any] = {}
    for name in systems:
        by_category = {}
        for category in [*search_corpus.CATEGORIES, "overall"]:
            rows = [r for r in per_query if category in ("overall", r["category"])]
            if rows:
                by_category[category] = {
                    "queries": len(rows),
                    "ndcg@10": round(statistics.fmean(r[name]["ndcg@10"] for r in rows), 4),
                    "recall@10": round(statistics.fmean(r[name]["recall@10"] for r in rows), 4),
                }
        errors = sum(1 for r in per_query if "error" in r[name])
        summary[name] = {"by_category": by_category, "refused_queries": errors}
    return {"systems": summary, "queries": per_query}


def detection(posts: list[dict[str, Any]]) -> dict[str, Any]:
    """How often the language a document is indexed in (documents.post_document: detected by
    lingua, else the default) is the post's true language, over the posts whose client gave
    none; and what building a document costs, cold (each body built once)."""
    from socialapp.read.search import documents

    documents.clear_cache()
    unlabelled = [p for p in posts if not p["language"]]
    started = time.perf_counter()
    built = [new_document(p) for p in unlabelled]
    seconds = time.perf_counter() - started
    right = sum(d["language"] == p["true_language"] for d, p in zip(built, unlabelled, strict=True))
    by_language: dict[str, list[int]] = {}
    for d, p in zip(built, unlabelled, strict=True):
        by_language.setdefault(p["true_language"], [0, 0])[d["language"] == p["true_language"]] += 1
    return {
        "posts_without_given_language": len(unlabelled),
        "indexed_in_true_language": round(right / max(1, len(unlabelled)), 4),
        "by_true_language": {k: round(v[1] / max(1, sum(v)), 4) for k, v in sorted(by_language.items())},
        "document_build_us_cold": round(seconds / max(1, len(unlabelled)) * 1e6, 1),
        "languages_configured": list(settings.SEARCH_LANGUAGES),
        "min_confidence": settings.SEARCH_LANGUAGE_MIN_CONFIDENCE,
    }


def relevance(posts: list[dict[str, Any]], doc: dict[str, Any]) -> dict[str, Any]:
    """Index the corpus for both systems and evaluate the labelled queries."""
    reset()
    days = shift_days()
    print(f"indexing {len(posts)} posts for both systems (dates moved by {days} days) …", flush=True)
    seeded = seed((shifted_post(p, days) for p in posts), baseline=True)
    queries = [{**q, "q": shifted_query(q["q"], days)} for q in doc["queries"]]
    print(f"evaluating {len(queries)} queries …", flush=True)
    result = evaluate(queries, {"before": search_before, "after": search_after})
    return {
        "corpus": search_corpus.summary(posts, doc),
        "dates_moved_by_days": days,
        "indexing": seeded,
        "language_detection": detection(posts),
        "metrics": {
            "ndcg@10": "DCG = sum over ranks i=1..10 of (2^grade - 1) / log2(i + 1), divided by the ideal DCG",
            "recall@10": "|relevant ∩ top 10| / min(10, |relevant|), relevant = grade >= 1",
            "averaging": "mean over the queries of a category (overall: over all queries)",
        },
        **result,
    }


# ------------------------------------------------------------------------------ latency
def latency_queries(rng: random.Random, authors: list[search_corpus.Author], n: int) -> list[tuple[str, str, str]]:
    """`n` (kind, q, sort) drawn from the corpus vocabulary: what people type, in a fixed mix."""
    vocab = search_corpus.Vocabulary.build()
    fams = sorted(vocab.forms)
    avoid = vocab.all_forms()
    days = search_corpus.posting_days()

    def lemma(lang: str | None = None) -> tuple[str, str]:
        fid = rng.choice([f for f in fams if lang is None or f.startswith(f"{lang}:")])
        return fid, vocab.forms[fid][0]

    def kind_word() -> str:
        fid = rng.choice(fams)
        return rng.choice(vocab.forms[fid])

    def kind_two() -> str:
        fid, first = lemma()
        lang, topic = fid.split(":")[:2]
        others = [f for f in fams if f.startswith(f"{lang}:{topic}:") and f != fid]
        return f"{first} {vocab.forms[rng.choice(others)][0]}"

    def kind_typo() -> str:
        for _ in range(100):
            w = search_corpus.fold(kind_word())
            if len(w) >= 5 and (wrong := search_corpus.misspell(rng, w, 1, avoid)):
                return wrong
        return "runing"

    def kind_prefix() -> str:
        for _ in range(100):
            w = search_corpus.fold(kind_word())
            if len(w) >= 5:
                pre = w[: rng.randint(3, len(w) - 1)]
                return pre if rng.random() < 0.7 else f"{lemma()[1]} {pre}"
        return "runn"

    def kind_phrase() -> str:
        slots = rng.choice(V.PHRASES[rng.choice(list(V.PHRASES))][rng.choice(V.LANGUAGES)])
        return '"' + " ".join(s[0] for s in slots) + '"'

    def kind_operator() -> str:
        fid, word = lemma()
        op = rng.choice(["from", "language", "has:link", "has:mention", "before", "after", "during", "exclude"])
        if op == "from":
            return f"from:{rng.choice(authors).username} {word}"
        if op == "language":
            return f"language:{rng.choice(V.LANGUAGES)} {word}"
        if op in ("before", "after"):
            return f"{op}:{rng.choice(search_corpus.GAP_DAYS).isoformat()} {word}"
        if op == "during":
            return f"during:{rng.choice(days).isoformat()} {word}"
        if op == "exclude":
            return f"{word} -{lemma(fid.split(':')[0])[1]}"
        return f"{op} {word}"

    makers: dict[str, Callable[[], str]] = {
        "word": kind_word, "two_words": kind_two, "typo": kind_typo, "prefix": kind_prefix,
        "phrase": kind_phrase, "operator": kind_operator, "recent": kind_word,
    }  # fmt: skip
    kinds = list(makers)
    out = []
    for i in range(n):
        kind = kinds[i % len(kinds)]
        out.append((kind, makers[kind](), "recent" if kind == "recent" else "relevance"))
    rng.shuffle(out)
    return out


def time_ms(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def summarise(samples: list[float]) -> dict[str, Any]:
    return {"samples": len(samples), **quantiles_ms(samples, 0.5, 0.99), "mean_ms": round(statistics.fmean(samples), 2)}


def latency(n_posts: int, samples: int, warmup: int) -> dict[str, Any]:
    """Seed `n_posts` new documents, then `samples` timed posts searches per system (the same
    query for both, alternating which goes first), and users and hashtags searches."""
    from socialapp.read.search import indexes
    from socialapp.read.search.selectors import search_hashtags, search_users

    reset()
    days = shift_days()
    print(f"seeding {n_posts} posts (new documents, raw parallel bulk) …", flush=True)
    with stopwatch() as timer:
        made = search_corpus.generate_posts(LATENCY_SEED, n_posts)
        seeded = seed((shifted_post(p, days) for p in made), baseline=False)
    seeded["seconds"] = round(timer.seconds, 1)
    print(f"seeded {json.dumps(seeded)}", flush=True)
    rng = random.Random(LATENCY_SEED)
    authors = search_corpus.make_authors(random.Random(LATENCY_SEED), max(50, n_posts // 30))[0]
    pool = [(kind, shifted_query(q, days), sort)
            for kind, q, sort in latency_queries(rng, authors, max(700, min(5000, samples)))]  # fmt: skip
    live = indexes.read_alias("posts")
    systems: dict[str, Callable[[str, str], object]] = {
        "before": lambda q, sort: search_before(q, index=live, sort=sort),
        "after": lambda q, sort: search_after(q, sort=sort),
    }
    refused: dict[str, int] = dict.fromkeys(SYSTEMS, 0)

    def call(name: str, q: str, sort: str) -> None:
        try:
            systems[name](q, sort)
        except ValidationFailed:
            refused[name] += 1

    for i in range(warmup):
        kind, q, sort = pool[i % len(pool)]
        for name in SYSTEMS:
            call(name, q, sort)
    refused = dict.fromkeys(SYSTEMS, 0)
    by_kind: dict[str, dict[str, list[float]]] = {}
    overall: dict[str, list[float]] = {name: [] for name in SYSTEMS}
    for i in range(samples):
        kind, q, sort = rng.choice(pool)
        for name in SYSTEMS if i % 2 == 0 else reversed(SYSTEMS):
            ms = time_ms(lambda name=name, q=q, sort=sort: call(name, q, sort))
            overall[name].append(ms)
            by_kind.setdefault(kind, {s: [] for s in SYSTEMS})[name].append(ms)
    posts = {name: summarise(overall[name]) for name in SYSTEMS}
    ratio_p50 = posts["after"]["p50_ms"] / posts["before"]["p50_ms"]
    ratio_p99 = posts["after"]["p99_ms"] / posts["before"]["p99_ms"]
    # The old search finds nothing for typos, operators and most prefixes (nothing to fetch,
    # highlight or re-check), so the whole mix flatters it; these kinds both answer alike.
    alike = {name: summarise([ms for k in COMPARABLE_KINDS for ms in by_kind.get(k, {}).get(name, [])] or [math.nan])
             for name in SYSTEMS}  # fmt: skip

    names = [a.username for a in authors[:2000]]
    tags = sorted({t.lower() for by_lang in V.HASHTAGS.values() for ts in by_lang.values() for t in ts})
    side_queries = {
        "users": lambda: search_users(q=rng.choice(names)[: rng.randint(3, 8)]),
        "hashtags": lambda: search_hashtags(q=rng.choice(tags)[: rng.randint(2, 6)]),
    }
    side = {}
    for name, query in side_queries.items():
        for _ in range(max(1, warmup // 4)):
            query()
        side[name] = summarise([time_ms(query) for _ in range(max(1, samples // 4))])
    return {
        "posts": n_posts,
        "seed": seeded,
        "query_mix": sorted({kind for kind, _q, _s in pool}),
        "warmup_per_system": warmup,
        "posts_search": {
            **posts,
            "ratio_p50": round(ratio_p50, 3),
            "ratio_p99": round(ratio_p99, 3),
            "refused": refused,
            "kinds_both_answer": {
                "kinds": list(COMPARABLE_KINDS),
                **alike,
                "ratio_p50": round(alike["after"]["p50_ms"] / alike["before"]["p50_ms"], 3),
                "ratio_p99": round(alike["after"]["p99_ms"] / alike["before"]["p99_ms"], 3),
            },
            "by_kind": {kind: {name: summarise(v[name]) for name in SYSTEMS} for kind, v in sorted(by_kind.items())},
        },
        "users": side["users"],
        "hashtags": side["hashtags"],
        "targets": TARGETS,
        "meets_targets": {
            "p50": posts["after"]["p50_ms"] <= TARGETS["p50_ms"],
            "p99": posts["after"]["p99_ms"] <= TARGETS["p99_ms"],
            "vs_baseline": max(ratio_p50, ratio_p99) <= TARGETS["max_ratio_to_baseline"],
        },
    }


# ------------------------------------------------------------------------------ profile
def _without(query: dict[str, Any], drop: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """A copy of `query` whose per-word dis_max lists lose the clauses `drop` picks."""
    copy = json.loads(json.dumps(query))

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "dis_max" in node:
                node["dis_max"]["queries"] = [c for c in node["dis_max"]["queries"] if not drop(c)]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(copy)
    return copy


def profile(n_posts: int, samples: int) -> dict[str, Any]:
    """Where a posts search's time goes: the selector in process, its Elasticsearch call, and
    Elasticsearch's own `took` for the new query, the same without the ranking functions, without
    typo clauses, without the any-language stem clause, and for the baseline query (ids only),
    per kind of query, on a seeded index of `n_posts`."""
    from socialapp.read.search import indexes, selectors
    from socialapp.read.search import query as search_query
    from socialapp.read.search.client import get_client

    reset()
    days = shift_days()
    seeded = seed((shifted_post(p, days) for p in search_corpus.generate_posts(LATENCY_SEED, n_posts)), baseline=False)
    es, live = get_client(), indexes.read_alias("posts")
    rng = random.Random(LATENCY_SEED)
    authors = search_corpus.make_authors(random.Random(LATENCY_SEED), max(50, n_posts // 30))[0]
    pool = [(kind, shifted_query(q, days), sort) for kind, q, sort in latency_queries(rng, authors, samples + 300)]
    es_calls: list[float] = []
    real_search = selectors._search

    def timed_search(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return real_search(*args, **kwargs)
        finally:
            es_calls.append((time.perf_counter() - started) * 1000)

    def took(query: dict[str, Any], order: list[Any]) -> int:
        body = {"query": query, "size": K, "sort": order, "track_total_hits": False, "_source": False}
        return es.search(index=live, **body)["took"]

    is_fuzzy = lambda clause: "fuzziness" in json.dumps(clause)  # noqa: E731
    is_any = lambda clause: clause.get("constant_score", {}).get("boost") == search_query.STEM_ANY  # noqa: E731
    names = ("selector_ms", "es_call_ms", "took_ms", "took_no_ranking_ms", "took_no_typos_ms",
             "took_no_any_language_stems_ms", "took_baseline_ms")  # fmt: skip
    figures: dict[str, dict[str, list[float]]] = {}
    selectors._search = timed_search
    try:
        for i, (kind, q, sort) in enumerate(pool):
            es_calls.clear()
            started = time.perf_counter()
            try:
                search_after(q, sort=sort)
            except ValidationFailed:
                continue
            selector_ms = (time.perf_counter() - started) * 1000
            parsed = search_query.parse(q, open_end=search_query.open_ended(q))
            text = search_query.posts_query(parsed, author=None, since=None, until=None)
            by_score = sort != "recent" and parsed.has_text
            order = (
                [{"_score": "desc"}, {"post_id": "desc"}] if by_score else [{"created_at": "desc"}, {"post_id": "desc"}]
            )
            full = search_query.ranked(text, origin=datetime.now(UTC)) if by_score else text
            old = search_baseline.parse(q)
            old_query = search_baseline.posts_query(old, author=None, since=None, until=None)
            old_order = order if old.has_text or not by_score else [{"created_at": "desc"}, {"post_id": "desc"}]
            row = (selector_ms, sum(es_calls), took(full, order), took(text, order),
                   took(_without(text, is_fuzzy), order), took(_without(text, is_any), order),
                   took(old_query, old_order))  # fmt: skip
            if i < 300:
                continue  # warm-up
            bucket = figures.setdefault(kind, {name: [] for name in names})
            for name, value in zip(names, row, strict=True):
                bucket[name].append(float(value))
    finally:
        selectors._search = real_search
    p50 = lambda values: round(statistics.median(values), 2)  # noqa: E731
    return {
        "posts": n_posts,
        "seed": seeded,
        "samples": sum(len(b["took_ms"]) for b in figures.values()),
        "p50_by_kind": {kind: {name: p50(values) for name, values in b.items()} for kind, b in sorted(figures.items())},
        "p50_overall": {name: p50([v for b in figures.values() for v in b[name]]) for name in names},
    }


# ------------------------------------------------------------------------------ results
def write_results(section: str, figures: dict[str, Any], results: Path = RESULTS) -> dict[str, Any]:
    """Replace one section of search_relevance.json (the other part's figures stay) and redraw."""
    results.mkdir(parents=True, exist_ok=True)
    path = results / f"{NAME}.json"
    current = json.loads(path.read_text()) if path.exists() else {}
    current.update({"benchmark": NAME, "cpus": os.cpu_count()})
    current[section] = {"at": datetime.now(UTC).isoformat(), **figures}
    current.setdefault("notes", "one run per part; 2-core machine shared with other work unless said otherwise")
    path.write_text(json.dumps(current, indent=2, ensure_ascii=False) + "\n")
    chart(current, results / f"{NAME}.png")
    return current


def chart(result: dict[str, Any], path: Path) -> None:
    """nDCG@10 and recall@10 per category (before/after bars), and posts search p50/p99."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(17, 4.5), gridspec_kw={"width_ratios": [3, 3, 2]})
    colours = {"before": "#9e9e9e", "after": "#1f77b4"}
    rel = result.get("relevance")
    for ax, metric in zip(axes[:2], ("ndcg@10", "recall@10"), strict=True):
        ax.set_title(f"{metric} by query category")
        if not rel:
            ax.text(0.5, 0.5, "not measured", ha="center", va="center")
            continue
        cats = list(rel["systems"]["before"]["by_category"])
        width = 0.38
        for j, name in enumerate(SYSTEMS):
            values = [rel["systems"][name]["by_category"].get(c, {}).get(metric, math.nan) for c in cats]
            xs = [i + (j - 0.5) * width for i in range(len(cats))]
            bars = ax.bar(xs, values, width, label=name, color=colours[name])
            ax.bar_label(bars, fmt="%.2f", fontsize=7)
        ax.set_xticks(range(len(cats)), cats, rotation=25, ha="right")
        ax.set_ylim(0, 1.18)
        ax.legend(loc="upper center", ncol=2, fontsize=8)
    ax = axes[2]
    lat = result.get("latency")
    if lat:
        ax.set_title(f"posts search ms at {lat['posts']:,} posts")
        stats = ("p50_ms", "p99_ms")
        for j, name in enumerate(SYSTEMS):
            values = [lat["posts_search"][name][s] for s in stats]
            bars = ax.bar([i + (j - 0.5) * 0.38 for i in range(2)], values, 0.38, label=name, color=colours[name])
            ax.bar_label(bars, fmt="%.1f", fontsize=8)
        for i, s in enumerate(stats):
            ax.hlines(TARGETS[s], i - 0.45, i + 0.45, colors="red", linestyles="dashed")
        ax.set_xticks(range(2), ["p50", "p99"])
        ax.set_ylim(0, max(TARGETS["p99_ms"], *(lat["posts_search"][n]["p99_ms"] for n in SYSTEMS)) * 1.2)
        ax.legend(loc="upper left", fontsize=8, title="targets dashed", title_fontsize=8)
    else:
        ax.set_title("posts search latency")
        ax.text(0.5, 0.5, "not measured", ha="center", va="center")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


# ------------------------------------------------------------------------------ the benchmark
def main_relevance() -> dict[str, Any]:
    use_bench_environment()
    posts, doc = search_corpus.load()
    with stopwatch() as timer:
        figures = relevance(posts, doc)
    figures["seconds"] = round(timer.seconds, 1)
    for name in SYSTEMS:
        print(f"{name:7} {json.dumps(figures['systems'][name]['by_category'])}", flush=True)
    drop()
    return write_results("relevance", figures)


def main_latency() -> dict[str, Any]:
    use_bench_environment()
    figures = latency(N_POSTS, N_SAMPLES, N_WARMUP)
    print(f"latency {json.dumps(figures['posts_search'])}", flush=True)
    drop()
    return write_results("latency", figures)


def main_profile() -> dict[str, Any]:
    use_bench_environment()
    figures = profile(N_POSTS, N_SAMPLES)
    print(f"profile {json.dumps(figures['p50_overall'])}", flush=True)
    drop()
    return write_results("latency_profile", figures)


def main() -> dict[str, Any]:
    main_relevance()
    main_latency()
    return main_profile()


if __name__ == "__main__":
    part = sys.argv[1:] or ["all"]
    {"relevance": main_relevance, "latency": main_latency, "profile": main_profile, "all": main}[part[0]]()
