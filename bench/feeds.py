"""Home feeds: read model vs single-model join, fan-out vs raw COPY, commit-to-visible latency.

    python -m bench.feeds            # or `make bench`; BENCH_FEEDS_SCALE=0.02 by default

Knobs: BENCH_FEEDS_SCALE, BENCH_FEEDS_READ_SECONDS (8), BENCH_FEEDS_CONCURRENCY (4 readers),
BENCH_FEEDS_WRITE_RATE (20 posts/s during the reads). The data set is bench/seed.py's `seed_social`.

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
from datetime import UTC, datetime

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialapp.settings.dev")
django.setup()

from django.conf import settings  # noqa: E402
from django.db import connections, transaction  # noqa: E402

from bench.common import sql, use_own_databases  # noqa: E402
from bench.load import closed_loop, paced  # noqa: E402
from bench.measure import quantiles_ms, stopwatch, to_ms  # noqa: E402
from bench.report import Bars, bar_charts, write_json  # noqa: E402
from bench.seed import copy_rows, seed_social  # noqa: E402
from socialapp.events.projector import REGISTRY, EventMessage  # noqa: E402

SCALE = float(os.environ.get("BENCH_FEEDS_SCALE", "0.02"))
READ_SECONDS = float(os.environ.get("BENCH_FEEDS_READ_SECONDS", "8"))
CONCURRENCY = int(os.environ.get("BENCH_FEEDS_CONCURRENCY", "4"))
WRITE_RATE = float(os.environ.get("BENCH_FEEDS_WRITE_RATE", "20"))  # posts per second during reads

# The single-model alternative: the same page, output columns and readers, straight from the write tables.
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


# ------------------------------------------------------------------------------ writes during the run
_seq = iter(range(10**9))
_position = iter(range(10**12, 10**13))


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
    payload = {"post_id": pid, "author_id": author, "author_username": f"user{author}", "author_display_name": "",
               "body": "bench", "hashtags": [], "mentions": [], "created_at": now.isoformat()}  # fmt: skip
    return pid, EventMessage(
        uuid.uuid4(), next(_position), "post.created", "post", str(pid), 1, None, now.isoformat(), 1, payload
    )


class Projectors:
    """The posts and home_feed projectors applied in process, as a worker would; fan-out chunk
    jobs go to `jobs` (run inline by `write`, or by worker threads) instead of Celery."""

    def __init__(self) -> None:
        from socialapp.read.feeds import jobs

        self.fanout = jobs  # the chunk job runner
        self.feed, self.posts = REGISTRY["home_feed"], REGISTRY["posts"]
        self.jobs: queue.Queue[int | None] = queue.Queue()
        type(self.feed).dispatch = staticmethod(lambda ids: [self.jobs.put(i) for i in ids])

    def apply(self, event: EventMessage) -> None:
        self.posts.apply(event)
        self.feed.apply(event)

    def write(self, author: int) -> int:
        """A new post, applied and fanned out before returning."""
        pid, event = new_post(author)
        self.apply(event)
        while not self.jobs.empty():
            if (job := self.jobs.get()) is not None:
                self.fanout.run_fanout_job(job)
        return pid


# ------------------------------------------------------------------------------ measurements
def server_side(alias: str, query: str, readers: list[int]) -> dict:
    """PostgreSQL's own planning + execution time (EXPLAIN ANALYZE), without client overhead."""
    times = []
    for r in readers:
        plan = sql(alias, "EXPLAIN (ANALYZE, FORMAT JSON) " + query, {"r": r, "b": None, "n": 21})[0][0]
        plan = json.loads(plan) if isinstance(plan, str) else plan
        times.append(plan[0]["Planning Time"] + plan[0]["Execution Time"])
    return quantiles_ms(times, 0.5, 0.99, digits=3)


def measure_reads(name: str, call: Callable[[int], object], readers: list[int], writer: Callable[[], None]) -> dict:
    """CONCURRENCY readers for READ_SECONDS while `writer` adds WRITE_RATE posts a second."""
    with paced(writer, WRITE_RATE):
        latencies, elapsed = closed_loop(call, readers, seconds=READ_SECONDS, concurrency=CONCURRENCY)
    return {"name": name, "requests": len(latencies), **quantiles_ms(to_ms(latencies), 0.5, 0.99, digits=3),
            "req_per_s": round(len(latencies) / elapsed, 1)}  # fmt: skip


def feed_reads(readers: list[int], writer: Callable[[], None]) -> dict:
    """Read model vs single-model join, under the same write load; then server-side times."""
    from socialapp.read.feeds import selectors

    read_model = measure_reads(
        "read_model", lambda r: selectors.home_feed(reader_id=r, before=None, limit=20), readers, writer
    )
    naive = measure_reads("single_model_join", lambda r: sql("default", NAIVE_FEED, {"r": r}), readers, writer)
    server = {
        "read_model": server_side("read", selectors.HOME_FEED_SQL, readers[:200]),
        "single_model_join": server_side("default", NAIVE_FEED, readers[:200]),
    }
    return {
        "server_side_ms": server,
        "read_model": read_model,
        "single_model_join": naive,
        "ratio_req_per_s": round(read_model["req_per_s"] / max(naive["req_per_s"], 1e-9), 2),
        "ratio_p50": round(naive["p50_ms"] / max(read_model["p50_ms"], 1e-9), 2),
        "ratio_p99": round(naive["p99_ms"] / max(read_model["p99_ms"], 1e-9), 2),
        "server_ratio_p99": round(server["single_model_join"]["p99_ms"] / max(server["read_model"]["p99_ms"], 1e-9), 2),
    }


def fanout_vs_copy(projectors: Projectors, authors: list[int]) -> dict:
    """Fan-out rows/s of three posts by each of `authors` vs raw COPY of as many rows into feed_entry."""
    rows = 0
    with stopwatch() as timer:
        for author in authors:
            for _ in range(3):
                pid = projectors.write(author)  # timed with its trims; the count below is not fan-out work
                with timer.paused():
                    rows += sql("read", "SELECT count(*) FROM feed_entry WHERE post_id = %s", [pid])[0][0]
    fanout_seconds = timer.seconds
    copy_pid = int(time.time() * 1000) * 4096 * 4
    copy_readers = [r[0] for r in sql("read", "SELECT user_id FROM feed_author ORDER BY user_id")]
    to_copy = [(copy_readers[i % len(copy_readers)], copy_pid + i // len(copy_readers), 1) for i in range(rows)]
    with stopwatch() as timer, transaction.atomic(using="read"):
        copy_rows("read", "feed_entry", ["reader_id", "post_id", "author_id"], to_copy)
    copy_seconds = timer.seconds
    sql("read", "DELETE FROM feed_entry WHERE post_id >= %s", [copy_pid])
    return {
        "rows": rows,
        "fanout_rows_per_s": round(rows / fanout_seconds),
        "copy_rows_per_s": round(rows / copy_seconds),
        "ratio": round((rows / fanout_seconds) / (rows / copy_seconds), 3),
    }


def commit_to_visible(projectors: Projectors, groups: dict[str, tuple[list[int], int]]) -> dict:
    """From a post's commit to its presence in every follower's feed, chunk jobs on two worker
    threads; `groups`: label -> (authors, number of posts)."""

    def worker() -> None:
        while (job := projectors.jobs.get()) is not None:
            projectors.fanout.run_fanout_job(job)
        connections.close_all()

    def visible_everywhere(pid: int, author: int) -> bool:
        return sql(
            "read",
            "SELECT NOT EXISTS (SELECT 1 FROM feed_follow f WHERE f.followee_id = %s AND f.active"
            " AND NOT EXISTS (SELECT 1 FROM feed_entry e WHERE e.reader_id = f.follower_id"
            " AND e.post_id = %s))",
            [author, pid],
        )[0][0]

    def latency(author: int) -> float:
        pid, event = new_post(author)
        committed = time.perf_counter()
        projectors.apply(event)
        while not visible_everywhere(pid, author):
            time.sleep(0.002)
        return time.perf_counter() - committed

    workers = [threading.Thread(target=worker) for _ in range(2)]
    for t in workers:
        t.start()
    visible = {}
    try:
        for label, (group, n) in groups.items():
            values = to_ms([latency(group[i % len(group)]) for i in range(n)])
            followers = sql("read", "SELECT avg(follower_count) FROM feed_author WHERE user_id = ANY(%s)", [group])
            visible[label] = {**quantiles_ms(values, 0.5, 0.99), "avg_followers": float(followers[0][0])}
    finally:
        for _ in workers:
            projectors.jobs.put(None)
        for t in workers:
            t.join()
    return visible


# ------------------------------------------------------------------------------ the benchmark
def main() -> dict:
    use_own_databases("benchfeeds")
    rng = random.Random(7)
    print(f"seeding at scale {SCALE} …", flush=True)
    data = seed_social(rng, SCALE)
    print(f"seeded {data}", flush=True)
    projectors = Projectors()
    users = [r[0] for r in sql("read", "SELECT user_id FROM feed_author ORDER BY user_id")]
    readers = rng.sample(users, min(500, len(users)))  # ordinary readers, as they come
    by_followers = [r[0] for r in sql("read", "SELECT user_id FROM feed_author ORDER BY follower_count DESC")]

    reads = feed_reads(readers, lambda: projectors.write(rng.choice(users)))
    print(f"feed reads {json.dumps(reads)}", flush=True)
    fan = fanout_vs_copy(projectors, by_followers[:3])
    print(f"fan-out {json.dumps(fan)}", flush=True)
    middle = len(by_followers) // 2
    visible = commit_to_visible(
        projectors, {"ordinary": (by_followers[middle : middle + 20], 40), "large": (by_followers[:2], 10)}
    )
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
    write_json("feeds", result)
    chart(result)
    print(json.dumps(result, indent=2))
    return result


def chart(result: dict) -> None:
    r, f, v = result["feed_reads"], result["fanout"], result["commit_to_visible"]
    bar_charts("feeds", [
        Bars(f"home feed req/s (x{r['ratio_req_per_s']})", ["read model", "join on write tables"],
             [r["read_model"]["req_per_s"], r["single_model_join"]["req_per_s"]]),
        Bars(f"rows/s into feed_entry (ratio {f['ratio']})", ["fan-out", "raw COPY"],
             [f["fanout_rows_per_s"], f["copy_rows_per_s"]]),
        Bars("commit to visible in all feeds (ms)", [f"{k} p50" for k in v] + [f"{k} p99" for k in v],
             [v[k]["p50_ms"] for k in v] + [v[k]["p99_ms"] for k in v]),
    ])  # fmt: skip


if __name__ == "__main__":
    main()
