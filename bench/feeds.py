"""Home feeds: read model vs single-model join, fan-out vs raw COPY, commit-to-visible latency.

    python -m bench.feeds            # or `make bench`; BENCH_FEEDS_SCALE=0.02 by default

Runs in databases of its own (`benchfeeds_<name>`, created and migrated like test databases, kept
between runs and reseeded), so it never touches development data. At scale 1 the data set is
10,000 users, 1,000,000 posts and power-law follows (a few accounts with thousands of
followers); the default scale keeps a run to a couple of minutes on a 2-core machine.

Figures (bench/results/feeds.json and feeds.png):
- feed read p50/p99/req/s from the read model (`selectors.home_feed`, the SQL `GET feed` runs)
  and from the single-model join over follows and posts on the write tables (same readers, same
  page size, same output columns), each while a writer thread adds posts to both models at a
  fixed rate; ratio = read-model req/s / join req/s;
- fan-out rows/s of the `home_feed` projector (post.created events of the most followed
  accounts, chunk jobs run as the Celery task would) vs raw COPY rows/s of the same number of
  rows into `feed_entry`; ratio;
- commit-to-visible: from a post's commit in the write model to its visibility in every
  follower's feed, for ordinary and large accounts. Measured in process: the event is applied by
  the projectors as a worker would and chunk jobs run on two worker threads; the relay and
  broker hop is measured by bench/pipeline.py and adds to it.
"""

from __future__ import annotations

import json
import os
import queue
import random
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialapp.settings.dev")
django.setup()

from django.conf import settings  # noqa: E402
from django.db import connections, transaction  # noqa: E402

from bench.common import copy_rows, sql, use_own_databases  # noqa: E402
from socialapp.events.projector import REGISTRY, EventMessage  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
SCALE = float(os.environ.get("BENCH_FEEDS_SCALE", "0.02"))
READ_SECONDS = float(os.environ.get("BENCH_FEEDS_READ_SECONDS", "8"))
CONCURRENCY = int(os.environ.get("BENCH_FEEDS_CONCURRENCY", "4"))
WRITE_RATE = float(os.environ.get("BENCH_FEEDS_WRITE_RATE", "20"))  # posts per second during reads
ID_BASE = 1 << 50


# --------------------------------------------------------------------------------- seeding
def seed(rng: random.Random) -> dict:
    n_users = max(50, int(10_000 * SCALE))
    n_posts = max(1000, int(1_000_000 * SCALE))
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    started = time.monotonic()
    sql("default", "TRUNCATE accounts_user, posts_post, posts_like, follows_follow, comments_comment CASCADE")
    sql(
        "read",
        "TRUNCATE read_profile, read_follow_edge, read_profile_post, read_post_author, read_post,"
        " read_comment, read_like, read_post_tag, feed_author, feed_follow, feed_post, feed_entry, feed_fanout_job,"
        " projection_applied_event",
    )
    users = list(range(1, n_users + 1))
    copy_rows(
        "default",
        "accounts_user",
        [
            "id",
            "password",
            "is_superuser",
            "username",
            "first_name",
            "last_name",
            "email",
            "is_staff",
            "is_active",
            "date_joined",
            "display_name",
            "bio",
            "version",
        ],
        (
            (u, "!", False, f"user{u}", "", "", f"user{u}@example.org", False, True, t0, f"User {u}", "", 1)
            for u in users
        ),
    )
    sql("default", "SELECT setval(pg_get_serial_sequence('accounts_user', 'id'), %s)", [n_users + 1])
    # Power law: popularity ~ 1/rank^1.1; the top accounts gather a large share of follows.
    weights = [1 / (rank**1.1) for rank in range(1, n_users + 1)]
    follows: set[tuple[int, int]] = set()
    for u in users:
        k = min(n_users - 1, int(rng.paretovariate(1.2) * 8))
        for v in rng.choices(users, weights=weights, k=k):
            if v != u:
                follows.add((u, v))
    top = users[: max(1, n_users // 200)]  # make the top accounts followed by most users
    for v in top:
        for u in rng.sample(users, int(n_users * 0.6)):
            if u != v:
                follows.add((u, v))
    copy_rows(
        "default",
        "follows_follow",
        ["follower_id", "followee_id", "active", "changed_at", "version"],
        ((a, b, True, t0, 1) for a, b in follows),
    )
    # Posts: ids time-ordered.
    # Posting activity is heavy-tailed too, but not tied to popularity (big accounts are not
    # necessarily the busiest posters).
    activity = users[:]
    rng.shuffle(activity)
    authors = rng.choices(activity, weights=[1 / (rank**0.8) for rank in range(1, n_users + 1)], k=n_posts)
    posts = [(ID_BASE + i * 4096, a, t0 + timedelta(seconds=i)) for i, a in enumerate(authors)]
    copy_rows(
        "default",
        "posts_post",
        ["id", "author_id", "body", "hashtags", "mentions", "created_at", "version"],
        ((pid, a, f"post {pid} #tag{pid % 50}", json.dumps([f"tag{pid % 50}"]), "[]", ts, 1) for pid, a, ts in posts),
    )
    # The read model as the projectors build it (bulk, same rules: own posts + followees, capped).
    copy_rows(
        "read",
        "read_profile",
        [
            "user_id",
            "username",
            "username_lower",
            "display_name",
            "bio",
            "registered_at",
            "version",
            "follower_count",
            "following_count",
            "post_count",
        ],
        ((u, f"user{u}", f"user{u}", f"User {u}", "", t0, 1, 0, 0, 0) for u in users),
    )
    copy_rows(
        "read",
        "read_post_author",
        ["user_id", "username", "display_name", "version", "deactivated"],
        ((u, f"user{u}", f"User {u}", 1, False) for u in users),
    )
    copy_rows(
        "read",
        "read_post",
        [
            "post_id",
            "author_id",
            "author_username",
            "author_display_name",
            "body",
            "hashtags",
            "mentions",
            "created_at",
            "like_count",
            "comment_count",
            "version",
            "deleted",
            "author_deactivated",
        ],
        (
            (
                pid,
                a,
                f"user{a}",
                f"User {a}",
                f"post {pid} #tag{pid % 50}",
                [f"tag{pid % 50}"],
                "[]",
                ts,
                0,
                0,
                1,
                False,
                False,
            )
            for pid, a, ts in posts
        ),
    )
    copy_rows(
        "read",
        "read_follow_edge",
        ["follower_id", "followee_id", "active", "version", "since"],
        ((a, b, True, 1, t0) for a, b in follows),
    )
    copy_rows(
        "read",
        "feed_follow",
        ["followee_id", "follower_id", "active", "version"],
        ((b, a, True, 1) for a, b in follows),
    )
    followers: dict[int, int] = {}
    for _, b in follows:
        followers[b] = followers.get(b, 0) + 1
    copy_rows(
        "read",
        "feed_author",
        ["user_id", "follower_count", "deactivated", "has_unfanned"],
        ((u, followers.get(u, 0), False, False) for u in users),
    )
    copy_rows(
        "read",
        "feed_post",
        ["post_id", "author_id", "fanned_out", "deleted"],
        ((pid, a, True, False) for pid, a, _ in posts),
    )
    cap = settings.FEED_MAX_ENTRIES
    sql(
        "read",
        "INSERT INTO feed_entry (reader_id, post_id, author_id) SELECT reader_id, post_id, author_id FROM ("
        " SELECT r.reader_id, p.post_id, p.author_id, row_number() OVER (PARTITION BY r.reader_id"
        " ORDER BY p.post_id DESC) AS n FROM (SELECT follower_id AS reader_id, followee_id AS author_id FROM"
        " feed_follow UNION ALL SELECT user_id, user_id FROM feed_author) r JOIN feed_post p"
        " ON p.author_id = r.author_id) s WHERE n <= %s",
        [cap],
    )
    for alias in ("default", "read"):
        sql(alias, "ANALYZE")
    entries = sql("read", "SELECT count(*) FROM feed_entry")[0][0]
    return {
        "users": n_users,
        "posts": n_posts,
        "follows": len(follows),
        "feed_entries": entries,
        "max_followers": max(followers.values()),
        "seconds": round(time.monotonic() - started, 1),
    }


# --------------------------------------------------------------------------------- helpers
_seq = iter(range(10**9))
_position = iter(range(10**12, 10**13))


def event(event_type: str, agg: str, agg_id: str, payload: dict) -> EventMessage:
    return EventMessage(
        uuid.uuid4(), next(_position), event_type, agg, agg_id, 1, None, datetime.now(UTC).isoformat(), 1, payload
    )


def new_post(author: int) -> tuple[int, EventMessage]:
    """Write model insert + commit; returns the post id and its event (as the relay carries it)."""
    pid = int(time.time() * 1000) * 4096 * 2 + next(_seq)  # time-ordered, above the seeded ids
    now = datetime.now(UTC)
    with transaction.atomic():
        sql(
            "default",
            "INSERT INTO posts_post (id, author_id, body, hashtags, mentions, created_at, version)"
            " VALUES (%s, %s, 'bench', '[]', '[]', %s, 1)",
            [pid, author, now],
        )
    return pid, event(
        "post.created",
        "post",
        str(pid),
        {
            "post_id": pid,
            "author_id": author,
            "author_username": f"user{author}",
            "author_display_name": "",
            "body": "bench",
            "hashtags": [],
            "mentions": [],
            "created_at": now.isoformat(),
        },
    )


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


NAIVE_FEED = """
SELECT p.id, p.author_id, u.username, u.display_name, p.body, p.hashtags, p.mentions, p.created_at, p.edited_at,
  (SELECT count(*) FROM posts_like l WHERE l.post_id = p.id AND l.active) AS like_count,
  (SELECT count(*) FROM comments_comment c WHERE c.post_id = p.id AND c.deleted_at IS NULL) AS comment_count,
  EXISTS (SELECT 1 FROM posts_like l WHERE l.post_id = p.id AND l.user_id = %(r)s AND l.active) AS liked_by_me
FROM posts_post p JOIN accounts_user u ON u.id = p.author_id
WHERE p.deleted_at IS NULL AND u.deactivated_at IS NULL
  AND (p.author_id = %(r)s OR p.author_id IN (
       SELECT f.followee_id FROM follows_follow f WHERE f.follower_id = %(r)s AND f.active))
ORDER BY p.id DESC LIMIT 20
"""


def server_side(alias: str, query: str, readers: list[int]) -> dict:
    """PostgreSQL's own planning + execution time (EXPLAIN ANALYZE), without client overhead."""
    times = []
    for r in readers:
        plan = sql(alias, "EXPLAIN (ANALYZE, FORMAT JSON) " + query, {"r": r, "b": None, "n": 21})[0][0]
        plan = json.loads(plan) if isinstance(plan, str) else plan
        times.append(plan[0]["Planning Time"] + plan[0]["Execution Time"])
    return {"p50_ms": round(percentile(times, 0.5), 3), "p99_ms": round(percentile(times, 0.99), 3)}


def measure_reads(name: str, call: Callable[[int], object], readers: list[int], writer: Callable[[], None]) -> dict:
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.monotonic() + READ_SECONDS

    def client(seed: int) -> None:
        rng = random.Random(seed)
        local = []
        while time.monotonic() < stop:
            t = time.perf_counter()
            call(rng.choice(readers))
            local.append(time.perf_counter() - t)
        with lock:
            latencies.extend(local)
        connections.close_all()

    write_stop = threading.Event()

    def write_load() -> None:
        while not write_stop.is_set():
            t = time.monotonic()
            writer()
            write_stop.wait(max(0.0, 1 / WRITE_RATE - (time.monotonic() - t)))
        connections.close_all()

    w = threading.Thread(target=write_load)
    w.start()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(CONCURRENCY)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    write_stop.set()
    w.join()
    return {
        "name": name,
        "requests": len(latencies),
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 3),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 3),
        "req_per_s": round(len(latencies) / elapsed, 1),
    }


# --------------------------------------------------------------------------------- main
def main() -> dict:
    use_own_databases("benchfeeds")
    rng = random.Random(7)
    print(f"seeding at scale {SCALE} …", flush=True)
    data = seed(rng)
    print(f"seeded {data}", flush=True)
    from socialapp.read.feeds import fanout, selectors

    feed_projector, posts_projector = REGISTRY["home_feed"], REGISTRY["posts"]
    users = [r[0] for r in sql("read", "SELECT user_id FROM feed_author ORDER BY user_id")]
    readers = rng.sample(users, min(500, len(users)))  # ordinary readers, as they come
    by_followers = [r[0] for r in sql("read", "SELECT user_id FROM feed_author ORDER BY follower_count DESC")]
    jobs: queue.Queue[int | None] = queue.Queue()
    type(feed_projector).dispatch = staticmethod(lambda ids: [jobs.put(i) for i in ids])

    def write_one(author: int | None = None) -> tuple[int, EventMessage]:
        pid, ev = new_post(author or rng.choice(users))
        posts_projector.apply(ev)
        feed_projector.apply(ev)
        while not jobs.empty():
            job = jobs.get()
            if job is not None:
                fanout.run_fanout_job(job)
        return pid, ev

    # 1. feed reads under the same write load
    read_model = measure_reads(
        "read_model", lambda r: selectors.home_feed(reader_id=r, before=None, limit=20), readers, write_one
    )
    naive = measure_reads("single_model_join", lambda r: sql("default", NAIVE_FEED, {"r": r}), readers, write_one)
    reads_server = {
        "read_model": server_side("read", selectors.HOME_FEED_SQL, readers[:200]),
        "single_model_join": server_side("default", NAIVE_FEED, readers[:200]),
    }
    reads = {
        "server_side_ms": reads_server,
        "read_model": read_model,
        "single_model_join": naive,
        "ratio_req_per_s": round(read_model["req_per_s"] / max(naive["req_per_s"], 1e-9), 2),
        "ratio_p50": round(naive["p50_ms"] / max(read_model["p50_ms"], 1e-9), 2),
        "ratio_p99": round(naive["p99_ms"] / max(read_model["p99_ms"], 1e-9), 2),
        "server_ratio_p99": round(
            reads_server["single_model_join"]["p99_ms"] / max(reads_server["read_model"]["p99_ms"], 1e-9), 2
        ),
    }
    print(f"feed reads {json.dumps(reads)}", flush=True)

    # 2. fan-out rows/s vs raw COPY rows/s into feed_entry
    authors = by_followers[:3]
    rows = 0
    started = time.perf_counter()
    for author in authors:
        for _ in range(3):
            pid, _ = write_one(author)  # timed with its trims; the count below is not fan-out work
            counting = time.perf_counter()
            rows += sql("read", "SELECT count(*) FROM feed_entry WHERE post_id = %s", [pid])[0][0]
            started += time.perf_counter() - counting
    fanout_seconds = time.perf_counter() - started
    copy_pid = int(time.time() * 1000) * 4096 * 4
    copy_readers = [r[0] for r in sql("read", "SELECT user_id FROM feed_author ORDER BY user_id")]
    to_copy = [(copy_readers[i % len(copy_readers)], copy_pid + i // len(copy_readers), 1) for i in range(rows)]
    started = time.perf_counter()
    with transaction.atomic(using="read"):
        copy_rows("read", "feed_entry", ["reader_id", "post_id", "author_id"], to_copy)
    copy_seconds = time.perf_counter() - started
    sql("read", "DELETE FROM feed_entry WHERE post_id >= %s", [copy_pid])
    fan = {
        "rows": rows,
        "fanout_rows_per_s": round(rows / fanout_seconds),
        "copy_rows_per_s": round(rows / copy_seconds),
        "ratio": round((rows / fanout_seconds) / (rows / copy_seconds), 3),
    }
    print(f"fan-out {json.dumps(fan)}", flush=True)

    # 3. commit-to-visible in every follower's feed: chunk jobs on two worker threads
    worker_queue: queue.Queue[int | None] = queue.Queue()
    type(feed_projector).dispatch = staticmethod(lambda ids: [worker_queue.put(i) for i in ids])

    def worker() -> None:
        while (job := worker_queue.get()) is not None:
            fanout.run_fanout_job(job)
        connections.close_all()

    workers = [threading.Thread(target=worker) for _ in range(2)]
    for t in workers:
        t.start()

    def visible_everywhere(pid: int, author: int) -> bool:
        return sql(
            "read",
            "SELECT NOT EXISTS (SELECT 1 FROM feed_follow f WHERE f.followee_id = %s AND f.active"
            " AND NOT EXISTS (SELECT 1 FROM feed_entry e WHERE e.reader_id = f.follower_id"
            " AND e.post_id = %s))",
            [author, pid],
        )[0][0]

    def latency(author: int) -> float:
        pid, ev = new_post(author)
        committed = time.perf_counter()
        posts_projector.apply(ev)
        feed_projector.apply(ev)
        while not visible_everywhere(pid, author):
            time.sleep(0.002)
        return time.perf_counter() - committed

    large, ordinary = by_followers[:2], by_followers[len(by_followers) // 2 : len(by_followers) // 2 + 20]
    visible = {}
    for label, group, n in (("ordinary", ordinary, 40), ("large", large, 10)):
        values = [latency(group[i % len(group)]) for i in range(n)]
        followers = sql("read", "SELECT avg(follower_count) FROM feed_author WHERE user_id = ANY(%s)", [group])[0][0]
        visible[label] = {
            "p50_ms": round(percentile(values, 0.5) * 1000, 2),
            "p99_ms": round(percentile(values, 0.99) * 1000, 2),
            "avg_followers": float(followers),
        }
    for _ in workers:
        worker_queue.put(None)
    for t in workers:
        t.join()
    print(f"commit-to-visible {json.dumps(visible)}", flush=True)

    result = {
        "scale": SCALE,
        "data": data,
        "settings": {
            "FEED_MAX_ENTRIES": settings.FEED_MAX_ENTRIES,
            "FEED_FANOUT_CHUNK": settings.FEED_FANOUT_CHUNK,
            "FEED_CELEBRITY_THRESHOLD": settings.FEED_CELEBRITY_THRESHOLD,
            "concurrency": CONCURRENCY,
            "write_rate_per_s": WRITE_RATE,
            "read_seconds": READ_SECONDS,
        },
        "feed_reads": reads,
        "fanout": fan,
        "commit_to_visible": visible,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "feeds.json").write_text(json.dumps(result, indent=2))
    chart(result)
    print(json.dumps(result, indent=2))
    return result


def chart(result: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    r = result["feed_reads"]
    axes[0].bar(
        ["read model", "join on write tables"], [r["read_model"]["req_per_s"], r["single_model_join"]["req_per_s"]]
    )
    axes[0].set_title(f"home feed req/s (x{r['ratio_req_per_s']})")
    f = result["fanout"]
    axes[1].bar(["fan-out", "raw COPY"], [f["fanout_rows_per_s"], f["copy_rows_per_s"]])
    axes[1].set_title(f"rows/s into feed_entry (ratio {f['ratio']})")
    v = result["commit_to_visible"]
    labels = list(v)
    axes[2].bar(
        [f"{k} p50" for k in labels] + [f"{k} p99" for k in labels],
        [v[k]["p50_ms"] for k in labels] + [v[k]["p99_ms"] for k in labels],
    )
    axes[2].set_title("commit to visible in all feeds (ms)")
    fig.tight_layout()
    fig.savefig(RESULTS / "feeds.png", dpi=100)


if __name__ == "__main__":
    main()
