"""Search: indexing through the pipeline vs raw bulk, commit-to-searchable, search latency.

    python -m bench.search            # or `make bench`; BENCH_SEARCH_POSTS=1000000 by default

Knobs: BENCH_SEARCH_POSTS, BENCH_SEARCH_PIPELINE_DOCS (20000), BENCH_SEARCH_PROBES (1200
commit-to-searchable samples), BENCH_SEARCH_WARMUP (100 uncounted probes), BENCH_SEARCH_BACKGROUND_RATE
(200 post_create commands a second while probing), BENCH_SEARCH_POLL_MS (50), BENCH_SEARCH_QUERIES
(400). The corpus is bench/seed.py's `seed_search_corpus`.

Runs in databases of its own (`bench_<name>`, created and migrated like test databases), its
own RabbitMQ vhost and its own index prefix (`bench_socialapp-*`), so it never touches
development data. Every figure comes from one run, in this order:

1. the corpus: BENCH_SEARCH_POSTS posts (default 1,000,000) by raw parallel bulk into the posts
   index, and the same posts COPYed into the search state on the read database, so that the
   pipeline below works against tables and an index of that size;
2. indexing docs/s: BENCH_SEARCH_PIPELINE_DOCS new posts through the real pipeline (event log
   -> a relay that routes to the search queue only -> RabbitMQ -> one search worker process,
   batches of SEARCH_BATCH_SIZE -> search state -> bulk writes), timed from the commit of their
   events until Elasticsearch acknowledged every one (polled on the read database: no forced
   refresh) plus one refresh, beside raw single-threaded `helpers.bulk` of the same documents
   into the same index plus one refresh, and the ratio; both legs warmed up first. Also the same
   number appended live (500 per transaction, bounded by this process's writer), and the
   projector alone in process, one event per apply, in batches, and in batches whose pushes
   overlap the next batch's apply (as the worker runs it);
3. commit-to-searchable p50/p90/p99/max over BENCH_SEARCH_PROBES posts: from the commit of
   `post_create` (the real command, paced at BENCH_SEARCH_BACKGROUND_RATE: the background load)
   to a search finding the post (one poller, every BENCH_SEARCH_POLL_MS; includes the 1 s refresh),
   and the cost of that steady stream: CPU ms per post of the search worker, the relay and
   Elasticsearch, bulk requests and refreshes per 100 posts;
4. search latency p50/p99 of the posts search selector (Elasticsearch + the read-DB visibility
   re-check), users and hashtags, on the whole corpus.

Figures: bench/results/search.json (and search-<posts>.json), chart bench/results/search.png.

    python -m bench.search profile    # cProfile of the projector in process (BENCH_SEARCH_PROFILE_DOCS)
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialapp.settings.dev")
django.setup()

from django.conf import settings  # noqa: E402
from django.db import connections, transaction  # noqa: E402
from elasticsearch import helpers  # noqa: E402

from bench.common import bench_env, drop_vhost, sql, use_own_databases, use_own_vhost  # noqa: E402
from bench.load import paced  # noqa: E402
from bench.measure import quantiles_ms, rate, sample_ms, stopwatch, warm_up  # noqa: E402
from bench.report import Bars, bar_charts, write_json  # noqa: E402
from bench.seed import SEARCH_ID_BASE, TAGS, WORDS, post_payload, post_text, search_doc, seed_search_corpus  # noqa: E402
from devkit.processes import start_relay, start_worker  # noqa: E402
from socialapp.events.projector import EventMessage  # noqa: E402

N_POSTS = int(os.environ.get("BENCH_SEARCH_POSTS", "1000000"))
N_PIPELINE = int(os.environ.get("BENCH_SEARCH_PIPELINE_DOCS", "20000"))
N_PROBES = int(os.environ.get("BENCH_SEARCH_PROBES", "1200"))
N_WARMUP = int(os.environ.get("BENCH_SEARCH_WARMUP", "100"))
BACKGROUND_RATE = float(os.environ.get("BENCH_SEARCH_BACKGROUND_RATE", "200"))
POLL_MS = int(os.environ.get("BENCH_SEARCH_POLL_MS", "50"))
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
    sql(
        "read",
        "TRUNCATE search_post, search_user, search_like, search_comment, search_hashtag, search_pending,"
        " projection_applied_event",
    )
    sql("default", "TRUNCATE event_log, event_outbox, event_publish_failure, accounts_user CASCADE")


def visible_posts() -> int:
    from socialapp.read.search import indexes
    from socialapp.read.search.client import get_client

    # The first refresh after a million-document seed can outlast the product's 5 s request timeout.
    es = get_client().options(request_timeout=300)
    es.indices.refresh(index=indexes.read_alias("posts"))
    return es.count(index=indexes.read_alias("posts"), query={"term": {"hidden": False}})["count"]


def relay_only_search() -> None:
    """`python -m bench.search relay`: a relay that knows only the search projector, so that the
    pipeline leg delivers each event once, to the queue it measures (the real relay also fills
    every other projector's queue, which no one consumes here)."""
    import signal
    import threading

    from socialapp.events.projector import REGISTRY
    from socialapp.events.relay import Relay

    for name in [n for n in REGISTRY if n != "search"]:
        REGISTRY.pop(name)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("relay running", flush=True)
    Relay().run(stop)


def start_search_pipeline(env: dict[str, str]) -> tuple:
    relay = start_relay(name="bench-search-relay", env=env, command=[sys.executable, "-m", "bench.search", "relay"])
    worker = start_worker(["search"], name="bench-search", env=env)
    return relay, worker


CLK_TCK = os.sysconf("SC_CLK_TCK")


def _postgres_kind(title: str) -> str | None:
    """A PostgreSQL process by its title: a backend of this benchmark's databases or one of the
    server's own processes ("postgres"), the hot standby's replay of it ("postgres (standby)"), or
    a backend of some other database (None: not this benchmark's)."""
    words = title.replace("\0", " ").split()
    if len(words) < 2 or words[0] != "postgres:":
        return "postgres"
    if words[1] in ("startup", "walreceiver", "walsender"):
        return "postgres (standby)"
    if len(words) > 2 and words[1] not in ("checkpointer", "background", "walwriter", "autovacuum", "logical"):
        return "postgres" if words[2] in {c.settings_dict["NAME"] for c in connections.all()} else None
    return "postgres"


def cpu_seconds(sessions: dict[int, str]) -> dict[str, float]:
    """CPU seconds used so far (reaped children included) by the processes of each session (the
    relay's and the worker's, by the session leader's pid) and by Elasticsearch, from /proc."""
    from pathlib import Path

    ticks = dict.fromkeys([*sessions.values(), "elasticsearch", "postgres", "postgres (standby)", "rabbitmq"], 0)
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            raw = Path(f"/proc/{pid}/stat").read_text()
            comm, rest = raw[raw.index("(") + 1 : raw.rindex(")")], raw[raw.rindex(")") + 2 :].split()
            used = sum(int(v) for v in rest[11:15])
            if int(rest[3]) in sessions:
                ticks[sessions[int(rest[3])]] += used
            elif comm == "java" and b"elasticsearch" in Path(f"/proc/{pid}/cmdline").read_bytes():
                ticks["elasticsearch"] += used
            elif comm.startswith("postgres"):
                kind = _postgres_kind(Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"))
                if kind:
                    ticks[kind] += used
            elif comm in ("beam.smp", "erl_child_setup", "epmd"):
                ticks["rabbitmq"] += used
        except (OSError, ValueError):
            continue  # the process exited meanwhile
    return {kind: n / CLK_TCK for kind, n in ticks.items()}


def cpu_us_per_doc(before: dict[str, float], after: dict[str, float], docs: int, **extra: float) -> dict[str, float]:
    """Microseconds of CPU per document by process between two `cpu_seconds` readings (plus
    `extra` seconds, e.g. this process's own), with their total."""
    used = {kind: after[kind] - before.get(kind, 0.0) for kind in after} | extra
    out = {kind: round(seconds * 1e6 / docs) for kind, seconds in used.items()}
    return {**out, "total": sum(out.values())}


def es_requests() -> dict[str, int]:
    """Bulk requests and refreshes so far on the benchmark's indexes (every shard counted)."""
    from socialapp.read.search.client import get_client

    total = get_client().indices.stats(index=f"{settings.ELASTICSEARCH_INDEX_PREFIX}-*", metric="bulk,refresh")
    total = total["_all"]["total"]
    return {"bulk_requests": total["bulk"]["total_operations"], "refreshes": total["refresh"]["total"]}


def wait_pushed(lo: int, hi: int, timeout: float = 900) -> None:
    """Until every post with an id in [lo, hi) is in the search state and none is pending: all
    acknowledged by Elasticsearch. Polls the read database ten times a second and never forces
    a refresh (the raw bulk leg gets none either: both end with one explicit refresh)."""
    deadline = time.monotonic() + timeout
    want = hi - lo
    while time.monotonic() < deadline:
        ((applied, pending),) = sql(
            "read",
            "SELECT (SELECT count(*) FROM search_post WHERE post_id >= %s AND post_id < %s),"
            " (SELECT count(*) FROM search_pending WHERE kind = 'posts')",
            [lo, hi],
        )
        if applied >= want and pending == 0:
            return
        time.sleep(0.1)
    raise TimeoutError(f"only {applied} of {want} posts applied ({pending} pending)")


# ------------------------------------------------------------------------------ measurements
def measure_indexing(rng: random.Random) -> dict:
    """Pipeline vs raw bulk, both into the live posts index that already holds the corpus, both
    warmed up, both ending with one refresh."""
    from socialapp.events.log import append_event
    from socialapp.read.search import indexes
    from socialapp.read.search.client import get_client
    from socialapp.read.search.projector import SearchProjector

    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    payloads = []
    for i in range(N_PIPELINE):
        text, tags = post_text(rng)
        payloads.append(post_payload(SEARCH_ID_BASE + i, 1 + i % 5000, text, tags, t0 + timedelta(seconds=i)))
    es = get_client()
    alias = indexes.write_alias("posts")

    # Raw single-threaded bulk of the same documents (other ids) into the same index: what one
    # process can push at best, with the documents already built. Warmed up by a first chunk.
    def raw_docs(offset: int, part: list[dict]) -> list[dict]:
        return [{"_index": alias, "_id": str(p["post_id"] + offset), "_source": search_doc(p)} for p in part]

    helpers.bulk(es, raw_docs(5 << 40, payloads[: settings.SEARCH_BULK_CHUNK]), chunk_size=settings.SEARCH_BULK_CHUNK)

    def timed_bulk(actions: list[dict]) -> tuple[float, dict[str, float]]:
        """Seconds and CPU per document of one raw bulk of `actions`, ending with one refresh."""
        cpu_before, client_before = cpu_seconds({}), time.process_time()
        with stopwatch() as timer:
            helpers.bulk(es, actions, chunk_size=settings.SEARCH_BULK_CHUNK)
            es.indices.refresh(index=alias)
        client = time.process_time() - client_before
        return timer.seconds, cpu_us_per_doc(cpu_before, cpu_seconds({}), len(actions), client=client)

    docs = raw_docs(3 << 40, payloads)
    raw_s, raw_cpu = timed_bulk(docs)
    # The same again with external versions, as the projector writes (a stale write must never win,
    # which costs Elasticsearch a version lookup per document): what that correctness costs in bulk.
    versioned = [{**d, "_id": str(int(d["_id"]) + (1 << 40)), "_version": 1, "_version_type": "external"} for d in docs]
    versioned_s, versioned_cpu = timed_bulk(versioned)

    # The projector alone, in process: one event per apply, and batches as a worker hands them.
    def events(offset: int, n: int) -> list[EventMessage]:
        return [
            EventMessage(uuid.uuid4(), 0, "post.created", "post", str(p["post_id"] + offset), 1, None,
                         p["created_at"], 1, {**p, "post_id": p["post_id"] + offset})
            for p in payloads[:n]
        ]  # fmt: skip

    projector = SearchProjector()
    size = settings.SEARCH_BATCH_SIZE
    warm = events(6 << 40, min(2 * size, N_PIPELINE))
    for i in range(0, len(warm), size):
        projector.apply_batch(warm[i : i + size])
    single = events(1 << 40, min(500, N_PIPELINE))
    per_event_rate = rate(len(single), lambda: [projector.apply(e) for e in single])
    batch = events(2 << 40, min(5000, N_PIPELINE))
    batched_rate = rate(
        len(batch), lambda: [projector.apply_batch(batch[i : i + size]) for i in range(0, len(batch), size)]
    )

    def overlapped(todo: list[EventMessage]) -> None:
        """As the worker does it: each batch's push runs while the next batch applies."""
        push = None
        for i in range(0, len(todo), size):
            _outcomes, following = projector._apply_batch_overlapped(todo[i : i + size])
            if push is not None:
                push.result()
            push = following
        if push is not None:
            push.result()

    again = events(8 << 40, min(5000, N_PIPELINE))
    overlapped_rate = rate(len(again), lambda: overlapped(again))

    # Through the pipeline: a relay that routes to the search queue only + one search worker
    # process (batches of SEARCH_BATCH_SIZE). Capacity: the documents' events committed in one
    # transaction, timed from that commit until all are acknowledged by Elasticsearch, then one
    # refresh (as the raw leg). Live: the same number appended 500 per transaction while the
    # pipeline runs, so the writer (`append_event` in this one process) bounds it too.
    env = bench_env()
    relay, worker = start_search_pipeline(env)
    sessions = {relay.pid: "relay", worker.pid: "search worker"}

    def append(batch: list[dict], offset: int) -> None:
        with transaction.atomic():
            for p in batch:
                p = {**p, "post_id": p["post_id"] + offset}
                append_event(event_type="post.created", aggregate_type="post", aggregate_id=p["post_id"],
                             aggregate_version=1, payload=p)  # fmt: skip

    try:
        warm_n = min(1000, N_PIPELINE)  # warm-up: connections, first batches, query plans
        append(payloads[:warm_n], 7 << 40)
        wait_pushed(SEARCH_ID_BASE + (7 << 40), SEARCH_ID_BASE + (7 << 40) + warm_n)
        append(payloads, 0)
        cpu_before = cpu_seconds(sessions)
        with stopwatch() as timer:
            wait_pushed(SEARCH_ID_BASE, SEARCH_ID_BASE + len(payloads))
            es.indices.refresh(index=alias)
        pipeline_s = timer.seconds
        pipeline_cpu = cpu_us_per_doc(cpu_before, cpu_seconds(sessions), len(payloads))

        offset = 4 << 40
        with stopwatch() as timer:
            for i in range(0, len(payloads), 500):
                append(payloads[i : i + 500], offset)
            appended_s = timer.seconds
            wait_pushed(SEARCH_ID_BASE + offset, SEARCH_ID_BASE + offset + len(payloads))
            es.indices.refresh(index=alias)
        live_s = timer.seconds
        latency = measure_commit_to_searchable(rng, sessions)
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
        # Where a document's CPU goes in each leg (this benchmark's poller included in postgres for
        # the pipeline's: one count query every 100 ms): the profile behind the ratio.
        "raw_bulk_external_versions_docs_per_s": round(len(docs) / versioned_s),
        "cpu_us_per_doc": {"raw_bulk": raw_cpu, "raw_bulk_external_versions": versioned_cpu, "pipeline": pipeline_cpu},
        "pipeline_live_docs_per_s": round(len(payloads) / live_s),
        "live_append_events_per_s": round(len(payloads) / appended_s),
        "projector_in_process_per_event_docs_per_s": round(per_event_rate),
        "projector_in_process_batched_docs_per_s": round(batched_rate),
        "projector_in_process_overlapped_docs_per_s": round(overlapped_rate),
        "commit_to_searchable": latency,
    }


def measure_commit_to_searchable(rng: random.Random, sessions: dict[int, str]) -> dict:
    """Commit of `post_create` (the real command, paced at BENCH_SEARCH_BACKGROUND_RATE a second:
    the commands are the background load) to the post being returned by an Elasticsearch search.

    Every post is a sample. One poller thread asks Elasticsearch, every BENCH_SEARCH_POLL_MS,
    which of the outstanding posts a search finds (one small `terms` query: no refresh forced,
    a few requests a second rather than one loop per probe). A sample is the time from the
    commit to the answer that first contains the post, so it overstates by up to one poll
    interval. The first BENCH_SEARCH_WARMUP posts are not counted.

    Also the cost of that steady stream: CPU seconds of the search worker, the relay and
    Elasticsearch per post (from /proc, over the whole paced phase and until the last post is
    searchable; Elasticsearch's includes the poller's searches and anything else using it), and
    the bulk requests and refreshes Elasticsearch counted on the benchmark's indexes."""
    import threading

    from socialapp.read.search import indexes
    from socialapp.read.search.client import get_client
    from socialapp.write.accounts.services import user_register
    from socialapp.write.posts.services import post_create

    es = get_client()
    authors = [
        user_register(username=f"probe{i}x{rng.randint(0, 10**6)}", email="probe@example.org", password=None)
        for i in range(20)
    ]
    outstanding: dict[str, float] = {}  # post id -> commit time
    samples: list[float] = []
    lock = threading.Lock()
    done = threading.Event()  # every post created
    finished = threading.Event()  # stop polling
    created = 0
    total = N_PROBES + N_WARMUP

    def poll() -> None:
        while not finished.is_set():
            with lock:
                ids = list(outstanding)
            if ids:
                found = es.search(
                    index=indexes.read_alias("posts"),
                    query={"bool": {"filter": [{"terms": {"post_id": ids}}, {"term": {"hidden": False}}]}},
                    size=len(ids),
                    source=False,
                    filter_path="hits.hits._id",
                )
                seen = time.perf_counter()
                with lock:
                    for hit in found.get("hits", {}).get("hits", []):
                        committed = outstanding.pop(hit["_id"], None)
                        if committed is not None and committed > 0:
                            samples.append((seen - committed) * 1000)
            time.sleep(POLL_MS / 1000)

    def create() -> None:
        nonlocal created
        if created >= total:
            done.set()
            return
        post = post_create(author=authors[created % len(authors)], body=f"latency probe {created} #probe")
        committed = time.perf_counter()
        with lock:
            outstanding[str(post.pk)] = committed if created >= N_WARMUP else -1.0
        created += 1

    poller = threading.Thread(target=poll)
    cpu_before, es_before = cpu_seconds(sessions), es_requests()
    poller.start()
    started = time.perf_counter()
    try:
        with paced(create, BACKGROUND_RATE):
            done.wait(timeout=max(60.0, 10 * total / BACKGROUND_RATE))
        elapsed = time.perf_counter() - started
        deadline = time.monotonic() + 60
        while outstanding and time.monotonic() < deadline:  # the last posts become searchable
            time.sleep(0.1)
    finally:
        done.set()
        finished.set()
        poller.join()
    cpu = {kind: used - cpu_before[kind] for kind, used in cpu_seconds(sessions).items()}
    es_after = es_requests()
    return {
        "cpu_ms_per_post": {kind: round(used * 1000 / created, 2) for kind, used in cpu.items()},
        "es_per_100_posts": {k: round((es_after[k] - es_before[k]) * 100 / created, 1) for k in es_after},
        "samples": len(samples),
        "never_searchable": len(outstanding),
        "background_commands_per_s": round(created / elapsed, 1),
        "poll_interval_ms": POLL_MS,
        **quantiles_ms(samples, 0.5, 0.9, 0.99, 1),
    }


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
    chart(result)
    from socialapp.read.search import indexes

    indexes.drop_all()
    reset_databases()
    drop_vhost(VHOST)
    return result


def profile() -> None:
    """`python -m bench.search profile`: where the search projector's time per document goes,
    in process (no relay, no broker): BENCH_SEARCH_PROFILE_DOCS post.created events applied in
    batches of SEARCH_BATCH_SIZE under cProfile, on an empty state and index. Prints the
    functions by own time and by cumulative time, and writes bench/results/search-profile.txt."""
    import cProfile
    import io
    import pstats

    from bench.report import RESULTS
    from socialapp.read.search.projector import SearchProjector

    n = int(os.environ.get("BENCH_SEARCH_PROFILE_DOCS", "5000"))
    rng = random.Random(7)
    use_bench_environment()
    reset()
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    size = settings.SEARCH_BATCH_SIZE

    def events(offset: int, count: int) -> list[EventMessage]:
        out = []
        for i in range(count):
            text, tags = post_text(rng)
            p = post_payload(offset + i, 1 + i % 500, text, tags, t0 + timedelta(seconds=i))
            out.append(EventMessage(uuid.uuid4(), 0, "post.created", "post", str(p["post_id"]), 1, None,
                                    p["created_at"], 1, p))  # fmt: skip
        return out

    projector = SearchProjector()
    warm = events(SEARCH_ID_BASE, 2 * size)
    for i in range(0, len(warm), size):
        projector.apply_batch(warm[i : i + size])
    todo = events(SEARCH_ID_BASE + (1 << 40), n)
    profiler = cProfile.Profile()
    with stopwatch() as timer:
        profiler.enable()
        for i in range(0, n, size):
            projector.apply_batch(todo[i : i + size])
        profiler.disable()
    out = io.StringIO()
    out.write(f"{n} post.created in batches of {size}: {timer.seconds:.2f} s under cProfile, "
              f"{timer.seconds / n * 1e6:.0f} us per document\n")  # fmt: skip
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats("search|projector|sync|state|bulk|execute|orjson|fold", 30)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "search-profile.txt").write_text(out.getvalue())
    print(out.getvalue())
    reset_databases()


def chart(result: dict) -> None:
    """bench/results/search.png: indexing rates, commit-to-searchable, search latency."""
    idx = result["indexing"]
    lat = idx["commit_to_searchable"]
    bar_charts(
        "search",
        [
            Bars("indexing docs/s", ["raw bulk", "pipeline", "pipeline live", "projector batched"],
                 [idx["raw_bulk_docs_per_s"], idx["pipeline_docs_per_s"], idx["pipeline_live_docs_per_s"],
                  idx["projector_in_process_batched_docs_per_s"]]),
            Bars(f"commit to searchable ms ({lat['samples']} samples)", ["p50", "p90", "p99", "max"],
                 [lat["p50_ms"], lat["p90_ms"], lat["p99_ms"], lat["max_ms"]]),
            Bars("search p99 ms", list(result["search_latency"]),
                 [v["p99_ms"] for v in result["search_latency"].values()]),
        ],
    )  # fmt: skip


if __name__ == "__main__":
    if sys.argv[1:] == ["relay"]:
        relay_only_search()
    elif sys.argv[1:] == ["profile"]:
        profile()
    else:
        main()
