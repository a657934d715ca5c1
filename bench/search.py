"""Search: indexing through the pipeline vs raw bulk, commit-to-searchable, search latency.

    python -m bench.search            # or `make bench`; BENCH_SEARCH_POSTS=1000000 by default

Knobs: BENCH_SEARCH_POSTS, BENCH_SEARCH_PIPELINE_DOCS (20000), BENCH_SEARCH_PROBES (40),
BENCH_SEARCH_QUERIES (400). The corpus is bench/seed.py's `seed_search_corpus`.

Runs in databases of its own (`bench_<name>`, created and migrated like test databases), its
own RabbitMQ vhost and its own index prefix (`bench_socialapp-*`), so it never touches
development data. Every figure comes from one run, in this order:

1. the corpus: BENCH_SEARCH_POSTS posts (default 1,000,000) by raw parallel bulk into the posts
   index, and the same posts COPYed into the search state on the read database, so that the
   pipeline below works against tables and an index of that size;
2. indexing docs/s: BENCH_SEARCH_PIPELINE_DOCS new posts through the real pipeline (event log
   -> relay -> RabbitMQ -> one search worker process, batches of SEARCH_BATCH_SIZE -> search
   state -> bulk writes), timed from the commit of their events until every one is searchable,
   beside raw single-threaded `helpers.bulk` of the same documents into the same index, and the
   ratio; also the same number appended live (500 per transaction, bounded by this process's
   writer), and the projector alone in process, one event per apply and in batches;
3. commit-to-searchable p50/p99: from the commit of `post_create` (the real command) to the post
   being returned by the search selector, with the pipeline running (includes the 1 s refresh);
4. search latency p50/p99 of the posts search selector (Elasticsearch + the read-DB visibility
   re-check), users and hashtags, on the whole corpus.

Figures: bench/results/search.json (and search-<posts>.json).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialapp.settings.dev")
django.setup()

from django.conf import settings  # noqa: E402
from django.db import transaction  # noqa: E402
from elastic_transport import ConnectionError as ConnectionError_  # noqa: E402
from elasticsearch import helpers  # noqa: E402

from bench.common import bench_env, drop_vhost, sql, use_own_databases, use_own_vhost  # noqa: E402
from bench.measure import quantiles_ms, rate, sample_ms, stopwatch, warm_up  # noqa: E402
from bench.report import write_json  # noqa: E402
from bench.seed import SEARCH_ID_BASE, TAGS, WORDS, post_payload, post_text, search_doc, seed_search_corpus  # noqa: E402
from devkit.processes import start_relay, start_worker  # noqa: E402
from socialapp.events.projector import EventMessage  # noqa: E402

N_POSTS = int(os.environ.get("BENCH_SEARCH_POSTS", "1000000"))
N_PIPELINE = int(os.environ.get("BENCH_SEARCH_PIPELINE_DOCS", "20000"))
N_PROBES = int(os.environ.get("BENCH_SEARCH_PROBES", "40"))
N_QUERIES = int(os.environ.get("BENCH_SEARCH_QUERIES", "400"))
VHOST = "socialapp_bench_search"


# ------------------------------------------------------------------------------ environment
def use_bench_environment() -> None:
    use_own_databases("bench")
    settings.ELASTICSEARCH_INDEX_PREFIX = "bench_socialapp"
    use_own_vhost(VHOST)


def reset() -> None:
    from socialapp.read.search import indexes

    reset_databases()
    indexes.drop_all()
    indexes.ensure_indexes()


def reset_databases() -> None:
    """Leave no million-row tables behind in the benchmark databases."""
    sql("read", "TRUNCATE search_post, search_user, search_like, search_hashtag, projection_applied_event")
    sql("default", "TRUNCATE event_log, accounts_user CASCADE")


def visible_posts() -> int:
    from socialapp.read.search import indexes
    from socialapp.read.search.client import get_client

    indexes.refresh("posts")
    return get_client().count(index=indexes.read_alias("posts"), query={"term": {"hidden": False}})["count"]


def wait_searchable_count(n: int, timeout: float = 900) -> None:
    deadline = time.monotonic() + timeout
    count = 0
    while time.monotonic() < deadline:
        try:  # other work on this machine may restart Elasticsearch: keep polling
            count = visible_posts()
        except ConnectionError_ as exc:
            print(f"  (elasticsearch unreachable while polling: {type(exc).__name__})", flush=True)
            time.sleep(1)
            continue
        if count >= n:
            return
        time.sleep(0.25)  # each poll forces a refresh: poll too often and indexing slows down
    raise TimeoutError(f"only {count} of {n} posts searchable")


# ------------------------------------------------------------------------------ measurements
def measure_indexing(rng: random.Random) -> dict:
    """Pipeline vs raw bulk, both into the live posts index that already holds the corpus."""
    from socialapp.events.log import append_event
    from socialapp.read.search import indexes
    from socialapp.read.search.client import get_client
    from socialapp.read.search.projector import SearchProjector

    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    payloads = []
    for i in range(N_PIPELINE):
        text, tags = post_text(rng)
        payloads.append(post_payload(SEARCH_ID_BASE + i, 1 + i % 5000, text, tags, t0 + timedelta(seconds=i)))

    # Raw single-threaded bulk of the same documents (other ids) into the same index: what one
    # process can push at best, with the documents already built.
    alias = indexes.write_alias("posts")
    docs = [{"_index": alias, "_id": str(p["post_id"] + (3 << 40)), "_source": search_doc(p)} for p in payloads]
    with stopwatch() as timer:
        helpers.bulk(get_client(), docs, chunk_size=settings.SEARCH_BULK_CHUNK)
        get_client().indices.refresh(index=alias)
    raw_s = timer.seconds

    # The projector alone, in process: one event per apply, and batches as a worker hands them.
    def events(offset: int, n: int) -> list[EventMessage]:
        return [
            EventMessage(uuid.uuid4(), 0, "post.created", "post", str(p["post_id"] + offset), 1, None,
                         p["created_at"], 1, {**p, "post_id": p["post_id"] + offset})
            for p in payloads[:n]
        ]  # fmt: skip

    projector = SearchProjector()
    single = events(1 << 40, min(500, N_PIPELINE))
    per_event_rate = rate(len(single), lambda: [projector.apply(e) for e in single])
    batch = events(2 << 40, min(5000, N_PIPELINE))
    size = settings.SEARCH_BATCH_SIZE
    batched_rate = rate(
        len(batch), lambda: [projector.apply_batch(batch[i : i + size]) for i in range(0, len(batch), size)]
    )

    # Through the pipeline: relay + one search worker process (batches of SEARCH_BATCH_SIZE).
    # Capacity: the documents' events committed in one transaction, timed from that commit until
    # all are searchable. Live: the same number appended 500 per transaction while the pipeline
    # runs, so the writer (`append_event` in this one process) bounds it too.
    env = bench_env()
    relay = start_relay(name="bench-relay", env=env)
    worker = start_worker(["search"], name="bench-search", env=env)

    def append(batch: list[dict], offset: int) -> None:
        with transaction.atomic():
            for p in batch:
                p = {**p, "post_id": p["post_id"] + offset}
                append_event(event_type="post.created", aggregate_type="post", aggregate_id=p["post_id"],
                             aggregate_version=1, payload=p)  # fmt: skip

    try:
        baseline = visible_posts()
        append(payloads, 0)
        with stopwatch() as timer:
            wait_searchable_count(baseline + len(payloads))
        pipeline_s = timer.seconds

        baseline = visible_posts()
        with stopwatch() as timer:
            for i in range(0, len(payloads), 500):
                append(payloads[i : i + 500], 4 << 40)
            appended_s = timer.seconds
            wait_searchable_count(baseline + len(payloads))
        live_s = timer.seconds
        latency = measure_commit_to_searchable(rng)
    finally:
        worker.stop()
        relay.stop()
    pipeline_rate = len(payloads) / pipeline_s
    raw_rate = len(payloads) / raw_s
    return {
        "docs": len(payloads),
        "batch_size": settings.SEARCH_BATCH_SIZE,
        "raw_bulk_docs_per_s": round(raw_rate),
        "pipeline_docs_per_s": round(pipeline_rate),
        "ratio_pipeline_to_raw": round(pipeline_rate / raw_rate, 3),
        "pipeline_live_docs_per_s": round(len(payloads) / live_s),
        "live_append_events_per_s": round(len(payloads) / appended_s),
        "projector_in_process_per_event_docs_per_s": round(per_event_rate),
        "projector_in_process_batched_docs_per_s": round(batched_rate),
        "commit_to_searchable": latency,
    }


def measure_commit_to_searchable(rng: random.Random) -> dict:
    from socialapp.common.errors import ServiceUnavailable
    from socialapp.read.search.selectors import search_posts
    from socialapp.write.accounts.services import user_register
    from socialapp.write.posts.services import post_create

    author = user_register(username=f"probe{rng.randint(0, 10**6)}", email="probe@example.org", password=None)
    samples = []
    outages = 0
    for i in range(N_PROBES):
        token = f"probe{i}x{rng.randint(0, 10**9)}"
        post_create(author=author, body=f"latency {token}")
        committed = time.perf_counter()
        while True:
            try:
                if search_posts(q=token, limit=1).results:
                    break
            except ServiceUnavailable:  # another session restarted Elasticsearch: keep waiting
                outages += 1
            if time.perf_counter() - committed > 120:
                raise TimeoutError(f"probe {i} not searchable after 120 s")
            time.sleep(0.005)
        samples.append((time.perf_counter() - committed) * 1000)
        time.sleep(rng.uniform(0, 0.3))  # do not phase-lock with the refresh interval
    return {"probes": len(samples), **quantiles_ms(samples, 0.5, 0.9, 0.99, 1), "polls_refused_by_an_outage": outages}


def measure_search(rng: random.Random) -> dict:
    from socialapp.read.search.selectors import search_hashtags, search_posts, search_users

    def q_posts() -> None:
        kind = rng.random()
        if kind < 0.4:
            search_posts(q=rng.choice(WORDS))
        elif kind < 0.6:
            search_posts(q=f"{rng.choice(WORDS)} {rng.choice(WORDS)}")
        elif kind < 0.7:
            search_posts(q=f'"{rng.choice(WORDS)} {rng.choice(WORDS)}"')
        elif kind < 0.85:
            search_posts(q=f"#{rng.choice(TAGS)}", sort="recent")
        else:
            search_posts(q=rng.choice(WORDS), sort="recent")

    queries = {
        "posts": q_posts,
        "users": lambda: search_users(q=rng.choice(["user1", "usr12", "coffe", "cafe", "mount", "user49"])),
        "hashtags": lambda: search_hashtags(q=rng.choice(["tag", "tag1", "tag19", "t"])),
    }
    out = {}
    for name, run in queries.items():
        warm_up(run)
        n = N_QUERIES if name == "posts" else N_QUERIES // 4
        samples = sample_ms(run, n)
        out[name] = {"queries": n, **quantiles_ms(samples, 0.5, 0.99), "mean_ms": round(statistics.fmean(samples), 2)}
    return out


# ------------------------------------------------------------------------------ the benchmark
def main() -> dict:
    rng = random.Random(6)
    use_bench_environment()
    reset()
    print(f"seeding {N_POSTS} posts (Elasticsearch by raw parallel bulk, search state by COPY) …", flush=True)
    with stopwatch() as timer:
        corpus = seed_search_corpus(rng, N_POSTS)
    print(f"seeded in {timer.seconds:.0f}s: {json.dumps(corpus)}", flush=True)
    print(f"indexing {N_PIPELINE} posts: raw bulk, projector in process, real pipeline …", flush=True)
    indexing = measure_indexing(rng)
    print(f"indexing {json.dumps(indexing)}", flush=True)
    search = measure_search(rng)
    print(f"search latency {json.dumps(search)}", flush=True)
    result = {
        "benchmark": "search",
        "at": datetime.now(UTC).isoformat(),
        "posts": N_POSTS,
        "cpus": os.cpu_count(),
        "corpus": corpus,
        "indexing": indexing,
        "search_latency": search,
        "notes": "one run; reduced scale unless posts == 1000000; 2-core machine shared with other work",
    }
    write_json(f"search-{N_POSTS}", result)
    write_json("search", result)
    from socialapp.read.search import indexes

    indexes.drop_all()
    reset_databases()
    drop_vhost(VHOST)
    return result


if __name__ == "__main__":
    main()
